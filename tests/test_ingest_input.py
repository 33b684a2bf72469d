"""Input from anywhere, in bounded memory: standard input, pipes and FIFOs; oversized lines; runs of blanks.

Real processes (the `liqscope` CLI in a subprocess) for everything that reads a pipe or a FIFO, the real
riftfern recording for the data, and every expected figure computed here from the raw JSON
(PROVENANCE: notional = z x ap), independently of the ingest code.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import threading
import zlib
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.normalize import MAX_RECORD_BYTES
from liqscope.store import Catalog
from liqscope.store.transcript import TranscriptWriter
from tests._data import BINANCE_RIFTFERN

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
LIQSCOPE = [sys.executable, "-m", "liqscope"]


def _riftfern(n: int) -> list[bytes]:
    return gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()[:n]


def _notional(lines: list[bytes]) -> Decimal:
    return sum((Decimal(json.loads(x)["o"]["z"]) * Decimal(json.loads(x)["o"]["ap"]) for x in lines), Decimal(0))


def _cli(data_dir: Path, *args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*LIQSCOPE, "ingest", "--data-dir", str(data_dir), "--venue", "binance_usdm",
                           "--json", *args], input=stdin, capture_output=True, timeout=timeout)


def _result(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["ok"] and len(out["results"]) == 1
    return out["results"][0]


def _lake_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_first_50_riftfern_lines_piped_to_stdin_as_dash_store_exactly_their_events(tmp_path):
    lines = _riftfern(50)
    res = _result(_cli(tmp_path / "lake", "-", stdin=b"\n".join(lines) + b"\n"))
    assert (res["file"], res["records"], res["accepted"], res["quarantined"]) == ("<stdin>", 50, 50, 0)
    total = report(counted(Catalog(tmp_path / "lake"), load("standard"), *ALL))
    assert (total.events, total.total_usd) == (50, _notional(lines))
    assert total.total_usd == Decimal("21972.57026150")
    # The spool was an anonymous temp file: nothing but the lake's own files is left in the data dir.
    assert {f.split("/")[0] for f in _lake_files(tmp_path / "lake")} <= {"lake", "raw", "instruments"}


def test_the_same_50_lines_through_dev_stdin_are_already_present_and_the_raw_journal_keeps_the_bytes(tmp_path):
    lines = _riftfern(50)
    data = b"\n".join(lines) + b"\n"
    first = _result(_cli(tmp_path / "lake", "/dev/stdin", stdin=data))
    assert (first["records"], first["accepted"]) == (50, 50)
    again = _result(_cli(tmp_path / "lake", "/dev/stdin", stdin=data))
    assert (again["records"], again["accepted"], again["already_present"]) == (50, 0, 50)
    blob = tmp_path / "lake" / "raw" / first["raw_sha256"][:2] / f"{first['raw_sha256']}.zst"
    with pa.CompressedInputStream(pa.OSFile(str(blob)), "zstd") as f:  # a plain zstd stream
        assert f.read() == data


def test_a_gzip_piped_to_stdin_is_sniffed_without_losing_its_first_bytes(tmp_path):
    lines = _riftfern(50)
    res = _result(_cli(tmp_path / "lake", "-", stdin=gzip.compress(b"\n".join(lines) + b"\n")))
    assert (res["records"], res["accepted"]) == (50, 50)
    assert report(counted(Catalog(tmp_path / "lake"), load("standard"), *ALL)).total_usd == _notional(lines)


def test_a_capture_transcript_piped_to_stdin_is_ingested_as_the_transcript_file_is(tmp_path):
    lines = _riftfern(20)
    w = TranscriptWriter(tmp_path / "transcripts", "binance_usdm", "s1")
    for n, line in enumerate(lines):
        w.frame(json.loads(line)["E"] * 1_000_000 + n, "c1", line)
    w.flush()
    (path,) = w.files
    from_file = _result(_cli(tmp_path / "a", str(path)))
    from_pipe = _result(_cli(tmp_path / "b", "-", stdin=path.read_bytes()))
    assert (from_pipe["format"], from_pipe["records"], from_pipe["accepted"]) == (
        from_file["format"], from_file["records"], from_file["accepted"]) == ("transcript", 20, 20)
    assert report(counted(Catalog(tmp_path / "b"), load("standard"), *ALL)).total_usd == _notional(lines)


def test_a_named_fifo_fed_by_a_writer_thread_is_ingested_once_whole(tmp_path):
    lines = _riftfern(300)
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as f:  # blocks until the reader opens it
            for line in lines:
                f.write(line + b"\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    res = _result(_cli(tmp_path / "lake", str(fifo), timeout=60))
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert (res["file"], res["records"], res["accepted"]) == (str(fifo), 300, 300)
    assert report(counted(Catalog(tmp_path / "lake"), load("standard"), *ALL)).total_usd == _notional(lines)


# Peak memory of one ingest in a fresh process: VmHWM (ru_maxrss would be the parent's after fork+exec).
_PEAK = """
import json, sys
from pathlib import Path
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
r = ingest_file(Catalog(Path(sys.argv[1])), "binance_usdm", Path(sys.argv[2]))
hwm = next(int(x.split()[1]) * 1024 for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(json.dumps({"hwm": hwm, "accepted": r.accepted, "quarantined": r.quarantined, "file": r.quarantine_file}))
"""


def _peak(lake: Path, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _PEAK, str(lake), str(path)], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_a_gzip_holding_one_64_mib_line_quarantines_its_byte_range_keeps_the_lines_around_it_in_bounded_memory(
        tmp_path):
    good = _riftfern(6)
    size = 64 << 20
    big = b'{"e":"forceOrder","pad":"' + b"x" * (size - 27) + b'"}'
    assert len(big) == size > MAX_RECORD_BYTES
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(c.compress(b"\n".join([*good[:3], big, *good[3:]]) + b"\n") + c.flush())
    assert path.stat().st_size < 200_000
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n".join(good) + b"\n")

    base = _peak(tmp_path / "base", small)
    got = _peak(tmp_path / "lake", path)
    assert (got["accepted"], got["quarantined"]) == (6, 1)
    # The line is never held whole: the peak grows by well under the line's own size over a 6-line ingest.
    assert got["hwm"] - base["hwm"] < size // 2, (got["hwm"] - base["hwm"]) / 2**20
    (entry,) = [json.loads(x) for x in Path(got["file"]).read_bytes().splitlines()]
    offset = sum(len(x) + 1 for x in good[:3])
    assert (entry["line"], entry["offset"], entry["length"], entry["field"]) == (4, offset, size, None)
    assert entry["reason"].startswith(f"RecordTooLarge: {size:,} bytes, above the limit of {MAX_RECORD_BYTES:,}")
    assert entry["raw"] == big[:256].decode()
    assert Path(got["file"]).stat().st_size < 2048
    assert report(counted(Catalog(tmp_path / "lake"), load("standard"), *ALL)).total_usd == _notional(good)
    # The raw journal keeps every byte, the oversized line's included, at the entry's byte range.
    sha = entry["raw_ref"].split(":")[0]
    blob = pa.CompressedInputStream(pa.OSFile(str(tmp_path / "lake" / "raw" / sha[:2] / f"{sha}.zst")), "zstd")
    with io.BufferedReader(blob) as raw:
        raw.read(offset)
        assert raw.read(size + 1) == big + b"\n"


def test_100k_blank_lines_are_one_counted_entry_and_a_tiny_quarantine_file(tmp_path):
    good = _riftfern(6)
    path = tmp_path / "blanks.jsonl"
    path.write_bytes(b"\n".join(good[:3]) + b"\n" + b"\n" * 50_000 + b"  \r\n" * 50_000 + b"\n".join(good[3:]) + b"\n")
    catalog = Catalog(tmp_path / "lake")
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.records, res.accepted, res.quarantined, res.blank_lines) == (6, 6, 0, 100_000)
    assert res.quarantine_file is not None
    (entry,) = [json.loads(x) for x in Path(res.quarantine_file).read_bytes().splitlines()]
    assert (entry["line"], entry["last_line"], entry["count"]) == (4, 100_003, 100_000)
    assert entry["reason"] == ("blank lines: 100,000 empty or whitespace-only lines in 1 run (lines 4-100003), "
                               "counted, not stored")
    assert Path(res.quarantine_file).stat().st_size < 512
    assert report(counted(catalog, load("standard"), *ALL)).total_usd == _notional(good)
    # Blank lines are not records: the lines after them keep their own numbers.
    con = catalog.connect()
    try:
        refs = sorted(int(r[0].rsplit(":", 1)[1]) for r in
                      con.execute(f"SELECT raw_ref FROM {catalog.records_sql(['binance_usdm'])}").fetchall())
    finally:
        con.close()
    assert refs == [1, 2, 3, 100_004, 100_005, 100_006]


def test_only_blank_lines_commit_nothing_and_say_how_many(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n" * 1000)
    catalog = Catalog(tmp_path / "lake")
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.records, res.blank_lines, res.quarantine_file) == (0, 1000, None)
    assert catalog.manifests() == []


def test_a_format_read_whole_refuses_an_input_that_inflates_past_the_cap_and_names_it(tmp_path, monkeypatch):
    import liqscope.ingest as ingest_module
    from liqscope.errors import InputUnreadable
    from tests._data import COINM_ARCHIVE

    path = tmp_path / "BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv.gz"
    path.write_bytes(gzip.compress(COINM_ARCHIVE.read_bytes()))
    monkeypatch.setattr(ingest_module, "WHOLE_BYTES", 900)
    catalog = Catalog(tmp_path / "lake")
    try:
        ingest_file(catalog, "binance_coinm", path, "binance-archive")
    except InputUnreadable as e:
        assert str(e) == (f"{path}: more than 900 bytes once decompressed, and this format is read whole; "
                          "split it into smaller files")
    else:
        raise AssertionError("an input past the cap was read")
    assert catalog.manifests() == []
    monkeypatch.setattr(ingest_module, "WHOLE_BYTES", len(COINM_ARCHIVE.read_bytes()))
    assert ingest_file(catalog, "binance_coinm", path, "binance-archive").records == 14
