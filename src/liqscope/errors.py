"""The exception tree, written down once.

::

    LiqscopeError
    ├── UnexpectedPayload        a venue record we cannot normalize: quarantined, never guessed
    │   ├── UnknownInstrument    the instrument is not in the bundled metadata
    │   └── InvalidEvent         a normalized value broke an invariant (quantity <= 0, NaN, ...)
    ├── NotALiquidation          a well-formed record that carries no liquidation (ack, plain trade):
    │                            counted as "skipped", not an error
    ├── ConfigError              our own inputs (methodology files, CLI values): strict
    │   └── UnknownName          a name outside a closed set; the message lists the valid values
    ├── StoreError               the lake or the raw journal cannot be read or written
    │   ├── InputUnreadable      an input file cannot be opened or decoded at all
    │   └── NotInLake            a thing asked for by name (a raw_ref) is not in this lake
    └── RegistryError            the venue registry is inconsistent

Every quarantined record carries a ``Reason``: liqscope's own stable code for what was wrong. The
message of whichever library noticed it is kept separately as detail; nothing compares that wording.

Only ``capture``/``ingest`` catch ``UnexpectedPayload`` (to quarantine) and only ``cli`` turns a
``LiqscopeError`` into a user-facing message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "InputUnreadable",
    "InvalidEvent",
    "LiqscopeError",
    "NotALiquidation",
    "NotInLake",
    "Reason",
    "RegistryError",
    "StoreError",
    "UnexpectedPayload",
    "UnknownInstrument",
    "UnknownName",
]


class Reason(enum.StrEnum):
    """Why a record was quarantined: a closed set of stable codes (golden files and counters use these)."""

    RECORD_TOO_LARGE = "record_too_large"      # longer than the per-record limit: kept unparsed
    BLANK_LINE = "blank_line"                  # an empty or whitespace-only line
    INVALID_UTF8 = "invalid_utf8"              # the bytes are not UTF-8
    TRUNCATED_JSON = "truncated_json"          # JSON that ends before the document does
    MALFORMED_JSON = "malformed_json"          # any other JSON syntax error
    NON_FINITE = "non_finite"                  # NaN or Infinity where a number is due
    DUPLICATE_KEY = "duplicate_key"            # one object names a key twice: ambiguous
    MISSING_FIELD = "missing_field"            # a field the venue always sends is absent
    NULL_FIELD = "null_field"                  # a required field is null
    WRONG_TYPE = "wrong_type"                  # a field (or the document) has another JSON type
    NON_POSITIVE = "non_positive"              # a price, quantity or notional <= 0
    OUT_OF_BOUNDS = "out_of_bounds"            # outside the sanity bounds or the lake's exact range
    BAD_TIMESTAMP = "bad_timestamp"            # a time that is not epoch ns in 2009..2100
    INCONSISTENT = "inconsistent"              # fields that contradict each other
    UNKNOWN_VALUE = "unknown_value"            # an enum value (side, kind, instrument type) outside the documented set
    UNKNOWN_INSTRUMENT = "unknown_instrument"  # not in the instrument table: its contract size is unknown
    UNEXPECTED_PAYLOAD = "unexpected_payload"  # any other shape the venue documents no meaning for
    BAD_NUMBER = "bad_number"                  # a numeric field whose text is not a number
    NUMBER_OVERFLOW = "number_overflow"        # a number beyond what can be held exactly
    TOO_DEEP = "too_deep"                      # nesting beyond the decoder's limit


class LiqscopeError(Exception):
    """Base class of every error liqscope raises on purpose."""


class UnexpectedPayload(LiqscopeError):
    """A venue record that cannot be normalized.

    Args:
        message: What was wrong, in the venue's vocabulary.
        field: The payload field at fault (e.g. ``"o.S"``), when one field is to blame.
        code: The stable reason code; the class's ``default_code`` when not given.
    """

    default_code = Reason.UNEXPECTED_PAYLOAD

    def __init__(self, message: str, *, field: str | None = None, code: Reason | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.code = code or self.default_code

    @property
    def reason(self) -> str:
        """A short, stable reason used to group quarantined records."""
        return type(self).__name__ + (f"({self.field})" if self.field else "")


class UnknownInstrument(UnexpectedPayload):
    """The instrument is missing from the bundled metadata, so its contract size is unknown."""

    default_code = Reason.UNKNOWN_INSTRUMENT


class InvalidEvent(UnexpectedPayload):
    """A normalized event broke an invariant."""

    default_code = Reason.INCONSISTENT


class NotALiquidation(LiqscopeError):
    """A well-formed record that is not a liquidation (subscription ack, ordinary trade)."""


class ConfigError(LiqscopeError):
    """Our own configuration (a methodology file, a CLI value) is invalid."""


class UnknownName(ConfigError, ValueError):
    """A name outside a closed set. The message lists every valid value."""

    def __init__(self, what: str, got: object, valid: Iterable[str]) -> None:
        self.what, self.got, self.valid = what, got, sorted(valid)
        super().__init__(f"unknown {what} {got!r}; valid values: {', '.join(self.valid)}")


class StoreError(LiqscopeError):
    """The lake or the raw journal cannot be read or written."""


class InputUnreadable(StoreError):
    """An input file cannot be opened or decoded at all."""


class NotInLake(StoreError):
    """Something asked for by name (a raw record by its raw_ref) is not in this lake."""


class RegistryError(LiqscopeError):
    """The venue registry is inconsistent (an entry point loads the wrong spec)."""
