"""Streamed, chunked ingest: many chunks under one commit give the one-chunk lake, row for row.

Chunks are made small (a few hundred records) so that real recordings span many of them; every figure
asserted is a PROVENANCE figure or counted here from the raw lines, independently of the ingest code.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liqscope import _ingest_read
from liqscope._time import parse_iso_ns
from liqscope.errors import InputUnreadable
from liqscope.ingest import ingest_bytes, ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.store._writer import recover
from liqscope.verify import verify_lake
from tests._data import BINANCE_0817, BINANCE_RIFTFERN, COINM_ARCHIVE
from tests.reliability import _lake

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
RIFTFERN_USD = Decimal("2051029.33492100")  # PROVENANCE.md, and tests/test_ingest.py
AUG17_USD = Decimal("442310.62914008")


@pytest.fixture
def chunk(monkeypatch):
    """Set the ingest chunk size (records) for this test."""
    def set_size(n: int) -> None:
        monkeypatch.setattr(_ingest_read, "CHUNK_RECORDS", n)
    return set_size


def _lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines()


def _old_keys(venue: str, fmt: str, name: str, records: list[bytes]) -> list[str]:
    """Record keys as the whole-file ingest computed them (a Counter over every record's bytes)."""
    seen: Counter[bytes] = Counter()
    out = []
    for raw in records:
        h = hashlib.blake2b(f"{venue}\0{fmt}\0{name}\0".encode(), digest_size=16)
        h.update(seen[raw].to_bytes(4, "little"))
        h.update(raw)
        out.append(h.hexdigest())
        seen[raw] += 1
    return out


def test_a_recording_in_seven_chunks_is_the_one_chunk_lake_row_for_row(tmp_path, chunk):
    whole = Catalog(tmp_path / "whole")
    ingest_file(whole, "binance_usdm", BINANCE_RIFTFERN)
    chunk(300)
    calls: list[tuple[int, int]] = []
    chunked = Catalog(tmp_path / "chunked")
    res = ingest_file(chunked, "binance_usdm", BINANCE_RIFTFERN, progress=lambda d, t: calls.append((d, t)))
    assert (res.records, res.accepted, res.duplicate, res.quarantined) == (2045, 2045, 0, 0)
    assert calls == [(0, 2045), *[(min(k * 300, 2045), 2045) for k in range(1, 8)]]
    [manifest] = _lake.manifests(tmp_path / "chunked")  # one batch, one commit
    assert sum(f.startswith("records/") for f in manifest.files) == 7
    assert manifest.inputs == [res.raw_sha256]
    for table in ("events", "records"):
        assert _lake.multiset(tmp_path / "chunked", table) == _lake.multiset(tmp_path / "whole", table)
    r = report(counted(chunked, load("standard"), *ALL))
    assert (r.events, r.total_usd) == (2045, RIFTFERN_USD)


def test_repeats_and_second_copies_across_chunks_keep_todays_keys_and_counts(tmp_path, chunk):
    """456 frames, then 50 of them again byte for byte, then 50 re-serialized: 556 records, 456 liquidations."""
    lines = _lines(BINANCE_0817)
    respaced = [json.dumps(json.loads(x), separators=(", ", ": ")).encode() for x in lines[50:100]]
    records = lines + lines[:50] + respaced
    path = tmp_path / "recorder.jsonl"
    path.write_bytes(b"\n".join(records) + b"\n")
    chunk(64)
    catalog = Catalog(tmp_path / "lake")
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.records, res.accepted, res.duplicate, res.already_present) == (556, 456, 100, 0)
    keys = [r["record_key"] for r in _lake.rows(tmp_path / "lake", "records")]
    assert sorted(keys) == sorted(_old_keys("binance_usdm", "jsonl", path.name, records))
    standard, every = (report(counted(catalog, load(n), *ALL)) for n in ("standard", "every-copy"))
    assert (standard.events, standard.total_usd) == (456, AUG17_USD)
    assert every.events == 556
    again = ingest_file(catalog, "binance_usdm", path)
    assert (again.accepted, again.duplicate, again.already_present) == (0, 0, 556)
    assert len(_lake.manifests(tmp_path / "lake")) == 1  # nothing new: no second commit


@pytest.mark.parametrize("hashed_max", [0, 20_000_000])
def test_a_chunked_reingest_finds_every_record_in_the_lake_hashed_or_looked_up_per_chunk(tmp_path, chunk,
                                                                                         monkeypatch, hashed_max):
    """The lake's keys are hashed once per ingest, or (a lake above _HASHED_MAX rows) looked up chunk by chunk:
    either way a second ingest of the file finds all 456 records present and adds nothing."""
    from liqscope import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "_HASHED_MAX", hashed_max)
    path = tmp_path / "recorder.jsonl"
    path.write_bytes(b"\n".join(_lines(BINANCE_0817)) + b"\n")
    chunk(64)
    catalog = Catalog(tmp_path / "lake")
    first = ingest_file(catalog, "binance_usdm", path)
    assert (first.records, first.accepted, first.already_present) == (456, 456, 0)
    again = ingest_file(catalog, "binance_usdm", path)
    assert (again.accepted, again.duplicate, again.already_present) == (0, 0, 456)
    assert report(counted(catalog, load("standard"), *ALL)).total_usd == AUG17_USD


def test_a_grown_file_adds_only_its_new_lines_chunk_by_chunk(tmp_path, chunk):
    lines = _lines(BINANCE_0817)
    path = tmp_path / "growing.jsonl"
    path.write_bytes(b"\n".join(lines[:100]) + b"\n")
    chunk(40)
    catalog = Catalog(tmp_path / "lake")
    assert ingest_file(catalog, "binance_usdm", path).accepted == 100
    path.write_bytes(b"\n".join(lines) + b"\n")
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.accepted, res.already_present, res.duplicate) == (356, 100, 0)
    assert report(counted(catalog, load("standard"), *ALL)).total_usd == AUG17_USD


def test_archive_repeats_are_stored_as_copies_across_chunk_boundaries(tmp_path, chunk):
    rows = COINM_ARCHIVE.read_bytes().splitlines()[1:]
    repeats = sum(n - 1 for n in Counter(rows).values())  # 14 rows, 7 distinct: Binance writes each twice
    assert (len(rows), repeats) == (14, 7)
    ingest_file(Catalog(tmp_path / "whole"), "binance_coinm", COINM_ARCHIVE, "binance-archive")
    chunk(3)
    res = ingest_file(Catalog(tmp_path / "chunked"), "binance_coinm", COINM_ARCHIVE, "binance-archive")
    assert (res.records, res.accepted, res.duplicate, res.repeats) == (14, 7, repeats, repeats)
    statuses = Counter(r["status"] for r in _lake.rows(tmp_path / "chunked", "records"))
    assert statuses == {"accepted": 14}  # each repeat is a record of its own, its event a second copy
    events = Counter(r["event_id"] for r in _lake.rows(tmp_path / "chunked", "events"))
    assert sorted(events.values()) == [2] * 7
    for table in ("events", "records"):
        assert _lake.multiset(tmp_path / "chunked", table) == _lake.multiset(tmp_path / "whole", table)


def test_quarantine_spans_chunks_in_line_order(tmp_path, chunk):
    good = _lines(BINANCE_0817)[:10]
    bad_side = good[1].replace(b'"S":"BUY"', b'"S":"SIDEWAYS"').replace(b'"S":"SELL"', b'"S":"SIDEWAYS"')
    mixed = [good[0], good[1][:40], good[3], bad_side, b"", good[2].replace(b'"ap":"', b'"ap":"abc'), *good[4:]]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    chunk(2)
    res = ingest_file(Catalog(tmp_path / "lake"), "binance_usdm", path)
    assert (res.accepted, res.quarantined, res.blank_lines) == (8, 3, 1)
    quarantine = [json.loads(x) for x in Path(res.quarantine_file).read_text().splitlines()]
    assert [(q["line"], q["field"]) for q in quarantine] == [(2, None), (4, "o.S"), (6, "o.ap"), (5, None)]
    assert [q.line for q in res.quarantine_samples] == [2, 4, 6, 5]
    assert [q["code"] for q in quarantine] == ["truncated_json", "unexpected_payload", "wrong_type", "blank_line"]
    assert (quarantine[3]["reason"], quarantine[3]["last_line"], quarantine[3]["count"]) == ("blank line", 5, 1)


def test_gzip_and_zip_inputs_stream_to_the_same_records_as_the_plain_file(tmp_path, chunk):
    data = gzip.decompress(BINANCE_0817.read_bytes())
    plain = tmp_path / "in" / "rec.jsonl"
    plain.parent.mkdir()
    plain.write_bytes(data)
    gz = tmp_path / "gz" / "rec.jsonl.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(data))
    zipped = tmp_path / "rec.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner/rec.jsonl", data)
    chunk(100)
    catalog = Catalog(tmp_path / "lake")
    first = ingest_file(catalog, "binance_usdm", plain)
    assert first.accepted == 456
    for other in (gz, zipped):  # same name inside, same bytes: the same records, already there
        res = ingest_file(catalog, "binance_usdm", other)
        assert (res.already_present, res.accepted, res.raw_sha256) == (456, 0, first.raw_sha256)
    blob = catalog.layout.raw_blob(first.raw_sha256)
    assert blob.suffix == ".zst"
    with pa.CompressedInputStream(pa.OSFile(str(blob)), "zstd") as f:
        assert f.read() == data  # the journal is the input's exact bytes


def test_a_truncated_gzip_is_unreadable_and_writes_nothing(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(BINANCE_0817.read_bytes()[:-200])
    with pytest.raises(InputUnreadable, match=r"cut\.jsonl\.gz: cannot decompress"):
        ingest_file(Catalog(tmp_path / "lake"), "binance_usdm", path)
    assert not (tmp_path / "lake").exists() or not [p for p in (tmp_path / "lake").rglob("*") if p.is_file()]


def test_a_part_that_fails_to_write_on_the_stager_thread_fails_the_ingest_and_leaves_nothing(tmp_path, chunk,
                                                                                              monkeypatch):
    """Parts are written on a worker thread while the next chunk normalizes: its error still fails the ingest
    in the caller's thread, no part is written after the abort, and the same input then ingests whole."""
    from liqscope.errors import LakeWriteFailed
    from liqscope.store._writer import BatchWriter, _write_failed

    chunk(100)  # 456 records: 5 chunks, so later chunks are normalized while earlier parts are written
    calls: list[str] = []
    real = BatchWriter.add_table

    def add_table(self, final, table):
        calls.append(threading.current_thread().name)
        if len(calls) == 5:  # the third chunk's event part: a real OSError, as a full disk raises it
            raise _write_failed(final, OSError(errno.ENOSPC, "No space left on device"))
        real(self, final, table)

    monkeypatch.setattr(BatchWriter, "add_table", add_table)
    root = tmp_path / "lake"
    with pytest.raises(LakeWriteFailed, match="the disk is full"):
        ingest_file(Catalog(root), "binance_usdm", BINANCE_0817)
    assert {name.startswith("liqscope-ingest-write") for name in calls} == {True}
    assert _lake.manifests(root) == [] and _lake.leftovers(root) == []
    assert [p for p in (root / "raw").rglob("*") if p.is_file()] == []
    monkeypatch.setattr(BatchWriter, "add_table", real)
    again = ingest_file(Catalog(root), "binance_usdm", BINANCE_0817)
    assert (again.records, again.accepted, again.already_present) == (456, 456, 0)


def test_a_file_that_changes_between_the_two_passes_is_refused_and_leaves_nothing(tmp_path, chunk):
    path = tmp_path / "live.jsonl"
    lines = _lines(BINANCE_0817)
    path.write_bytes(b"\n".join(lines) + b"\n")

    def rewrite(done: int, total: int) -> None:
        if done == 0:  # after the scan, before the first chunk: another writer edits the file
            path.write_bytes(b"\n".join([lines[1], lines[0], *lines[2:]]) + b"\n")

    chunk(100)
    root = tmp_path / "lake"
    with pytest.raises(InputUnreadable, match=r"live\.jsonl: changed while it was being ingested"):
        ingest_file(Catalog(root), "binance_usdm", path, progress=rewrite)
    assert _lake.manifests(root) == [] and _lake.leftovers(root) == []
    assert [p for p in (root / "raw").rglob("*") if p.is_file()] == []


def test_verify_rebuilds_a_chunked_batch_exactly(tmp_path, chunk):
    chunk(250)
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    got = verify_lake(catalog)
    assert got.ok and got.problems == [] and got.rebuilt == 1
    assert got.rows == 2 * 2045  # every record row and every event row compared


def test_verify_names_the_very_chunk_part_that_lost_its_rows(tmp_path, chunk):
    chunk(250)
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    parts = sorted(p for p in (tmp_path / "lake" / "events").rglob("*.parquet") if "date=2025-12-27" in str(p))
    assert len(parts) > 2
    victim = parts[1]  # neither the first chunk's part nor the last
    lost = len(pq.read_table(victim))
    pq.write_table(pq.read_table(victim).slice(0, 0), victim)  # emptied in place
    (problem,) = verify_lake(catalog).problems
    assert (problem.kind, problem.rows) == ("missing_rows", lost)
    assert problem.path == str(victim.relative_to(tmp_path))


def test_ingest_bytes_and_ingest_file_write_the_same_rows(tmp_path, chunk):
    chunk(500)
    data = gzip.decompress(BINANCE_RIFTFERN.read_bytes())
    a = ingest_bytes(Catalog(tmp_path / "a"), "binance_usdm", data, BINANCE_RIFTFERN.name.removesuffix(".gz"),
                     label="x", ts_recv=parse_iso_ns("2026-01-01"))
    b = ingest_file(Catalog(tmp_path / "b"), "binance_usdm", BINANCE_RIFTFERN)
    assert (a.raw_sha256, a.accepted) == (b.raw_sha256, b.accepted)
    for table in ("events", "records"):
        assert _lake.multiset(tmp_path / "a", table) == _lake.multiset(tmp_path / "b", table)


_KILL = """
import sys
from pathlib import Path
from liqscope import _ingest_read
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
_ingest_read.CHUNK_RECORDS = 200
ingest_file(Catalog(Path(sys.argv[1])), "binance_usdm", Path(sys.argv[2]))
"""


def test_sigkill_between_two_chunks_leaves_nothing_visible_and_a_rerun_completes(tmp_path):
    """A real SIGKILL (the crash-point hook) after several chunks are staged, none committed."""
    def run(root: Path, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _KILL, str(root), str(BINANCE_RIFTFERN)],
                              env={**os.environ, **env}, capture_output=True)

    log = tmp_path / "trace.log"
    run(tmp_path / "clean", LIQSCOPE_CRASH_LOG=str(log)).check_returncode()
    names = [line.split(" ", 2)[2] for line in log.read_text().splitlines()]
    tables = [i for i, n in enumerate(names) if n == "stage:table"]
    assert len(tables) >= 11  # 11 chunks: a records part each, plus event parts
    root = tmp_path / "killed"
    res = run(root, LIQSCOPE_CRASH_AT=str(tables[len(tables) // 2] + 1))
    assert res.returncode == -signal.SIGKILL
    assert _lake.manifests(root) == []
    assert any(p.name.endswith(".parquet.tmp") for p in _lake.leftovers(root))  # staged, never visible
    assert [p for p in (root / "raw").rglob("*.tmp")]  # the journal was mid-write
    recover(Catalog(root).layout)  # the next writer recovers (a reader never does)
    assert _lake.leftovers(root) == [] and not list((root / "raw").rglob("*.tmp"))
    run(root).check_returncode()
    for table in ("events", "records"):
        assert _lake.multiset(root, table) == _lake.multiset(tmp_path / "clean", table)
    assert report(counted(Catalog(root), load("standard"), *ALL)).total_usd == RIFTFERN_USD


def _whole_file_lines(data: bytes, limit: int) -> tuple[list[tuple[int, object]], list[int]]:
    """The JSON-lines rule, line by line over the whole file: ((line, record or its byte range), blank lines).

    What follows the last newline is no line when it is only carriage returns; a whitespace-only line is
    blank; a line above ``limit`` bytes without its trailing carriage returns, or above ``limit`` + 1 with
    them, is oversized (offset, length); any other line is a record, trailing carriage returns removed."""
    pieces = data.split(b"\n")
    records: list[tuple[int, object]] = []
    blank: list[int] = []
    offset = 0
    for n, p in enumerate(pieces, start=1):
        line = p.rstrip(b"\r")
        if n == len(pieces) and not line:
            pass
        elif not line or line.isspace():
            blank.append(n)
        elif len(p) > limit + 1 or len(line) > limit:
            records.append((n, ("oversized", offset, len(p))))
        else:
            records.append((n, line))
        offset += len(p) + 1
    return records, blank


def _streamed(chunks: list[_ingest_read.Chunk]) -> list[tuple[int, object]]:
    return [(n, ("oversized", r.offset, r.length) if isinstance(r, _ingest_read.Oversized) else r)
            for c in chunks for n, r in zip(c.lines, c.raws, strict=True)]


@settings(max_examples=400, deadline=None)
@given(data=st.binary().map(lambda b: bytes(b"ab\r\n \n\n"[x % 7] for x in b)), cuts=st.lists(st.integers(0, 64)),
       limit=st.sampled_from([1, 2, 3, 5, 8, 1 << 20]))
def test_streamed_lines_are_the_whole_file_lines_wherever_the_blocks_break(data, cuts, limit):
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    blocks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    splitter = _ingest_read.LineSplitter(max_records=3, limit=limit)
    chunks = list(splitter.chunks(blocks))
    records, blank = _whole_file_lines(data, limit)
    assert _streamed(chunks) == records
    assert all(0 < len(c) <= 3 for c in chunks)
    assert all(c.oversized == any(isinstance(r, _ingest_read.Oversized) for r in c.raws) for c in chunks)
    runs = [list(g) for _, g in itertools.groupby(enumerate(blank), lambda t: t[1] - t[0])]
    assert (splitter.blank.count, splitter.blank.runs) == (len(blank), len(runs))
    assert splitter.blank.listed == [(r[0][1], r[-1][1]) for r in runs][:10]
    assert (splitter.blank.first, splitter.blank.last) == ((blank[0], blank[-1]) if blank else (0, 0))
