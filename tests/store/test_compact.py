"""`compact` merges small files without changing any result, and a crash at any point double counts nothing."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.store._compact import collect, compact
from tests._data import BINANCE_0817, BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
METHODOLOGIES = ("standard", "every-copy")


def _reports(root: Path) -> dict[str, object]:
    catalog = Catalog(root)
    return {name: report(counted(catalog, load(name), *ALL), largest_n=50) for name in METHODOLOGIES}


def _inputs(tmp: Path) -> list[tuple[str, Path, str]]:
    copy = tmp / "second-recorder.jsonl"  # the same frames from another recorder: stored twice, counted once
    copy.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()))
    return [("binance_usdm", BINANCE_0817, "jsonl"), ("binance_usdm", copy, "jsonl"),
            ("binance_usdm", BINANCE_RIFTFERN, "jsonl"), ("hyperliquid", HL_BLOCKS, "jsonl"),
            ("hyperliquid", HL_OFFICIAL, "hyperliquid-official"), ("binance_coinm", COINM_ARCHIVE, "binance-archive")]


def _lake_files(root: Path) -> set[str]:
    lake = root / "lake"
    return {str(p.relative_to(lake)) for p in lake.rglob("*.parquet")}


def _listed(root: Path) -> set[str]:
    return {rel for m in Catalog(root).manifests() for rel in m.files if rel.endswith(".parquet")}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("compact")
    root = tmp / "data"
    for venue, path, fmt in _inputs(tmp):
        ingest_file(Catalog(root), venue, path, fmt)
    return root


def test_compaction_changes_no_report_and_leaves_one_file_per_partition(lake, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(lake, root)
    before = _reports(root)
    # the second recorder's copies, and the COIN-M archive's rows that Binance writes twice
    assert before["every-copy"].events == before["standard"].events + 456 + 7
    files_before = _lake_files(root)

    r = compact(Catalog(root))
    # binance_usdm 2024-08-17 (2 copies) + records of binance_usdm (3 files) and hyperliquid (2 files).
    assert (r.files_before, r.files_after, r.replaced_batches) == (7, 3, 5)
    assert r.rows == 2 * 456 + (456 + 456 + 2045) + (1000 + 17)  # events rows + record rows, each once
    assert _reports(root) == before
    after = _lake_files(root)
    assert after == _listed(root)  # replaced files are gone, nothing unlisted is left
    assert len(after) == len(files_before) - 7 + 3
    parts = [rel.rsplit("/", 1)[0] for rel in after]
    assert len(parts) == len(set(parts))  # one file per partition

    again = compact(Catalog(root))
    assert again.batch is None and _reports(root) == before
    for venue, path, fmt in _inputs(tmp_path):  # ingest stays idempotent over merged record files
        res = ingest_file(Catalog(root), venue, path, fmt)
        assert (res.accepted, res.duplicate) == (0, 0) and res.already_present == res.records
    assert _reports(root) == before


def test_replaced_files_stay_readable_during_the_grace_period_but_never_count(lake, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(lake, root)
    before, files_before = _reports(root), _lake_files(root)
    r = compact(Catalog(root), grace_s=3600)
    assert r.files_after == 3 and (r.manifests_retired, r.files_deleted) == (0, 0)
    assert files_before <= _lake_files(root)  # old files still on disk for running queries ...
    assert _reports(root) == before           # ... but counted once, through the merged files only
    assert collect(Catalog(root), grace_s=0) == (5, 7)
    assert _lake_files(root) == _listed(root) and _reports(root) == before


_COMPACT = "from liqscope.store import Catalog; from liqscope.store._compact import compact; import sys; " \
           "compact(Catalog(sys.argv[1]))"


def _run_compact(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _COMPACT, str(root)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_a_crash_at_any_point_of_compaction_never_double_counts_or_loses_a_row(lake, tmp_path):
    """Kill the process (SIGKILL) at each crash point in turn; reopen, compare, finish, compare."""
    before = _reports(lake)
    probe = tmp_path / "probe"
    shutil.copytree(lake, probe)
    log = tmp_path / "points.log"
    assert _run_compact(probe, LIQSCOPE_CRASH_LOG=str(log)).returncode == 0
    points = [line.split()[2] for line in log.read_text().splitlines()]
    assert {"compact:file-written", "compact:manifest-written", "compact:committed",
            "compact:manifest-retired"} <= set(points)
    # Each kind of point at its first and last pass (a point repeated per file leaves the same kind of state).
    chosen = sorted({points.index(p) + 1 for p in points} | {len(points) - points[::-1].index(p) for p in points})
    for n in chosen:
        name = points[n - 1]
        root = tmp_path / f"crash-{n}"
        shutil.copytree(lake, root)
        crashed = _run_compact(root, LIQSCOPE_CRASH_AT=str(n))
        assert crashed.returncode == -9, (name, crashed.stderr)
        assert _reports(root) == before, f"after a crash at {name} (#{n})"
        compact(Catalog(root))
        assert _reports(root) == before, f"after finishing a compaction cut at {name} (#{n})"
        assert _lake_files(root) == _listed(root), f"leftovers after a crash at {name} (#{n})"
