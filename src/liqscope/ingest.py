"""Ingest files of raw venue records into the lake: keep the raw bytes, normalize, quarantine, commit.

Idempotent per source record: a record's key is (venue, format, file name, the record's bytes, and
which repeat of those bytes it is within the file), so ingesting the same file again, or a file that
has grown, adds only what is new. Two *different* sources carrying the same liquidation are both
stored (one row per copy); counting rules decide how often it counts.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pyarrow as pa

from liqscope.errors import InputUnreadable, UnknownName
from liqscope.events import LiquidationEvent, Received, Source
from liqscope.normalize import normalize_record
from liqscope.simulate import is_synthetic, is_synthetic_marker
from liqscope.store import Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._schema import RECORD_SCHEMA, events_to_table
from liqscope.store._writer import BatchWriter, store_raw
from liqscope.venues import _instruments, get_venue

__all__ = ["IngestResult", "QuarantinedRecord", "formats_of", "ingest_bytes", "ingest_file"]

JSONL = "jsonl"
TRANSCRIPT = "transcript"  # capture transcripts (liqscope.capture.transcript), also detected by their header
_PREVIEW = 2048


class QuarantinedRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One bad record: where it was, which field, why, and where its raw bytes are kept."""

    file: str
    line: int
    venue: str
    format: str
    field: str | None
    reason: str
    raw_ref: str
    raw: str


class IngestResult(msgspec.Struct, kw_only=True):
    """Counts for one ingested file (records are input lines/rows; events are liquidations)."""

    file: str
    venue: str
    format: str
    records: int = 0
    accepted: int = 0          # events stored whose liquidation was not in the lake before
    duplicate: int = 0         # events stored as another copy of a known liquidation, or repeats dropped
    already_present: int = 0   # records ingested before: nothing added
    skipped: int = 0           # well-formed records that carry no liquidation (acks, plain trades)
    quarantined: int = 0
    quarantine_file: str | None = None
    quarantine_samples: list[QuarantinedRecord] = []
    raw_sha256: str = ""
    synthetic: bool = False    # simulated input (`liqscope simulate` marker, or asked for): every row is labelled


def formats_of(venue_id: str) -> list[str]:
    """Input formats ``ingest --format`` accepts for a venue."""
    return [JSONL, TRANSCRIPT, *sorted(get_venue(venue_id).formats)]


def _read_input(path: Path) -> tuple[bytes, str]:
    # Returns the bytes to parse and the name that carries meaning (a zip member's own name).
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputUnreadable(f"{path}: cannot read: {e.strerror or e}") from None
    name = path.name
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data), name.removesuffix(".gz")
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise InputUnreadable(f"{path}: expected one file inside the zip, found {len(members)}")
                return zf.read(members[0]), members[0].rsplit("/", 1)[-1]
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise InputUnreadable(f"{path}: cannot decompress: {e}") from None
    return data, name


def _jsonl_lines(data: bytes, _name: str) -> Iterator[tuple[int, bytes]]:
    for n, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if line or n < data.count(b"\n") + 1:  # keep interior blank lines (they are bad records)
            yield n, line


def _record_key(prefix: bytes, raw: bytes, occurrence: int) -> str:
    h = hashlib.blake2b(prefix, digest_size=16)
    h.update(occurrence.to_bytes(4, "little"))
    h.update(raw)
    return h.hexdigest()


def ingest_file(catalog: Catalog, venue: str, path: Path, fmt: str = JSONL,
                progress: Callable[[int, int], None] | None = None, *, synthetic: bool = False) -> IngestResult:
    """Ingest one file of ``venue`` records in format ``fmt`` and commit it as one batch.

    Args:
        catalog: The data directory to write into.
        venue: A registered venue id.
        path: The input file (plain, ``.gz`` or single-file ``.zip``).
        fmt: ``jsonl`` (one raw websocket message per line) or one of the venue's formats.
        progress: Called with (records done, records total) now and then.
        synthetic: Label every row synthetic. Files written by ``liqscope simulate`` carry a marker
            line and are labelled so whatever this says.

    Raises:
        UnknownName: Unknown venue or format (the message lists the valid ones).
        InputUnreadable: The file cannot be read at all.
    """
    from liqscope.capture import ingest_transcript, transcript  # lazy: capture builds on this module

    if fmt == TRANSCRIPT or (fmt == JSONL and transcript.looks_like_transcript(Path(path))):
        return ingest_transcript(catalog, venue, Path(path))  # a `liqscope capture` transcript (docs/capture.md)
    spec = get_venue(venue)
    if fmt != JSONL and fmt not in spec.formats:
        raise UnknownName(f"format for venue {venue}", fmt, formats_of(venue))
    data, name = _read_input(Path(path))
    return ingest_bytes(catalog, venue, data, name, fmt, label=str(path), progress=progress, synthetic=synthetic)


def ingest_bytes(catalog: Catalog, venue: str, data: bytes, name: str, fmt: str = JSONL, *, label: str,
                 progress: Callable[[int, int], None] | None = None, ts_recv: int | None = None,
                 batch: str | None = None, synthetic: bool = False,
                 instruments: _instruments.InstrumentTables | None = None) -> IngestResult:
    """Ingest the (decompressed) bytes of one input and commit them as one batch.

    ``ingest_file`` reads a file and calls this; ``liqscope verify`` replays a committed batch through
    it from the raw journal with the batch's own name, receipt time and batch id.

    Args:
        catalog: The data directory to write into.
        venue: A registered venue id.
        data: The input's bytes (what the raw journal keeps).
        name: The input's meaningful name (archive formats read the symbol from it).
        fmt: ``jsonl`` or one of the venue's formats.
        label: The input as the user named it (reported, and kept in quarantine records).
        progress: Called with (records done, records total) now and then.
        ts_recv: Receipt time to stamp on file records; default: now.
        batch: Batch id to commit under; default: a new one.
        synthetic: Label every row synthetic (also done whenever ``data`` carries the simulator's marker).
        instruments: Instrument tables to parse with; default: the data dir's refreshed tables
            (``DATA_DIR/instruments/``), bundled snapshots otherwise. The manifest records which.

    Raises:
        UnknownName: Unknown venue or format (the message lists the valid ones).
    """
    spec = get_venue(venue)
    if fmt != JSONL and fmt not in spec.formats:
        raise UnknownName(f"format for venue {venue}", fmt, formats_of(venue))
    tables = instruments if instruments is not None else _instruments.tables_for(catalog.root)  # once per batch
    if fmt == JSONL:
        split, decode, parse, source, repeats = _jsonl_lines, spec.decode, spec.parse, Source.FILE, False
    else:
        f = spec.formats[fmt]
        split, parse, source, repeats = f.split, f.parse, Source(f.source), f.drop_exact_repeats
        decode = lambda raw, _n=name, _d=f.decode: _d(raw, _n)  # noqa: E731
    sha = hashlib.sha256(data).hexdigest()
    result = IngestResult(file=label, venue=venue, format=fmt, raw_sha256=sha,
                          synthetic=synthetic or is_synthetic(data))
    records = list(split(data, name))
    result.records = len(records)
    if progress:
        progress(0, len(records))

    prefix = f"{venue}\0{fmt}\0{name}\0".encode()
    seen: Counter[bytes] = Counter()
    keyed = []
    for n, raw in records:
        keyed.append((n, raw, _record_key(prefix, raw, seen[raw]), seen[raw]))
        seen[raw] += 1
    existing = _existing(catalog, venue, "record_key", [k for _, _, k, _ in keyed], catalog.records_sql([venue]))

    if ts_recv is None:
        ts_recv = time.time_ns()  # files carry no receipt time: "received" is when we read the file
    writer = BatchWriter(catalog.layout, batch)
    events: list[LiquidationEvent] = []
    event_keys: list[str] = []
    rec_rows: dict[str, list[object]] = defaultdict(list)
    bad: list[QuarantinedRecord] = []
    with _instruments.using(tables):  # once per batch, not per record: this loop is the hot path
        for i, (n, raw, key, occurrence) in enumerate(keyed):
            if progress and i % 5000 == 0:
                progress(i, len(keyed))
            if key in existing:
                result.already_present += 1
                continue
            ref = f"{sha}:{n}"
            if repeats and occurrence > 0:
                status, count = "repeat", 0
                result.duplicate += 1
            elif result.synthetic and is_synthetic_marker(raw):
                status, count = "skipped", 0  # the simulator's label, not a venue record
                result.skipped += 1
            elif not raw.strip():
                status, count = "quarantined", 0
                bad.append(QuarantinedRecord(file=label, line=n, venue=venue, format=fmt, field=None,
                                             reason="blank line", raw_ref=ref, raw=""))
            else:
                out = normalize_record(decode, parse, raw, Received(ts_ns=ts_recv, ref=ref, source=source))
                count = len(out.events)
                if out.quarantined:
                    status = "quarantined"
                    bad.append(QuarantinedRecord(
                        file=label, line=n, venue=venue, format=fmt, field=out.field, reason=out.error or "",
                        raw_ref=ref, raw=raw[:_PREVIEW].decode("utf-8", "replace")))
                elif out.skipped is not None:
                    status = "skipped"
                    result.skipped += 1
                else:
                    status = "accepted"
                    events.extend(out.events)
                    event_keys.extend([key] * count)
            for col, val in (("record_key", key), ("venue", venue), ("raw_ref", ref), ("status", status),
                             ("events", count), ("ts_recv", ts_recv)):
                rec_rows[col].append(val)
    if progress:
        progress(len(keyed), len(keyed))

    known = _existing(catalog, venue, "event_id", [e.event_id for e in events],
                      catalog.relation_sql(catalog.event_files([venue])))
    for e in events:
        if e.event_id in known:
            result.duplicate += 1
        else:
            result.accepted += 1
            known.add(e.event_id)
    result.quarantined = len(bad)
    result.quarantine_samples = bad[:50]

    if not rec_rows:
        return result  # everything was already present: nothing to commit
    try:
        _commit(catalog, writer, venue, fmt, sha, data, events, event_keys, rec_rows, bad, result,
                {"kind": "ingest", "file": label, "venue": venue, "format": fmt, "name": name,
                 "ts_recv": str(ts_recv), **({"synthetic": "true"} if result.synthetic else {}),
                 **_instruments.manifest_meta(tables, venue)})
    except BaseException:
        writer.abort()
        raise
    catalog.invalidate()
    return result


def _commit(catalog: Catalog, writer: BatchWriter, venue: str, fmt: str, sha: str, data: bytes,
            events: list[LiquidationEvent], event_keys: list[str], rec_rows: dict[str, list[object]],
            bad: list[QuarantinedRecord], result: IngestResult, meta: dict[str, str]) -> None:
    store_raw(catalog.layout, sha, data)
    writer.inputs.append(sha)
    if events:
        by_day: dict[tuple[str, object], list[int]] = defaultdict(list)
        for i, e in enumerate(events):
            by_day[(e.venue, day_of_ns(e.ts_event))].append(i)
        for (ev_venue, day), idx in sorted(by_day.items(), key=lambda kv: str(kv[0])):
            table = events_to_table([events[i] for i in idx], [event_keys[i] for i in idx],
                                    synthetic=result.synthetic)
            writer.add_table(catalog.layout.event_part(ev_venue, day, writer.batch), table)  # type: ignore[arg-type]
    writer.add_table(catalog.layout.record_part(venue, writer.batch),
                     pa.table(dict(rec_rows), schema=RECORD_SCHEMA))
    if bad:
        qpath = catalog.layout.quarantine / f"{writer.batch}.jsonl"
        writer.add_lines(qpath, (msgspec.json.encode(q) for q in bad))
        result.quarantine_file = str(qpath)
    writer.commit(meta)


def _existing(catalog: Catalog, venue: str, column: str, keys: list[str], relation: str) -> set[str]:
    if not keys or relation.startswith("(SELECT"):
        return set()
    con = catalog.connect()
    try:
        con.register("_keys", pa.table({"k": pa.array(keys, pa.string())}))
        rows = con.execute(f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IN (SELECT k FROM _keys)")
        return {r[0] for r in rows.fetchall()}
    finally:
        con.close()
