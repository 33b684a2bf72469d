"""Decode -> parse -> outcome, the one place that decides what happens to a record.

Parsers raise; this module turns every failure into a quarantine outcome with a reason that names
the field, so the caller (ingest, capture, tests) can keep going without losing anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationEvent, Received

__all__ = ["PARSE_FAILURES", "Outcome", "normalize_record"]

PARSE_FAILURES = (msgspec.DecodeError, msgspec.ValidationError, ArithmeticError, UnexpectedPayload,
                  UnicodeDecodeError, OverflowError)
_PATH = re.compile(r"at `\$\.?([^`]*)`")


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one record: events, a skip (not a liquidation) or a quarantine.

    Attributes:
        events: The normalized events (empty for skips and quarantines).
        skipped: Why a well-formed record carried no liquidation.
        error: Why the record was quarantined.
        field: The payload field at fault, when one is.
    """

    events: list[LiquidationEvent] = []
    skipped: str | None = None
    error: str | None = None
    field: str | None = None

    @property
    def quarantined(self) -> bool:
        """True when the record could not be normalized."""
        return self.error is not None


def _field_of(exc: BaseException) -> str | None:
    if isinstance(exc, UnexpectedPayload):
        return exc.field
    m = _PATH.search(str(exc))
    return m.group(1) if m else None


def normalize_record(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                     raw: bytes, rx: Received) -> Outcome:
    """Decode and parse one raw record; never raises for bad input."""
    try:
        return Outcome(events=parse(decode(raw), rx))
    except NotALiquidation as e:
        return Outcome(skipped=str(e))
    except PARSE_FAILURES as e:
        kind = type(e).__name__
        return Outcome(error=f"{kind}: {e}", field=_field_of(e))
