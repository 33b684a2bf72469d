"""SIGKILL a real ``liqscope ingest`` process at >= 20 points of a real workload, restart it every time.

The workload is six ``python -m liqscope ingest`` invocations over bundled real recordings (riftfern in
three parts, the last ending in a line cut mid-write; the 2024-08-17 recording from two recorders;
Hyperliquid node blocks; a COIN-M archive CSV; a file that grows between two ingests). Each invocation
is killed with SIGKILL several times before it may finish:

- at a named crash point of the commit protocol (``LIQSCOPE_CRASH_AT``, the hook in store/_writer.py:
  the process kills itself with a real SIGKILL), cycling through every point name;
- at a crash point drawn at random (seeded) from the whole invocation;
- after a random delay, killed from outside (anywhere: imports, parsing, DuckDB, Parquet writes).

After every kill, BEFORE restarting, the lake is read as a reader sees it: every file a committed
manifest lists exists and reads completely, and each input is either fully in the lake or not at all.
At the end the lake equals a clean run's row for row (but the wall-clock ``ts_recv``), no leftover file
remains, and the standard and every-copy reports are identical to the clean run's and to the
PROVENANCE figures: no accepted event lost, none counted twice.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog, _writer
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS
from tests.reliability import _lake

SEED = 20250808
MIN_KILLS = 20
RANDOM_HOOK_KILLS_PER_STEP = 4
ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
POINT_NAMES = ["raw:tmp-written", "raw:stored", "stage:table", "stage:lines", "commit:file-in-place",
               "commit:manifest-written", "commit:committed"]


@dataclass
class Step:
    venue: str
    files: list[str]
    fmt: str = "jsonl"
    write: dict[str, bytes] = field(default_factory=dict)  # input files (re)written before the step


def _workload(inputs: Path) -> list[Step]:
    rift = gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines(keepends=True)
    third = len(rift) // 3
    parts = [b"".join(rift[:third]), b"".join(rift[third:2 * third]), b"".join(rift[2 * third:])]
    parts[2] += rift[-1][:57] + b"\n"  # a recorder killed mid-write: the last line is cut (quarantined)
    grow = gzip.decompress(BINANCE_0818.read_bytes()).splitlines(keepends=True)
    for name, data in (("part1.jsonl", parts[0]), ("part2.jsonl", parts[1]), ("part3.jsonl", parts[2]),
                       ("recorder-b.jsonl", gzip.decompress(BINANCE_0817.read_bytes()))):
        (inputs / name).write_bytes(data)
    for src in (BINANCE_0817, HL_BLOCKS, COINM_ARCHIVE):
        (inputs / src.name).write_bytes(src.read_bytes())
    return [
        Step("binance_usdm", ["part1.jsonl", "part2.jsonl", "part3.jsonl"]),
        Step("binance_usdm", [BINANCE_0817.name, "recorder-b.jsonl"]),
        Step("hyperliquid", [HL_BLOCKS.name]),
        Step("binance_coinm", [COINM_ARCHIVE.name], fmt="binance-archive"),
        Step("binance_usdm", ["growing.jsonl"], write={"growing.jsonl": b"".join(grow[:200])}),
        Step("binance_usdm", ["growing.jsonl"], write={"growing.jsonl": b"".join(grow)}),
    ]


def _clean_run(root: Path, inputs: Path, steps: list[Step], logs: Path, monkeypatch) -> list[list[str]]:
    """Run the workload in-process, undisturbed; return each step's crash-point names in order."""
    traces = []
    for n, step in enumerate(steps):
        for name, data in step.write.items():
            (inputs / name).write_bytes(data)
        log = logs / f"clean-{n}.log"
        monkeypatch.setattr(_writer, "_CRASH_LOG", str(log))
        catalog = Catalog(root)
        for name in step.files:
            ingest_file(catalog, step.venue, inputs / name, step.fmt)
        traces.append([line.split(" ", 2)[2] for line in log.read_text().splitlines()] if log.exists() else [])
    monkeypatch.setattr(_writer, "_CRASH_LOG", None)
    return traces


def _by_input(root: Path, table: str) -> Counter[str]:
    return Counter(r["raw_ref"].split(":")[0] for r in _lake.rows(root, table))


def _check_reader_view(root: Path, clean_records: Counter[str], clean_events: Counter[str]) -> int:
    """What a reader sees right after a kill; returns how many leftover files it did NOT see."""
    files = _lake.listed_files(root)
    for path in files:
        assert path.exists(), f"a committed manifest lists {path}, which is not there"
        if path.suffix == ".jsonl":
            [json.loads(line) for line in path.read_bytes().splitlines()]  # complete quarantine lines
    records, events = _by_input(root, "records"), _by_input(root, "events")  # reads every file whole
    for sha, n in records.items():
        assert n == clean_records[sha], f"input {sha[:12]} is in the lake partially or twice: {n} records"
        assert events[sha] == clean_events[sha], f"input {sha[:12]}: {events[sha]} events, not {clean_events[sha]}"
    parquet = [str(p) for p in files if p.suffix == ".parquet" and "/events/" in str(p)]
    if parquet:  # a real query over exactly what readers list
        [(n,)] = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet({parquet!r}, union_by_name = true)"
                                          ).fetchall()
        assert n == sum(events.values())
    return len(_lake.leftovers(root))


def _run(argv: list[str], env: dict[str, str], delay: float | None) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=delay if delay is not None else 120)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def test_sigkilled_ingest_loses_nothing_and_counts_nothing_twice(tmp_path, monkeypatch):
    inputs, logs = tmp_path / "inputs", tmp_path / "logs"
    inputs.mkdir()
    logs.mkdir()
    steps = _workload(inputs)
    clean_root, root = tmp_path / "clean", tmp_path / "killed"
    traces = _clean_run(clean_root, inputs, steps, logs, monkeypatch)
    clean_records, clean_events = _by_input(clean_root, "records"), _by_input(clean_root, "events")

    rng = random.Random(SEED)
    kills: list[tuple[int, str, str]] = []  # (step, how, where it died)
    unseen_leftovers = 0
    for n, step in enumerate(steps):
        for name, data in step.write.items():
            (inputs / name).write_bytes(data)
        argv = [sys.executable, "-m", "liqscope", "ingest", "--venue", step.venue, "--format", step.fmt,
                *[str(inputs / f) for f in step.files], "--data-dir", str(root), "--json"]
        committed = 0  # batches of this step committed so far: the restart skips them
        plan = ["point"] + ["random"] * RANDOM_HOOK_KILLS_PER_STEP + ["timer", "finish"]
        done = False
        for attempt, how in enumerate(plan):
            ends = [i for i, name in enumerate(traces[n]) if name == "commit:committed"]
            remaining = traces[n][ends[committed - 1] + 1:] if committed else traces[n]
            named = POINT_NAMES[(n + attempt) % len(POINT_NAMES)]
            log = logs / f"run-{n}-{attempt}.log"
            env = {**os.environ, "LIQSCOPE_CRASH_LOG": str(log)}
            if how == "point" and remaining:
                env["LIQSCOPE_CRASH_AT"] = str(remaining.index(named) + 1 if named in remaining else 1)
            elif how == "random" and remaining:
                env["LIQSCOPE_CRASH_AT"] = str(rng.randint(1, len(remaining)))
            res = _run(argv, env, rng.uniform(0.05, 1.0) if how == "timer" else None)
            passed = [line.split(" ", 2)[2] for line in log.read_text().splitlines()] if log.exists() else []
            committed += passed.count("commit:committed")
            if res.returncode == -signal.SIGKILL:
                where = passed[-1] if passed else "before any crash point"
                kills.append((n, how, where if how != "timer" else f"after {where}"))
                unseen_leftovers += _check_reader_view(root, clean_records, clean_events)
                continue
            assert res.returncode == 0, f"step {n} {how}: rc {res.returncode}\n{res.stderr.decode()[-3000:]}"
            done = True
            break
        assert done, f"step {n} never finished"

    assert len(kills) >= MIN_KILLS, kills
    hook_points = {where for _, how, where in kills if how in ("point", "random")}
    assert set(POINT_NAMES) - {"stage:lines"} <= hook_points, hook_points
    assert any(how == "timer" for _, how, _ in kills)
    assert unseen_leftovers > 0, "no kill ever left a torn or uncommitted file: the test proves nothing"

    # Restart recovery has cleaned up, and the lake is the clean run's, row for row.
    final, clean = Catalog(root), Catalog(clean_root)
    assert _lake.leftovers(root) == []
    assert _lake.multiset(root, "events") == _lake.multiset(clean_root, "events")
    assert _lake.multiset(root, "records") == _lake.multiset(clean_root, "records")
    keys = [r["record_key"] for r in _lake.rows(root, "records")]
    assert len(keys) == len(set(keys)), "a source record was stored twice"
    for name in ("standard", "every-copy"):
        assert report(counted(final, load(name), *ALL)) == report(counted(clean, load(name), *ALL))

    # ... and both equal figures computed independently (PROVENANCE.md, by hand).
    std, every = report(counted(final, load("standard"), *ALL)), report(counted(final, load("every-copy"), *ALL))
    riftfern, aug17, aug18 = Decimal("2051029.33492100"), Decimal("442310.62914008"), Decimal("472964.04697525")
    assert std.venue("binance_usdm").total_usd == riftfern + aug17 + aug18
    assert std.venue("binance_usdm").events == 2045 + 456 + 385
    assert every.venue("binance_usdm").total_usd == riftfern + 2 * aug17 + aug18  # the second recorder
    assert std.venue("hyperliquid").total_usd == Decimal("890.0") * Decimal("0.15327")
    assert std.venue("binance_coinm").total_usd == 106 * 100
    print(f"\nkills survived: {len(kills)}; leftover files never visible to a reader: {unseen_leftovers}")
    print(Counter(where for _, _, where in kills))


def test_a_kill_between_files_in_place_and_the_manifest_leaves_nothing_visible(tmp_path):
    """The window that matters most: files complete and in place, manifest not yet committed."""
    def argv(root: Path) -> list[str]:
        return [sys.executable, "-m", "liqscope", "ingest", "--venue", "binance_usdm", str(BINANCE_0817),
                "--data-dir", str(root)]

    log = tmp_path / "trace.log"
    subprocess.run(argv(tmp_path / "trace"), env={**os.environ, "LIQSCOPE_CRASH_LOG": str(log)},
                   capture_output=True, check=True)
    names = [line.split(" ", 2)[2] for line in log.read_text().splitlines()]
    root = tmp_path / "lake"
    at = names.index("commit:manifest-written") + 1  # every file in place, the manifest not yet renamed
    res = subprocess.run(argv(root), env={**os.environ, "LIQSCOPE_CRASH_AT": str(at)}, capture_output=True)
    assert res.returncode == -signal.SIGKILL
    assert _lake.manifests(root) == []
    assert any(p.suffix == ".parquet" for p in _lake.leftovers(root))  # complete files, listed by no manifest
    catalog = Catalog(root)  # a reader sees nothing and touches nothing
    assert catalog.manifests() == [] and _lake.leftovers(root)
    _writer.recover(catalog.layout)  # the next writer moves the uncommitted batch's files aside
    assert _lake.leftovers(root) == [] and catalog.manifests() == []
    assert report(counted(catalog, load("standard"), *ALL)).events == 0
