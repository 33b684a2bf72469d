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
    │   ├── LakeWriteFailed      a write failed (disk full, file too large, permission): nothing committed
    │   ├── LakeDamaged          a committed file is torn or unreadable: `liqscope verify` names the damage
    │   └── CommitConflict       a replacing commit (compact, rollup) lost its batches to another one
    └── RegistryError            the venue registry is inconsistent

Only ``capture``/``ingest`` catch ``UnexpectedPayload`` (to quarantine) and only ``cli`` turns a
``LiqscopeError`` into a user-facing message.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CommitConflict",
    "ConfigError",
    "InputUnreadable",
    "InvalidEvent",
    "LakeDamaged",
    "LakeWriteFailed",
    "LiqscopeError",
    "NotALiquidation",
    "RegistryError",
    "StoreError",
    "UnexpectedPayload",
    "UnknownInstrument",
    "UnknownName",
]


class LiqscopeError(Exception):
    """Base class of every error liqscope raises on purpose."""


class UnexpectedPayload(LiqscopeError):
    """A venue record that cannot be normalized.

    Args:
        message: What was wrong, in the venue's vocabulary.
        field: The payload field at fault (e.g. ``"o.S"``), when one field is to blame.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def reason(self) -> str:
        """A short, stable reason used to group quarantined records."""
        return type(self).__name__ + (f"({self.field})" if self.field else "")


class UnknownInstrument(UnexpectedPayload):
    """The instrument is missing from the bundled metadata, so its contract size is unknown."""


class InvalidEvent(UnexpectedPayload):
    """A normalized event broke an invariant."""


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


class LakeWriteFailed(StoreError):
    """Writing to the data directory failed (disk full, file size limit, permission); nothing was committed."""


class LakeDamaged(StoreError):
    """A committed lake file (a manifest or a Parquet part) is torn or unreadable."""


class CommitConflict(StoreError):
    """A replacing commit found a batch it merges already replaced by another commit (it re-plans)."""


class RegistryError(LiqscopeError):
    """The venue registry is inconsistent (an entry point loads the wrong spec)."""
