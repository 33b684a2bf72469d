"""Decode -> parse -> outcome, the one place that decides what happens to a record.

Parsers raise; this module turns every failure into a quarantine outcome with a reason that names
the field, so the caller (ingest, capture, tests) can keep going without losing anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow as pa

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationEvent, Received, Source

__all__ = ["MAX_RECORD_BYTES", "PARSE_FAILURES", "Batch", "Outcome", "normalize_batch", "normalize_record"]

# RecursionError: msgspec gives up on absurdly deep nesting (even inside an ignored field) with it.
PARSE_FAILURES = (msgspec.DecodeError, msgspec.ValidationError, ArithmeticError, UnexpectedPayload,
                  UnicodeDecodeError, OverflowError, RecursionError)
_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]*)`")
# One record above this is quarantined unparsed (memory stays bounded): 8 MiB is ~120x the largest real
# line we hold (a 68 KB Hyperliquid block) and 8x websockets' default frame limit.
MAX_RECORD_BYTES = 8 * 1024 * 1024


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
    where = m.group(1) if m else None
    # "Object missing required field `s` - at `$.o`": the field is o.s, not the object o.
    if missing := _MISSING.search(str(exc)):
        return f"{where}.{missing.group(1)}" if where else missing.group(1)
    return where


def _duplicate_key(raw: bytes) -> str | None:
    # msgspec (like most decoders) keeps the LAST of two equal keys; another reader may keep the first.
    # Such a record is ambiguous, so it is quarantined rather than read one way (msgspec issue #648).
    if raw.lstrip()[:1] not in (b"{", b"["):
        return None
    found: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> None:
        keys = [k for k, _ in pairs]
        if not found and len(set(keys)) != len(keys):
            found.append(next(k for i, k in enumerate(keys) if k in keys[:i]))

    try:
        json.loads(raw, object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        return None  # not JSON to the stdlib: the venue decoder has already judged the record
    return found[0] if found else None


def normalize_record(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                     raw: bytes, rx: Received) -> Outcome:
    """Decode and parse one raw record; never raises for bad input.

    Besides the parser's own checks, two apply to every venue: a record above ``MAX_RECORD_BYTES`` is
    quarantined unparsed, and a JSON record with a duplicated object key is quarantined as ambiguous.
    """
    if len(raw) > MAX_RECORD_BYTES:
        return Outcome(error=f"RecordTooLarge: {len(raw):,} bytes, above the limit of {MAX_RECORD_BYTES:,} "
                             "bytes per record")
    try:
        out = Outcome(events=parse(decode(raw), rx))
    except NotALiquidation as e:
        out = Outcome(skipped=str(e))
    except PARSE_FAILURES as e:
        kind = type(e).__name__
        return Outcome(error=f"{kind}: {e}", field=_field_of(e))
    if (key := _duplicate_key(raw)) is not None:
        return Outcome(error=f"DuplicateKey: key {key!r} appears twice in one JSON object (ambiguous)", field=key)
    return out


@dataclass(kw_only=True)
class Batch:
    """What became of a batch of records, in columns (``normalize_batch``).

    Attributes:
        table: The events of every accepted record, in record order, as lake rows (``EVENT_SCHEMA``,
            ``record_key`` and ``synthetic`` filled in).
        counts: Events per record (0 for skipped and quarantined records).
        outcomes: Index -> ``Outcome`` (without events) of each record that was skipped or quarantined.
    """

    table: pa.Table
    counts: list[int]
    outcomes: dict[int, Outcome] = field(default_factory=dict)


def normalize_batch(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                    raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], record_keys: Sequence[str],
                    *, source: Source, synthetic: bool = False) -> Batch:
    """Normalize many records to lake rows; the same outcome, record by record, as ``normalize_record``.

    Args:
        decode: The venue's (or format's) decoder, as for ``normalize_record``.
        parse: Its parser.
        raws: The raw records.
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record (``<blob sha256>:<line>``).
        record_keys: Lake record key of each record (copied onto its event rows).
        source: How the records reached us.
        synthetic: Label every row synthetic.
    """
    from liqscope.store._schema import events_to_table  # lazy: the store builds on events, not on this

    events: list[LiquidationEvent] = []
    keys: list[str] = []
    counts: list[int] = []
    outcomes: dict[int, Outcome] = {}
    for i, raw in enumerate(raws):
        out = normalize_record(decode, parse, raw, Received(ts_ns=ts_recv[i], ref=refs[i], source=source))
        if out.quarantined or out.skipped is not None:
            outcomes[i] = out
            counts.append(0)
        else:
            events.extend(out.events)
            keys.extend([record_keys[i]] * len(out.events))
            counts.append(len(out.events))
    return Batch(table=events_to_table(events, keys, synthetic=synthetic), counts=counts, outcomes=outcomes)
