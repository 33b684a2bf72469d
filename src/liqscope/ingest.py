"""Ingest files of raw venue records into the lake: keep the raw bytes, normalize, quarantine, commit.

Idempotent per source record: a record's key is (venue, format, file name, the record's bytes, and
which repeat of those bytes it is within the file), so ingesting the same file again, or a file that
has grown, adds only what is new. Two *different* sources carrying the same liquidation are both
stored (one row per copy); counting rules decide how often it counts. So is an exact repeat of a record
within one file (Binance's archive writes every row twice): a record of its own, keyed by its occurrence,
whose events are further copies of the same liquidations (``IngestResult.repeats``).

A file is read twice as a stream (``liqscope._ingest_read``): a scan for its sha256 and the records that
may repeat, then chunks of ``CHUNK_RECORDS`` records, each normalized and staged as its own Parquet parts
(written on a worker thread while the next chunk is normalized; the raw journal is compressed on another);
the batch manifest, written last, commits them all at once. Memory is two chunks at most, not one file; a line
above ``MAX_RECORD_BYTES`` is never held whole, and blank lines are counted, not stored. Standard input,
pipes and FIFOs are spooled to an anonymous temp file in the data directory first (docs/store.md, "Input").
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope import _ingest_read
from liqscope._ingest_read import (
    WHOLE_BYTES,
    Background,
    BlankLines,
    Input,
    LineSplitter,
    Oversized,
    Scan,
    bytes_input,
    open_input,
    record_chunks,
    scan_records,
    scan_stream,
    spool_input,
)
from liqscope._received import ReceivedAt, parse_received_at, sniff, stamped
from liqscope._registry import ParseBatch
from liqscope.errors import ConfigError, InputUnreadable, Reason, StoreError, UnknownName
from liqscope.events import LiquidationEvent, Received, Source
from liqscope.normalize import MAX_RECORD_BYTES, normalize_batch
from liqscope.simulate import SYNTHETIC_MARKER, is_synthetic_marker
from liqscope.store import Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._schema import RECORD_SCHEMA
from liqscope.store._writer import BatchWriter, RawJournal, damaged, recover, store_raw
from liqscope.store.transcript import is_transcript
from liqscope.venues import _instruments, get_venue

__all__ = ["IngestResult", "QuarantinedRecord", "formats_of", "ingest_bytes", "ingest_file", "ingest_stream"]

JSONL = "jsonl"
TRANSCRIPT = "transcript"  # capture transcripts (liqscope.store.transcript), also detected by their header
_PREVIEW = 2048
_DAY_NS = 86_400 * 10**9
_BLANK = re.compile(rb"(?:^|\n)[ \t\r\x0b\x0c]*(?:\n|\Z)")  # an empty or whitespace-only record (bytes.isspace)


class QuarantinedRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One bad record: where it was, which field, why, and where its raw bytes are kept.

    ``code`` is liqscope's stable reason (``liqscope.errors.Reason``); ``reason`` is the detail, in the
    words of whichever check noticed it, and may change when a dependency does.

    Attributes:
        raw: A preview of the record's bytes (the raw journal keeps them all, under ``raw_ref``).
        offset: For a line above ``MAX_RECORD_BYTES``: its byte offset in the (decompressed) input.
        length: ... and its length in bytes; ``raw`` then holds only its first bytes.
        last_line: For the one entry that sums up an input's blank lines: the last of them (``line``: the first).
        count: ... and how many there are.
    """

    file: str
    line: int
    venue: str
    format: str
    field: str | None
    code: str
    reason: str
    raw_ref: str
    raw: str
    offset: int | None = None
    length: int | None = None
    last_line: int | None = None
    count: int | None = None


class IngestResult(msgspec.Struct, kw_only=True):
    """Counts for one ingested file (records are input lines/rows; events are liquidations)."""

    file: str
    venue: str
    format: str
    records: int = 0
    accepted: int = 0          # events stored whose liquidation was not in the lake before
    duplicate: int = 0         # events stored as another copy of a known liquidation
    repeats: int = 0           # records repeating an earlier one of this input byte for byte: stored as copies
    already_present: int = 0   # records ingested before: nothing added
    skipped: int = 0           # well-formed records that carry no liquidation (acks, plain trades)
    quarantined: int = 0
    blank_lines: int = 0       # empty or whitespace-only lines: counted (one quarantine entry), not records
    quarantine_file: str | None = None
    quarantine_samples: list[QuarantinedRecord] = []
    raw_sha256: str = ""
    synthetic: bool = False    # simulated input (`liqscope simulate` marker, or asked for): every row is labelled


def formats_of(venue_id: str) -> list[str]:
    """Input formats ``ingest --format`` accepts for a venue."""
    return [JSONL, TRANSCRIPT, *sorted(get_venue(venue_id).formats)]


def ingest_file(catalog: Catalog, venue: str, path: Path, fmt: str = JSONL,
                progress: Callable[[int, int], None] | None = None, *, synthetic: bool = False,
                received_at: str | None = None) -> IngestResult:
    """Ingest one file of ``venue`` records in format ``fmt`` and commit it as one batch.

    The file is streamed (gzip and zip members too) and written in chunks under one atomic commit, so
    memory does not grow with its size (``jsonl``; other formats are split whole by their venue).

    Args:
        catalog: The data directory to write into.
        venue: A registered venue id.
        path: The input file (plain, ``.gz`` or single-file ``.zip``). One that can be read only once
            (``/dev/stdin``, a pipe, a named FIFO) is first copied to an anonymous temp file in the data
            directory, a block at a time.
        fmt: ``jsonl`` (one raw websocket message per line) or one of the venue's formats.
        progress: Called with (records done, records total) after each chunk.
        synthetic: Label every row synthetic. Files written by ``liqscope simulate`` carry a marker
            line and are labelled so whatever this says.
        received_at: Where each ``jsonl`` line keeps its receipt time (``tardis`` or ``FIELD[:UNIT]``, see
            ``liqscope._received``); Tardis raw-data lines are recognised without it. Without one, a
            line's receipt time is the moment of ingest, and a timeless venue's file is refused.

    Raises:
        UnknownName: Unknown venue or format (the message lists the valid ones).
        ConfigError: A malformed ``received_at``, or one given for a format other than ``jsonl``.
        InputUnreadable: The file cannot be read at all, changed while it was being ingested, or holds
            a timeless venue's frames with no receipt time.
    """
    _check_name(venue, fmt)
    at = _received_at(fmt, received_at)
    with open_input(Path(path), spool_dir=catalog.root) as inp:
        return _ingest_input(catalog, venue, inp, fmt, str(path), progress, synthetic, at)


def ingest_stream(catalog: Catalog, venue: str, stream: IO[bytes], fmt: str = JSONL, *, name: str = "stdin",
                  label: str = "<stdin>", progress: Callable[[int, int], None] | None = None,
                  synthetic: bool = False, received_at: str | None = None) -> IngestResult:
    """Ingest what ``stream`` gives until its end (``liqscope ingest -``: standard input), as one batch.

    The stream is read once, a block at a time, into an anonymous temp file in the data directory (it
    goes with the process, however that ends), then ingested like a file of that content.

    Args:
        catalog: The data directory to write into.
        venue: A registered venue id.
        stream: A binary stream (plain, gzip or single-file zip bytes).
        fmt: As for ``ingest_file``.
        name: The input's meaningful name: it goes into record keys, so the same content given under the
            same name again adds nothing.
        label: The input as reported, and kept in quarantine records.
        progress: As for ``ingest_file``.
        synthetic: As for ``ingest_file``.
        received_at: As for ``ingest_file``.

    Raises:
        UnknownName: Unknown venue or format (the message lists the valid ones).
        ConfigError: As for ``ingest_file``.
        InputUnreadable: The stream cannot be read, or cannot be copied into the data directory, or holds
            a timeless venue's frames with no receipt time.
    """
    _check_name(venue, fmt)
    at = _received_at(fmt, received_at)
    with spool_input(stream, label, name, catalog.root) as inp:
        return _ingest_input(catalog, venue, inp, fmt, label, progress, synthetic, at)


def _check_name(venue: str, fmt: str) -> None:
    if fmt != TRANSCRIPT:
        _check_format(venue, fmt)
    else:
        get_venue(venue)


def _received_at(fmt: str, received_at: str | None) -> ReceivedAt | None:
    if received_at is None:
        return None
    if fmt != JSONL:
        raise ConfigError(f"--received-at applies to --format {JSONL} (raw frames); {fmt} records carry their own "
                          "receipt time or none")
    return parse_received_at(received_at)


def _ingest_input(catalog: Catalog, venue: str, inp: Input, fmt: str, label: str,
                  progress: Callable[[int, int], None] | None, synthetic: bool,
                  at: ReceivedAt | None = None) -> IngestResult:
    from liqscope._ingest_transcript import ingest_transcript  # lazy: it builds on this module

    # The format sniff peeks at the input's first bytes through its own reader: it consumes nothing.
    if fmt == TRANSCRIPT or (fmt == JSONL and is_transcript(inp.head(4096))):
        # a `liqscope capture` transcript (docs/capture.md); read whole, as capture writes them
        return ingest_transcript(catalog, venue, label, raw=inp.raw_bytes() if inp.spooled else None)
    return _ingest(catalog, venue, inp, fmt, label=label, progress=progress, synthetic=synthetic, at=at)


def ingest_bytes(catalog: Catalog, venue: str, data: bytes, name: str, fmt: str = JSONL, *, label: str,
                 progress: Callable[[int, int], None] | None = None, ts_recv: int | None = None,
                 batch: str | None = None, synthetic: bool = False,
                 instruments: _instruments.InstrumentTables | None = None,
                 received_at: str | None = None, drop_repeats: bool = False) -> IngestResult:
    """Ingest the (decompressed) bytes of one input and commit them as one batch.

    ``liqscope verify`` replays a committed batch through this from the raw journal with the batch's
    own name, receipt time and batch id; the rows are the same as ``ingest_file`` wrote.

    Args:
        catalog: The data directory to write into.
        venue: A registered venue id.
        data: The input's bytes (what the raw journal keeps).
        name: The input's meaningful name (archive formats read the symbol from it).
        fmt: ``jsonl`` or one of the venue's formats.
        label: The input as the user named it (reported, and kept in quarantine records).
        progress: Called with (records done, records total) after each chunk.
        ts_recv: Receipt time to stamp on file records; default: now.
        batch: Batch id to commit under; default: a new one.
        synthetic: Label every row synthetic (also done whenever ``data`` carries the simulator's marker).
        instruments: Instrument tables to parse with; default: the data dir's refreshed tables
            (``DATA_DIR/instruments/``), bundled snapshots otherwise. The manifest records which.
        received_at: As for ``ingest_file`` (the manifest records the one a batch was read with).
        drop_repeats: Drop exact repeats of a ``repeats_records`` format instead of storing them, as ingest
            did before repeats were stored (``verify`` replays such a batch, whose manifest has no
            ``repeats`` entry, this way). Ignored for other formats.

    Raises:
        UnknownName: Unknown venue or format (the message lists the valid ones).
        ConfigError: As for ``ingest_file``.
        InputUnreadable: A timeless venue's frames with no receipt time.
    """
    _check_format(venue, fmt)
    return _ingest(catalog, venue, bytes_input(data, name), fmt, label=label, progress=progress,
                   ts_recv=ts_recv, batch=batch, synthetic=synthetic, instruments=instruments, data=data,
                   at=_received_at(fmt, received_at), drop_repeats=drop_repeats)


def _check_format(venue: str, fmt: str) -> None:
    if fmt != JSONL and fmt not in get_venue(venue).formats:
        raise UnknownName(f"format for venue {venue}", fmt, formats_of(venue))


def _ingest(catalog: Catalog, venue: str, inp: Input, fmt: str, *, label: str,
            progress: Callable[[int, int], None] | None, ts_recv: int | None = None, batch: str | None = None,
            synthetic: bool = False, instruments: _instruments.InstrumentTables | None = None,
            data: bytes | None = None, at: ReceivedAt | None = None, drop_repeats: bool = False) -> IngestResult:
    spec = get_venue(venue)
    repeats: dict[str, str] = {}
    if fmt == JSONL:
        at = at or sniff(inp.head(4096))
        if at is None and not spec.venue_time:
            raise InputUnreadable(
                f"{label}: {venue} frames carry no time of their own, and this file gives none: their time would be "
                "the moment of ingest. Give each frame's receipt time: Tardis raw-data lines ('<ISO-8601 UTC time> "
                "<frame>') are read as such, or name the JSON member that holds it with --received-at FIELD[:UNIT] "
                "(ISO-8601 UTC, or an integer epoch in s/ms/us/ns). Nothing was added")
    tables = instruments if instruments is not None else _instruments.tables_for(catalog.root)  # once per batch
    recover(catalog.layout)  # a writer cleans what crashed writers left (moves unlisted files aside)
    catalog.invalidate()
    if fmt == JSONL:
        scan = scan_stream(inp.blocks())  # pass 1: sha256, size, marker, which records may repeat
        read, parse = (spec.decode, spec.parse) if at is None else stamped(spec.decode, spec.parse, at)
        run = _Run(catalog, venue, fmt, inp.name, label, scan, read, parse, Source.FILE, False,
                   synthetic, ts_recv, batch)
    else:
        f = spec.formats[fmt]
        whole = data if data is not None else inp.read(WHOLE_BYTES)  # a format's splitter takes the whole input
        scan = scan_records(whole, f.split(whole, inp.name))
        decode = lambda raw, _n=inp.name, _d=f.decode: _d(raw, _n)  # noqa: E731
        drop_repeats = drop_repeats and f.repeats_records
        run = _Run(catalog, venue, fmt, inp.name, label, scan, decode, f.parse, Source(f.source),
                   drop_repeats, synthetic, ts_recv, batch, parse_batch=f.parse_batch)
        if f.repeats_records:  # how this batch treated them: verify replays it the same way
            repeats = {"repeats": "dropped" if drop_repeats else "stored"}
    result = run.result
    if progress:
        progress(0, scan.records)
    journal = RawJournal(catalog.layout, scan.sha256) if fmt == JSONL else None
    try:
        with _instruments.using(tables):  # once per batch, not per record: this loop is the hot path
            if fmt == JSONL and journal is not None:
                sha = hashlib.sha256()
                bg = Background(sha.update, journal.write)  # hash check + raw journal on the second core
                splitter = LineSplitter()
                try:
                    for c in splitter.chunks(bg.tap(inp.blocks(scan.size))):
                        run.chunk(c.lines, c.raws, oversized=c.oversized)
                        if progress:
                            progress(run.done, scan.records)
                finally:
                    bg.close()
                if sha.hexdigest() != scan.sha256:
                    raise InputUnreadable(f"{label}: changed while it was being ingested; ingest it again")
                run.blank_lines(splitter.blank)
            else:
                for lines, raws in record_chunks(f.split(whole, inp.name)):
                    run.chunk(lines, raws)
                    if progress:
                        progress(run.done, scan.records)
            run.stager.close()  # every part written (or a write's error raised here)
        if not run.parts:
            run.writer.abort()
            if journal is not None:
                journal.discard()
            return result  # everything was already present: nothing to commit
        if journal is not None:
            journal.close()
        else:
            store_raw(catalog.layout, scan.sha256, whole)
        run.writer.inputs.append(scan.sha256)
        manifest = run.writer.commit({"kind": "ingest", "file": label, "venue": venue, "format": fmt, "name": inp.name,
                           "ts_recv": str(run.ts_recv), **({"synthetic": "true"} if result.synthetic else {}),
                           **({"received_at": at.spec} if at is not None else {}), **repeats,
                           **_instruments.manifest_meta(tables, venue)})
        run.settle(manifest)
    except BaseException:
        run.stager.close(quiet=True)  # no part is written after the abort below
        run.writer.abort()
        if journal is not None:
            journal.discard()
        raise
    finally:
        run.seen.close()
    catalog.invalidate()
    return result


class _Stager:
    # Writes a chunk's parts (Parquet, quarantine lines) on one worker thread, in chunk order, while the main
    # thread splits, keys and normalizes the next chunk: Arrow's Parquet writer and compute kernels release the
    # GIL, so the write runs on the second core. One chunk waits at most (memory: two chunks in flight).

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self.drain(1)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liqscope-ingest-write")
        self._pending.append(self._pool.submit(fn, *args))

    def drain(self, keep: int = 0) -> None:
        # Wait until at most ``keep`` writes are pending; a write's error is raised here, in the main thread.
        while len(self._pending) > keep:
            self._pending.popleft().result()

    def close(self, quiet: bool = False) -> None:
        try:
            if quiet:
                for f in self._pending:
                    f.exception()  # waits; the error is the one already being raised, or moot
                self._pending.clear()
            else:
                self.drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


class _Run:
    # One ingest's state between chunks: counters, the writer, and what stays small whatever the file's
    # size (repeat counts of candidate records only; one 8-byte hash per event id written so far).

    def __init__(self, catalog: Catalog, venue: str, fmt: str, name: str, label: str, scan: Scan,
                 decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
                 source: Source, drop_repeats: bool, synthetic: bool, ts_recv: int | None,
                 batch: str | None, *, parse_batch: ParseBatch | None = None) -> None:
        self.catalog, self.venue, self.fmt, self.label = catalog, venue, fmt, label
        self.decode, self.parse, self.source, self.drop_repeats = decode, parse, source, drop_repeats
        self.parse_batch = parse_batch  # a format's own fast path (Format.parse_batch); the venue's is found
        self.result = IngestResult(file=label, venue=venue, format=fmt, raw_sha256=scan.sha256,
                                   records=scan.records, synthetic=synthetic or scan.synthetic)
        self.ts_recv = time.time_ns() if ts_recv is None else ts_recv  # files carry no receipt time
        self.records_rel = catalog.records_sql([venue])  # committed lake, once: our own parts are new keys
        self.events_rel = catalog.relation_sql(catalog.event_files([venue]))
        # The commit re-checks our record keys against every batch committed after this listing.
        self.writer = BatchWriter(catalog.layout, batch, known=catalog.snapshot())
        self.ref_prefix = f"{scan.sha256}:"
        self.prefix = f"{venue}\0{fmt}\0{name}\0".encode()
        self.first_key = hashlib.blake2b(self.prefix, digest_size=16)  # _record_key's state for occurrence 0
        self.first_key.update((0).to_bytes(4, "little"))
        self.candidates = scan.candidates
        self.occurrences: dict[str, int] = {}  # occurrence-0 key of a candidate record -> copies seen
        self.seen = _Seen(catalog)  # hashes of the lake's record keys and event ids, and of the ids we wrote
        self.hashed: dict[str, bool] = {}  # _Seen table -> whether this ingest looks the lake up through it
        self.staged_events: list[Path] = []  # appended by the stager's thread
        self.stager = _Stager()
        self.done = self.parts = 0

    def _keys(self, raws: list[bytes], base: int) -> tuple[list[str], dict[int, int]]:
        copy = self.first_key.copy

        def first(raw: bytes) -> str:
            h = copy()
            h.update(raw)
            return h.hexdigest()

        keys = list(map(first, raws))
        later: dict[int, int] = {}  # index -> occurrence, for exact repeats of an earlier record
        if self.candidates:
            for i in [c - base for c in self.candidates.within(base, base + len(raws))]:
                occurrence = self.occurrences.get(keys[i], 0)
                self.occurrences[keys[i]] = occurrence + 1
                if occurrence:
                    later[i] = occurrence
                    keys[i] = _record_key(self.prefix, raws[i], occurrence)
        return keys, later

    def chunk(self, lines: Sequence[int], raws: list[bytes], *, oversized: bool = False) -> None:
        res = self.result
        keys, later = self._keys(raws, self.done)
        self.done += len(raws)
        existing = self._lookup("record_key", keys, "records_rel")
        if later and not self.drop_repeats:  # stored as records of their own: their events are further copies
            res.repeats += sum(1 for i in later if keys[i] not in existing)
        status = ["accepted"] * len(raws)
        kept: Sequence[int] = range(len(raws))
        todo: Sequence[int] = kept
        bad: list[tuple[int, QuarantinedRecord]] = []
        joined = b"\n".join(raws)  # one scan in C finds out whether any record needs a look of its own
        marker = res.synthetic and SYNTHETIC_MARKER in joined
        # (JSON-lines chunks hold no blank lines: the splitter counts them; a format's splitter may not)
        if self.fmt != JSONL and _BLANK.search(joined):
            kept, todo = self._sort(raws, lines, keys, later, existing, status, bad, range(len(raws)))
        elif existing or (self.drop_repeats and later) or marker or oversized:
            # Only the records that may need it get a look of their own (a chunk is 100k records; the marker
            # is one line of the first).
            look: set[int] = set(later) if self.drop_repeats else set()
            if existing:
                look.update(i for i, k in enumerate(keys) if k in existing)
            if oversized:
                look.update(i for i, r in enumerate(raws) if type(r) is Oversized)
            if marker:
                look.update(_holding(joined, raws, SYNTHETIC_MARKER))
            kept, todo = self._sort(raws, lines, keys, later, existing, status, bad, sorted(look))
        del joined
        if not kept:
            return
        whole = len(todo) == len(raws)
        refs = [f"{self.ref_prefix}{n}" for n in lines]
        batch = normalize_batch(self.decode, self.parse, raws if whole else [raws[i] for i in todo],
                                [self.ts_recv] * len(todo), refs if whole else [refs[i] for i in todo],
                                keys if whole else [keys[i] for i in todo], source=self.source,
                                synthetic=res.synthetic, parse_batch=self.parse_batch)
        for j, out in batch.outcomes.items():
            i = todo[j]
            if out.quarantined:
                status[i] = "quarantined"
                bad.append((i, QuarantinedRecord(
                    file=self.label, line=lines[i], venue=self.venue, format=self.fmt, field=out.field,
                    code=out.code or Reason.UNEXPECTED_PAYLOAD, reason=out.error or "", raw_ref=refs[i],
                    raw=raws[i][:_PREVIEW].decode("utf-8", "replace"))))
            else:
                status[i] = "skipped"
                res.skipped += 1
        counts = batch.counts if whole else [0] * len(raws)
        if not whole:
            for j, i in enumerate(todo):
                counts[i] = batch.counts[j]
        if len(kept) != len(raws):
            keys, refs, status = ([col[i] for i in kept] for col in (keys, refs, status))
            counts = [counts[i] for i in kept]
        self._count_events(batch.table)
        self._write(batch.table, keys, refs, status, counts, [q for _, q in sorted(bad, key=lambda b: b[0])])

    def _lookup(self, column: str, keys: list[str] | pa.Array, rel: str) -> set[str]:
        # Which keys the committed lake holds. An ingest of several chunks hashes the lake's keys once, on its
        # first chunk (one scan of the lake per ingest, not one per chunk), then looks up the few candidates
        # exactly. A one-chunk ingest, or a lake too big for that set to stay small (_HASHED_MAX rows, 8 bytes
        # each), looks each chunk's keys up in the lake directly: one scan either way, no set in memory.
        table = f"_lake_{column}"
        if table not in self.hashed:
            self.hashed[table] = self.result.records > _ingest_read.CHUNK_RECORDS and self._listed(
                lambda: _lake_rows(self.catalog, getattr(self, rel))) <= _HASHED_MAX
            if self.hashed[table]:
                self._listed(lambda: self.seen.load(table, column, getattr(self, rel)))
        if not self.hashed[table]:
            return self._listed(lambda: _existing(self.catalog, self.venue, column, keys, getattr(self, rel)))
        candidates = self.seen.hits(table, keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string()))
        if not candidates:
            return set()
        return self._listed(lambda: _existing(self.catalog, self.venue, column, sorted(candidates), getattr(self, rel)))

    def _listed(self, fn: Callable[[], _T]) -> _T:
        # ``fn`` over the lake listing. A listed file retired meanwhile (a concurrent `compact --grace 0`) means
        # the listing is stale: list again (the replacing batch holds the same rows, so hashes loaded from the
        # stale listing still hold).
        for _ in range(8):
            try:
                return fn()
            except StoreError as e:
                if not getattr(e, "missing", False):
                    raise
                self.catalog.invalidate()
                self.records_rel = self.catalog.records_sql([self.venue])
                self.events_rel = self.catalog.relation_sql(self.catalog.event_files([self.venue]))
        return fn()

    def settle(self, manifest: object) -> None:
        # Records another writer committed while we ran were dropped at our commit: they were already present.
        w, res = self.writer, self.result
        if not w.dropped_records:
            return
        if manifest is None or w.emptied:  # every record: no file committed
            res.already_present, res.accepted, res.duplicate, res.skipped, res.repeats = res.records, 0, 0, 0, 0
            res.quarantined, res.quarantine_file, res.quarantine_samples = 0, None, []
            return
        res.already_present += w.dropped_records
        accepted = min(res.accepted, w.dropped_events)
        res.accepted -= accepted
        res.duplicate = max(0, res.duplicate - (w.dropped_events - accepted))

    def _sort(self, raws: list[bytes], lines: Sequence[int], keys: list[str], later: dict[int, int],
              existing: set[str], status: list[str], bad: list[tuple[int, QuarantinedRecord]],
              look: Sequence[int]) -> tuple[Sequence[int], Sequence[int]]:
        # Records to keep (not already in the lake) and, of those, records to normalize: every record but
        # those of ``look`` (ascending) that turn out to be already present, or to need no normalizing.
        res = self.result
        present: set[int] = set()
        aside: set[int] = set()
        for i in look:
            raw = raws[i]
            if existing and keys[i] in existing:
                res.already_present += 1
                present.add(i)
                continue
            aside.add(i)
            if type(raw) is Oversized:
                status[i] = "quarantined"
                bad.append((i, _oversized_entry(self, lines[i], raw)))
            elif self.drop_repeats and i in later:  # only replaying a batch committed before repeats were stored
                status[i] = "repeat"
                res.duplicate += 1
            elif res.synthetic and is_synthetic_marker(raw):
                status[i] = "skipped"  # the simulator's label, not a venue record
                res.skipped += 1
            elif not raw or raw.isspace():  # from a format's splitter (JSON lines count them instead)
                status[i] = "quarantined"
                bad.append((i, QuarantinedRecord(file=self.label, line=lines[i], venue=self.venue, format=self.fmt,
                                                 field=None, code=Reason.BLANK_LINE, reason="blank line",
                                                 raw_ref=f"{self.ref_prefix}{lines[i]}", raw="")))
            else:
                aside.discard(i)
        everything = range(len(raws))
        kept = [i for i in everything if i not in present] if present else everything
        return kept, ([i for i in kept if i not in aside] if aside else kept)

    def _count_events(self, table: pa.Table) -> None:
        # accepted: liquidations not in the lake nor earlier in this file; duplicate: the other copies.
        ids = table.column("event_id").combine_chunks()
        if not len(ids):
            return
        known = self._lookup("event_id", ids, "events_rel")
        maybe = self.seen.hits("_ours", ids)  # ids whose hash an earlier chunk wrote: confirmed exactly
        self.seen.add("_ours", ids)
        if maybe:
            self.stager.drain()  # our earlier parts, written
            known |= _existing(self.catalog, self.venue, "event_id", sorted(maybe),
                               self.catalog.relation_sql(self.staged_events))
        new = pc.count_distinct(ids).as_py() - len(known)  # known holds only ids of this chunk
        self.result.accepted += new
        self.result.duplicate += len(ids) - new

    def _write(self, events: pa.Table, keys: list[str], refs: list[str], status: list[str], counts: list[int],
               bad: list[QuarantinedRecord]) -> None:
        # Built and counted here (Python objects to Arrow holds the GIL); written by the stager's thread, whose
        # Arrow work releases it (part numbers and quarantine order stay chunk order).
        size = len(keys)
        records = pa.table({
            "record_key": pa.array(keys, pa.string()), "venue": pa.repeat(pa.scalar(self.venue, pa.string()), size),
            "raw_ref": pa.array(refs, pa.string()), "status": pa.array(status, pa.string()),
            "events": pa.array(counts, pa.int32()), "ts_recv": pa.repeat(pa.scalar(self.ts_recv, pa.int64()), size),
        }, schema=RECORD_SCHEMA)
        self.stager.submit(self._stage, events, records, self.parts)
        if bad:
            self._quarantine(bad)
            self.result.quarantined += len(bad)
        self.parts += 1

    def _stage(self, events: pa.Table, records: pa.Table, n: int) -> None:
        layout, writer = self.catalog.layout, self.writer
        if events.num_rows:
            ts = events.column("ts_event")
            day = pc.divide(pc.subtract(ts, pc.if_else(pc.less(ts, 0), _DAY_NS - 1, 0)), _DAY_NS)  # floor
            groups = pa.table({"venue": events.column("venue"), "day": day}).group_by(["venue", "day"]).aggregate([])
            parts = sorted(zip(groups.column("venue").to_pylist(), groups.column("day").to_pylist(), strict=True))
            for venue, d in parts:
                part = events if len(parts) == 1 else events.filter(
                    pc.and_(pc.equal(events.column("venue"), venue), pc.equal(day, d)))
                final = layout.event_part(venue, day_of_ns(d * _DAY_NS), writer.batch, n)
                writer.add_table(final, part)
                self.staged_events.append(final.with_name(final.name + ".tmp"))
        writer.add_table(layout.record_part(self.venue, writer.batch, n), records)

    def _quarantine(self, bad: list[QuarantinedRecord]) -> None:
        qpath = self.catalog.layout.quarantine / f"{self.writer.batch}.jsonl"
        self.stager.submit(self.writer.append_lines, qpath, [msgspec.json.encode(q) for q in bad])
        self.result.quarantine_file = str(qpath)
        self.result.quarantine_samples = (self.result.quarantine_samples + bad)[:50]

    def blank_lines(self, blank: BlankLines) -> None:
        # One entry for all of an input's blank lines, after its records (only when the batch commits).
        self.result.blank_lines = blank.count
        if blank.count and self.parts:
            self._quarantine([_blank_lines_entry(self, blank)])


class _Seen:
    # Sets of 8-byte hashes (DuckDB's ``hash``) in TEMP tables of one DuckDB connection of the ingest's own: the
    # lake's record keys and event ids of the venue (``load``: one scan of the lake per ingest, where a lookup
    # per chunk scanned it once per 100k records), and the event ids this ingest has written (``add``). A
    # hit is a candidate only: the caller confirms it exactly. 80 MB for 10M ids. Each lookup is one
    # semi-join that builds on the chunk and scans the set: ~3.5 s over 10M ids in 100k-id chunks, where
    # Arrow's ``is_in`` over Python hashes of the same ids took 17 s (its cost grew with every chunk).

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._con: Any = None
        self._rows: dict[str, int] = {}  # table -> rows

    def _connection(self) -> Any:
        if self._con is None:
            self._con = self._catalog.connect()
        return self._con

    def load(self, table: str, column: str, relation: str) -> None:
        """The hashes of ``column`` over ``relation`` (a committed lake listing) as ``table``."""
        con = self._connection()
        if relation.startswith("(SELECT"):  # nothing listed
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (h UBIGINT)")
        else:
            _lake_sql(con, f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT hash({column}) AS h FROM {relation}",
                      relation)
        self._rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]

    def hits(self, table: str, keys: pa.Array) -> set[str]:
        """The keys whose hash is in ``table`` (a superset of the keys in it)."""
        if not self._rows.get(table):
            return set()
        con = self._connection()
        con.register("_new", pa.table({"k": keys}))
        try:
            return {r[0] for r in con.execute(
                f"SELECT DISTINCT k FROM (SELECT k, hash(k) AS h FROM _new) SEMI JOIN {table} USING (h)").fetchall()}
        finally:
            con.unregister("_new")

    def add(self, table: str, keys: pa.Array) -> None:
        con = self._connection()
        if table not in self._rows:
            con.execute(f"CREATE TEMP TABLE {table} (h UBIGINT)")
            self._rows[table] = 0
        con.register("_new", pa.table({"k": keys}))
        try:
            con.execute(f"INSERT INTO {table} SELECT hash(k) FROM _new")
        finally:
            con.unregister("_new")
        self._rows[table] += len(keys)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()  # its TEMP tables go with it
            self._con = None


def _oversized_entry(run: _Run, line: int, raw: Oversized) -> QuarantinedRecord:
    # A line above MAX_RECORD_BYTES: its byte range and a preview, never its bytes (the raw journal has them).
    reason = (f"RecordTooLarge: {raw.length:,} bytes, above the limit of {MAX_RECORD_BYTES:,} bytes per record; "
              f"not read: bytes {raw.offset:,} to {raw.offset + raw.length:,} of the input, kept in its raw journal")
    return QuarantinedRecord(file=run.label, line=line, venue=run.venue, format=run.fmt, field=None,
                             code=Reason.RECORD_TOO_LARGE, reason=reason,
                             raw_ref=f"{run.ref_prefix}{line}", raw=raw.preview.decode("utf-8", "replace"),
                             offset=raw.offset, length=raw.length)


def _blank_lines_entry(run: _Run, blank: BlankLines) -> QuarantinedRecord:
    # The one entry summing up an input's empty or whitespace-only lines (counted, never one entry each).
    if blank.count == 1:
        reason = "blank line"
    else:
        runs = ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in blank.listed)
        more = f", and {blank.runs - len(blank.listed):,} more runs" if blank.runs > len(blank.listed) else ""
        reason = (f"blank lines: {blank.count:,} empty or whitespace-only lines in {blank.runs:,} "
                  f"run{'s' if blank.runs > 1 else ''} (lines {runs}{more}), counted, not stored")
    return QuarantinedRecord(file=run.label, line=blank.first, venue=run.venue, format=run.fmt, field=None,
                             code=Reason.BLANK_LINE, reason=reason, raw_ref=f"{run.ref_prefix}{blank.first}", raw="",
                             last_line=blank.last, count=blank.count)


def _holding(joined: bytes, raws: list[bytes], needle: bytes) -> set[int]:
    # Indices of the records holding ``needle``, given ``joined`` = b"\n".join(raws) (no record holds a newline).
    found: set[int] = set()
    pos = joined.find(needle)
    if pos < 0:
        return found
    starts = list(itertools.accumulate((len(r) + 1 for r in raws), initial=0))
    while pos >= 0:
        i = bisect.bisect_right(starts, pos) - 1
        found.add(i)
        pos = joined.find(needle, starts[i + 1])  # the next record's start: one index per record
    return found


def _record_key(prefix: bytes, raw: bytes, occurrence: int) -> str:
    h = hashlib.blake2b(prefix, digest_size=16)
    h.update(occurrence.to_bytes(4, "little"))
    h.update(raw)
    return h.hexdigest()


def _existing(catalog: Catalog, venue: str, column: str, keys: list[str] | pa.Array, relation: str) -> set[str]:
    if not len(keys) or relation.startswith("(SELECT"):
        return set()
    con = catalog.connect()
    try:
        con.register("_keys", pa.table({"k": keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string())}))
        return {r[0] for r in _lake_sql(
            con, f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IN (SELECT k FROM _keys)", relation)}
    finally:
        con.close()


def _lake_sql(con: Any, sql: str, relation: str) -> list[tuple[Any, ...]]:
    # A statement over a lake listing; an unreadable or missing listed file is named (StoreError).
    import duckdb

    try:
        return con.execute(sql).fetchall()
    except (duckdb.IOException, duckdb.InvalidInputException) as e:
        listed = [Path(p.strip("'").replace("''", "'")) for p in _LISTED.findall(relation)]
        raise damaged(listed, e) from None


def _lake_rows(catalog: Catalog, relation: str) -> int:
    # Rows of a lake listing (Parquet footers only).
    if relation.startswith("(SELECT"):
        return 0
    con = catalog.connect()
    try:
        return int(_lake_sql(con, f"SELECT count(*) FROM {relation}", relation)[0][0])
    finally:
        con.close()


_T = TypeVar("_T")
_HASHED_MAX = 20_000_000  # lake rows whose hashes an ingest holds at most (160 MB a column)
_LISTED = re.compile(r"'(?:[^']|'')*'")
