# Transcript frames -> the lake, the same way `ingest` writes: raw bytes kept content-addressed, one
# record row per frame, events partitioned by venue and day, bad frames quarantined, one atomic batch.
#
# Record keys depend only on the transcript line (venue, conn id, receipt time, payload), never on the file
# or on how lines were batched: a frame committed live by `capture` and the same frame re-ingested later
# from the transcript (`ingest --format transcript`) have the same key, so the second adds nothing.
#
# It sits beside `ingest`, not in `capture`: ingest reads transcripts without depending on live capture, and
# the capture commit worker commits through it (the import-linter contracts in pyproject.toml).
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope.errors import InputUnreadable, Reason
from liqscope.events import Source
from liqscope.ingest import IngestResult, QuarantinedRecord, _existing, _record_key
from liqscope.normalize import normalize_batch
from liqscope.store import Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._schema import RECORD_SCHEMA
from liqscope.store._writer import BatchWriter, Manifest, store_raw
from liqscope.store.transcript import Marker, is_transcript, iter_lines, read_transcript
from liqscope.venues import _instruments, get_venue

FORMAT = "transcript"
_NS_PER_DAY = 86_400 * 1_000_000_000
_PREVIEW = 2048


class Frame(NamedTuple):
    ref_line: int   # line of the frame inside the raw blob (raw_ref = "<blob sha256>:<ref_line>")
    file_line: int  # line inside the transcript file (for quarantine reports)
    ts: int
    conn: str
    raw: bytes


class RecentIds:
    """The event ids seen lately, to report duplicates (reconnect replays) without querying the lake."""

    def __init__(self, size: int = 200_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return True
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False


def record_key(venue: str, frame: Frame, occurrence: int = 0) -> str:
    """The lake record key of one transcript frame."""
    return _record_key(f"{venue}\0{FORMAT}\0{frame.conn}\0{frame.ts}\0".encode(), frame.raw, occurrence)


def commit_frames(catalog: Catalog, venue: str, blob: bytes, frames: Sequence[Frame], *, file: str,
                  meta: dict[str, str], check_existing: bool, recent: RecentIds | None = None,
                  result: IngestResult | None = None,
                  committed: list[tuple[Manifest, int]] | None = None, known: set[str] | None = None,
                  batch_id: str | None = None,
                  instruments: _instruments.InstrumentTables | None = None,
                  compressed: bytes | None = None) -> IngestResult:
    """Normalize ``frames`` and commit them, with ``blob`` (the transcript text they came from), as one batch.

    Args:
        catalog: The lake.
        venue: Registered venue id.
        blob: Raw bytes kept under its sha256; each frame's ``ref_line`` is a line of it.
        frames: The frames, in transcript order.
        file: The transcript file (for quarantine reports).
        meta: Batch manifest metadata.
        check_existing: Skip frames whose record key is already in the lake (re-ingest); capture knows
            its keys are new and skips the query.
        recent: Event ids seen by this capture, to count duplicates; None queries the lake instead.
        result: Counters to add to (a new ``IngestResult`` when None).
        committed: Gets the batch's manifest and its rows (events + records), when one was committed.
        known: Batch ids the frames' record keys are known to be absent from (capture: every batch present
            at its previous commit, since its frames were appended after it); the commit re-checks the keys
            against every other batch, so a concurrent `ingest` of the same transcript never doubles them.
            Ignored with ``check_existing`` (the lake listing it checked against is used).
        batch_id: Batch id to commit under (``verify`` rebuilds a batch under its own id); default: a new one.
        instruments: Instrument tables to parse with; default: the data dir's.
        compressed: A gzip of exactly ``blob`` already made and fsynced (the transcript member it was appended
            as): kept as the raw blob instead of compressing ``blob`` a second time, and without an fsync of
            its own (``verify --repair`` restores it from the transcript; docs/store.md, "Fsyncs").
    """
    spec = get_venue(venue)
    tables = instruments if instruments is not None else _instruments.tables_for(catalog.root)  # once per batch
    sha = hashlib.sha256(blob).hexdigest()
    result = result or IngestResult(file=file, venue=venue, format=FORMAT, raw_sha256=sha)
    result.records += len(frames)
    seen: Counter[tuple[str, int, bytes]] = Counter()
    keyed = []
    for f in frames:
        k = (f.conn, f.ts, f.raw)
        keyed.append((f, record_key(venue, f, seen[k])))
        seen[k] += 1
    if check_existing:
        catalog.invalidate()
        existing = _existing(catalog, venue, "record_key", [k for _, k in keyed], catalog.records_sql([venue]))
        known = catalog.snapshot()
    else:
        existing = set()

    todo = []
    for f, key in keyed:
        if key in existing:
            result.already_present += 1
        else:
            todo.append((f, key))
    refs = [f"{sha}:{f.ref_line}" for f, _ in todo]
    with _instruments.using(tables):  # once per batch, not per frame
        batch = normalize_batch(spec.decode, spec.parse, [f.raw for f, _ in todo], [f.ts for f, _ in todo], refs,
                                [k for _, k in todo], source=Source.WS)
    rows: dict[str, list[object]] = defaultdict(list)
    bad: list[QuarantinedRecord] = []
    for i, (f, key) in enumerate(todo):
        out = batch.outcomes.get(i)
        if out is None:
            status = "accepted"
        elif out.quarantined:
            status = "quarantined"
            bad.append(QuarantinedRecord(file=file, line=f.file_line, venue=venue, format=FORMAT, field=out.field,
                                         code=out.code or Reason.UNEXPECTED_PAYLOAD, reason=out.error or "",
                                         raw_ref=refs[i],
                                         raw=f.raw[:_PREVIEW].decode("utf-8", "replace")))
        else:
            status = "skipped"
            result.skipped += 1
        for col, val in (("record_key", key), ("venue", venue), ("raw_ref", refs[i]), ("status", status),
                         ("events", batch.counts[i]), ("ts_recv", f.ts)):
            rows[col].append(val)

    events = batch.table
    event_ids = events.column("event_id").to_pylist()
    if recent is None:
        known_ids = _existing(catalog, venue, "event_id", event_ids,
                              catalog.relation_sql(catalog.event_files([venue])))
        recent = RecentIds(size=len(event_ids) + len(known_ids) + 1)
        for event_id in known_ids:
            recent.seen(event_id)
    for event_id in event_ids:
        if recent.seen(event_id):
            result.duplicate += 1
        else:
            result.accepted += 1
    result.quarantined += len(bad)
    result.quarantine_samples = (result.quarantine_samples + bad)[:50]
    if not rows:
        return result

    writer = BatchWriter(catalog.layout, batch_id, known=known)
    # A member handed over was fsynced in its transcript: the blob needs no fsync of its own (docs/store.md).
    store_raw(catalog.layout, sha, blob, compressed=compressed, durable=compressed is None)
    writer.inputs.append(sha)
    for ev_venue, day, table in _by_day(events):
        writer.add_table(catalog.layout.event_part(ev_venue, day, writer.batch), table)
    writer.add_table(catalog.layout.record_part(venue, writer.batch), pa.table(dict(rows), schema=RECORD_SCHEMA))
    if bad:
        qpath = catalog.layout.quarantine / f"{writer.batch}.jsonl"
        writer.add_lines(qpath, (msgspec.json.encode(q) for q in bad))
        result.quarantine_file = str(qpath)
    manifest = writer.commit({"kind": "capture", "venue": venue, "format": FORMAT, "file": file, **meta,
                              **_instruments.manifest_meta(tables, venue)})
    result.already_present += writer.dropped_records  # committed by a concurrent writer meanwhile
    result.accepted = max(0, result.accepted - writer.dropped_events)
    if committed is not None and manifest is not None and manifest.files:
        committed.append((manifest, events.num_rows + len(rows["record_key"]) - writer.dropped_records
                          - writer.dropped_events))
    if manifest is not None and known is not None:
        known |= writer.seen  # every batch present now: later frames are newer than all of them
    catalog.invalidate()
    return result


def _by_day(events: pa.Table) -> list[tuple[str, dt.date, pa.Table]]:
    # The events split by (venue, UTC day of ts_event), in row order within each part.
    if not events.num_rows:
        return []
    days = pc.divide(events.column("ts_event"), _NS_PER_DAY).to_pylist()  # integer division (int64)
    parts: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, key in enumerate(zip(events.column("venue").to_pylist(), days, strict=True)):
        parts[key].append(i)
    out = []
    for (ev_venue, day), idx in parts.items():
        table = events if len(idx) == events.num_rows else events.take(pa.array(idx, type=pa.int64()))
        out.append((ev_venue, day_of_ns(day * _NS_PER_DAY), table))
    return sorted(out, key=lambda p: (p[0], p[1]))


def ingest_transcript(catalog: Catalog, venue: str, path: str | Path, *, raw: bytes | None = None) -> IngestResult:
    """Ingest a capture transcript (``ingest --format transcript``): idempotent with the live capture.

    ``raw``: the transcript's bytes, already read (standard input); ``path`` then only names it.

    Raises:
        InputUnreadable: The file cannot be read, is not a transcript, or was recorded for another venue.
    """
    get_venue(venue)
    data, torn = read_transcript(Path(path), raw)
    if not is_transcript(data):
        raise InputUnreadable(f"{path}: not a liqscope transcript (no #TRANSCRIPT header line)")
    frames: list[Frame] = []
    for line in iter_lines(data, name=str(path)):
        if line.payload is not None:
            frames.append(Frame(line.line, line.line, line.ts, line.conn, line.payload))
        elif line.marker is Marker.TRANSCRIPT and line.detail.get("venue") not in (None, venue):
            raise InputUnreadable(f"{path}: a transcript of venue {line.detail.get('venue')}, not {venue}")
    return commit_frames(catalog, venue, data, frames, file=str(path), meta={"torn_tail": str(torn).lower()},
                         check_existing=True)
