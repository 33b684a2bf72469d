"""Decode -> parse -> outcome, the one place that decides what happens to a record.

Parsers raise; this module turns every failure into a quarantine outcome with a reason that names
the field, so the caller (ingest, capture, tests) can keep going without losing anything.
"""

from __future__ import annotations

import decimal
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope._shape import decode_failure, field_path, validation_failure
from liqscope.errors import NotALiquidation, Reason, UnexpectedPayload
from liqscope.events import LiquidationEvent, Received, Source

__all__ = ["MAX_RECORD_BYTES", "PARSE_FAILURES", "Batch", "Outcome", "ascending", "decode_frame_checked",
           "duplicate_key_failure", "normalize_batch", "normalize_record"]

# RecursionError: msgspec gives up on absurdly deep nesting (even inside an ignored field) with it.
PARSE_FAILURES = (msgspec.DecodeError, msgspec.ValidationError, ArithmeticError, UnexpectedPayload,
                  UnicodeDecodeError, OverflowError, RecursionError)
# One record above this is quarantined unparsed (memory stays bounded): 8 MiB is ~120x the largest real
# line we hold (a 68 KB Hyperliquid block) and 8x websockets' default frame limit.
MAX_RECORD_BYTES = 8 * 1024 * 1024


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one record: events, a skip (not a liquidation) or a quarantine.

    Attributes:
        events: The normalized events (empty for skips and quarantines).
        skipped: Why a well-formed record carried no liquidation.
        code: Why the record was quarantined: liqscope's stable reason code.
        error: The same, in the words of whichever check noticed it (detail; may change between releases).
        field: The payload field at fault, when one is.
    """

    events: list[LiquidationEvent] = []
    skipped: str | None = None
    code: Reason | None = None
    error: str | None = None
    field: str | None = None

    @property
    def quarantined(self) -> bool:
        """True when the record could not be normalized."""
        return self.error is not None


def _field_of(exc: BaseException) -> str | None:
    if isinstance(exc, UnexpectedPayload):
        return exc.field
    where, missing = field_path(str(exc))
    # A missing field `s` of the object at `$.o`: the field is o.s, not the object o.
    if missing:
        return f"{where}.{missing}" if where else missing
    return where


def _code_of(exc: BaseException, raw: bytes) -> Reason:
    if isinstance(exc, UnexpectedPayload):
        return exc.code
    if isinstance(exc, msgspec.ValidationError):
        return validation_failure(str(exc), raw)
    if isinstance(exc, msgspec.DecodeError | UnicodeDecodeError):
        return decode_failure(raw)
    if isinstance(exc, RecursionError):
        return Reason.TOO_DEEP
    if isinstance(exc, decimal.InvalidOperation):
        return Reason.BAD_NUMBER
    return Reason.NUMBER_OVERFLOW  # OverflowError, decimal.Overflow and the other ArithmeticErrors


def _duplicate_key_exact(raw: bytes) -> str | None:
    # The reference check: the stdlib parser, reporting the first repeated key of the first object that has one.
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


def _duplicate_key(raw: bytes) -> str | None:
    # msgspec (like most decoders) keeps the LAST of two equal keys; another reader may keep the first.
    # Such a record is ambiguous, so it is quarantined rather than read one way (msgspec issue #648).
    if raw.lstrip()[:1] not in (b"{", b"["):
        return None
    # Cheap exact screen, at C speed: each object member has one colon outside strings, and re-encoding the
    # generic decode writes every DISTINCT key once and every string's colons again. So when the colon
    # counts of the record and of its re-encoding agree, no key was repeated -- provided no string spells a
    # colon as an escape (which the re-encoding would write as a literal colon): those take the exact check.
    if b"\\u" not in raw:
        try:
            if msgspec.json.encode(msgspec.json.decode(raw)).count(b":") == raw.count(b":"):
                return None
        except (msgspec.DecodeError, msgspec.EncodeError, RecursionError, OverflowError, ValueError):
            pass  # not JSON to msgspec (NaN, huge numbers, ...): the stdlib decides
    return _duplicate_key_exact(raw)


def decode_frame_checked(decode: Callable[[bytes], Any], frame: bytes) -> Any:
    """Decode the venue frame inside a longer line (a line that carries its receipt time, ``_received``),
    a failure classified on the frame's own bytes as ``normalize_record`` classifies a bare frame's.

    Raises:
        UnexpectedPayload: With the reason code and field ``normalize_record`` would have given the frame.
    """
    try:
        return decode(frame)
    except PARSE_FAILURES as e:
        raise UnexpectedPayload(f"{type(e).__name__}: {e}", field=_field_of(e), code=_code_of(e, frame)) from e


def duplicate_key_failure(frame: bytes) -> UnexpectedPayload | None:
    """The ambiguity ``normalize_record`` quarantines after a frame parsed (or was skipped): a key named twice."""
    if (key := _duplicate_key(frame)) is None:
        return None
    return UnexpectedPayload(f"DuplicateKey: key {key!r} appears twice in one JSON object (ambiguous)", field=key,
                             code=Reason.DUPLICATE_KEY)


def normalize_record(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                     raw: bytes, rx: Received) -> Outcome:
    """Decode and parse one raw record; never raises for bad input.

    Besides the parser's own checks, two apply to every venue: a record above ``MAX_RECORD_BYTES`` is
    quarantined unparsed, and a JSON record with a duplicated object key is quarantined as ambiguous.
    """
    if len(raw) > MAX_RECORD_BYTES:
        return Outcome(code=Reason.RECORD_TOO_LARGE,
                       error=f"RecordTooLarge: {len(raw):,} bytes, above the limit of {MAX_RECORD_BYTES:,} bytes "
                             "per record")
    try:
        out = Outcome(events=parse(decode(raw), rx))
    except NotALiquidation as e:
        out = Outcome(skipped=str(e))
    except PARSE_FAILURES as e:
        return Outcome(code=_code_of(e, raw), error=f"{type(e).__name__}: {e}", field=_field_of(e))
    if (dup := duplicate_key_failure(raw)) is not None:
        return Outcome(code=dup.code, error=str(dup), field=dup.field)
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


def _fast_path(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]]) -> Any:
    # The venue whose own decode + parse these are, if it declares a columnar fast path (formats never do).
    from liqscope._registry import venues  # lazy: venues import this module's constants

    for spec in venues().values():
        if spec.parse_batch is not None and spec.decode is decode and spec.parse is parse:
            return spec.parse_batch
    return None


def normalize_batch(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                    raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], record_keys: Sequence[str],
                    *, source: Source, synthetic: bool = False, fast: bool = True,
                    parse_batch: Any = None) -> Batch:
    """Normalize many records to lake rows; the same outcome, record by record, as ``normalize_record``.

    When ``decode`` and ``parse`` are a venue's own and the venue declares a columnar fast path
    (``VenueSpec.parse_batch``), the records it takes are normalized in columns, those it proves skipped
    (``BatchPart.skipped``) get the per-record path's skip outcome, and only the others run through
    ``normalize_record``; the result is the same either way (tests/test_normalize_batch.py,
    tests/venues/test_fast_paths.py).

    Args:
        decode: The venue's (or format's) decoder, as for ``normalize_record``.
        parse: Its parser.
        raws: The raw records.
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record (``<blob sha256>:<line>``).
        record_keys: Lake record key of each record (copied onto its event rows).
        source: How the records reached us.
        synthetic: Label every row synthetic.
        fast: Use the venue's columnar fast path when it has one (``False``: record by record only).
        parse_batch: The fast path of a format whose ``decode`` is the venue's own in another signature
            (``Format.parse_batch``); default: the venue's, found by its ``decode`` and ``parse``.
    """
    from liqscope.store._schema import EVENT_SCHEMA, events_to_table  # lazy: the store builds on events

    parse_batch = (parse_batch or _fast_path(decode, parse)) if fast else None
    counts = [0] * len(raws)
    tables: list[pa.Table] = []
    fast_rows = pa.array([], type=pa.int64())
    todo: Sequence[int] = range(len(raws))
    outcomes: dict[int, Outcome] = {}
    if parse_batch is not None and raws:
        part = parse_batch(raws, ts_recv, refs, source)
        todo = part.fallback
        # Records the fast path proved the per-record path skips, with that path's reason (BatchPart.skipped).
        # One (frozen) Outcome per distinct reason: a feed's skips repeat a few reasons (dYdX: per market).
        by_reason: dict[str, Outcome] = {}
        outcomes = {i: by_reason.get(reason) or by_reason.setdefault(reason, Outcome(skipped=reason))
                    for i, reason in part.skipped.items()}
        if part.table is not None and part.table.num_rows:
            tables.append(part.table)
            fast_rows = part.rows
            if len(fast_rows) == len(raws) and ascending(fast_rows, strictly=True):  # one row per record, each once
                counts = [1] * len(raws)                                  # (the common case): no loop
            else:
                for i in fast_rows.to_pylist():
                    counts[i] += 1
    events: list[LiquidationEvent] = []
    slow_rows: list[int] = []
    skipped_fast = bool(outcomes)
    for i in todo:
        out = normalize_record(decode, parse, raws[i], Received(ts_ns=ts_recv[i], ref=refs[i], source=source))
        if out.quarantined or out.skipped is not None:
            outcomes[i] = out
        else:
            events.extend(out.events)
            slow_rows.extend([i] * len(out.events))
            counts[i] = len(out.events)
    # Fast skips then per-record outcomes: back to record order (checked in a pass: a sort took ~3x as long).
    if skipped_fast and len(outcomes) > 1 and any(a > b for a, b in itertools.pairwise(outcomes)):
        outcomes = dict(sorted(outcomes.items()))
    if not tables:
        keys = [record_keys[i] for i in slow_rows]
        return Batch(table=events_to_table(events, keys, synthetic=synthetic), counts=counts, outcomes=outcomes)
    index = fast_rows
    if events:
        tables.append(events_to_table(events, [""] * len(events)))
        index = pa.concat_arrays([fast_rows, pa.array(slow_rows, type=pa.int64())])
    names = [f.name for f in EVENT_SCHEMA if f.name not in ("record_key", "synthetic")]
    table = pa.concat_tables([_with_columns(t, names) for t in tables])
    if len(tables) > 1:  # fast rows then per-record rows: back to record order (a stable sort)
        order = pc.sort_indices(index)
        table, index = table.take(order), index.take(order)
    table = table.append_column("record_key", pa.array(record_keys, type=pa.string()).take(index))
    table = table.append_column("synthetic", pa.repeat(pa.scalar(synthetic), table.num_rows))
    return Batch(table=table.cast(EVENT_SCHEMA), counts=counts, outcomes=outcomes)


def ascending(index: pa.Array, *, strictly: bool) -> bool:
    """Whether each value of ``index`` is above (``strictly``) or at least the one before it: one pass."""
    before, after = index.slice(0, max(0, len(index) - 1)), index.slice(1)
    return len(index) < 2 or bool(pc.all((pc.less if strictly else pc.less_equal)(before, after)).as_py())


def _with_columns(table: pa.Table, names: list[str]) -> pa.Table:
    # A venue's columnar fast path builds the columns its venue has; the lending-only ones stay NULL.
    from liqscope.store._schema import EVENT_SCHEMA

    for name in names:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, EVENT_SCHEMA.field(name).type))
    return table.select(names)
