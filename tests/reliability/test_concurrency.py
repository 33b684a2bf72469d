"""Writers and readers at once, as real processes on a real lake: nothing lost, nothing doubled, verify clean.

The matrix (issue 14): N concurrent ingests of overlapping files; two compactions at once; ingest + compact
(`--grace 0`, in a loop) + a live capture against the loopback replay server (rolling up every 2 batches,
retiring at once) together; readers polling throughout, each poll checking that no record is ever visible
twice. Every final total is compared with figures computed independently (PROVENANCE.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from liqscope.capture import Feed
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.verify import verify_lake
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN
from tests.capture._live import capture_through, options, run
from tests.reliability import _lake

ALL = (1_577_836_800 * 10**9, 1_798_761_600 * 10**9)  # 2020-01-01 .. 2027-01-01
RIFT, AUG17, AUG18 = (Decimal("2051029.33492100"), 2045), (Decimal("442310.62914008"), 456), \
    (Decimal("472964.04697525"), 385)
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}

# A reader polling the lake until told to stop: every poll must succeed and never see a record twice.
_READER = r"""
import json, sys, time
from pathlib import Path
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
polls = doubled = 0
while not stop.exists():
    c = Catalog(root)
    files = c.record_files()
    if files:
        con = c.connect()
        try:
            n, distinct = con.execute(f"SELECT count(*), count(DISTINCT record_key) FROM {c.records_sql()}").fetchone()
        except Exception as e:  # a file retired between listing and reading (compact --grace 0): list again
            if all(p.exists() for p in files):
                raise
            continue
        doubled += n != distinct
    for name in ("standard", "every-copy"):
        try:
            report(counted(c, load(name), 1_577_836_800 * 10**9, 1_798_761_600 * 10**9))
        except Exception:
            if all(p.exists() for p in c.event_files()):
                raise
    polls += 1
    time.sleep(0.02)
print(json.dumps({"polls": polls, "doubled": doubled}))
"""

# Compact in a loop (grace 0: replaced files are deleted at once) until told to stop.
_COMPACTOR = r"""
import json, sys, time
from pathlib import Path
from liqscope.store import Catalog
from liqscope.store._compact import compact
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
runs = merged = 0
while not stop.exists() or runs < 2:
    r = compact(Catalog(root), grace_s=0)
    runs += 1
    merged += r.batch is not None
    time.sleep(0.05)
print(json.dumps({"runs": runs, "merged": merged}))
"""


def _env(root: Path) -> dict[str, str]:
    # The crash-point trace (no kill): which races each writer lost, counted in _races().
    return {**ENV, "LIQSCOPE_CRASH_LOG": str(root.parent / f"{root.name}.trace")}


def _races(root: Path) -> Counter[str]:
    trace = root.parent / f"{root.name}.trace"
    names = [ln.split(" ", 2)[2] for ln in trace.read_text().splitlines()] if trace.exists() else []
    return Counter(n for n in names if n.endswith(("conflict", "dropped", "gave-up", "input-retired")))


def _py(code: str, *args: object) -> subprocess.Popen[str]:
    root = Path(str(args[0]))
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(root))


def _ingest(root: Path, *files: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "liqscope", "ingest", "--venue", "binance_usdm",
                             *map(str, files), "--data-dir", str(root), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(root))


def _done(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return out


def _totals(root: Path, name: str) -> tuple[Decimal, int]:
    r = report(counted(Catalog(root), load(name), *ALL))
    return r.total_usd, r.events


def _assert_clean(root: Path, standard: tuple[Decimal, int], every: tuple[Decimal, int]) -> None:
    assert _totals(root, "standard") == standard
    assert _totals(root, "every-copy") == every
    keys = [r["record_key"] for r in _lake.rows(root, "records")]
    assert len(keys) == len(set(keys)), "a source record is stored twice"
    v = verify_lake(Catalog(root))
    assert v.ok, [(p.kind, p.path, p.detail) for p in v.problems]
    assert v.skipped == []  # capture batches too are rebuilt from their transcripts and compared


def test_concurrent_ingests_of_overlapping_files_leave_one_copy_of_each_record(tmp_path):
    """Issue 14 #1 and the matrix's first row: 4 ingests at once, twice, a reader polling throughout."""
    for round_ in range(2):
        root, stop = tmp_path / f"lake{round_}", tmp_path / f"stop{round_}"
        reader = _py(_READER, root, stop)
        procs = [_ingest(root, BINANCE_RIFTFERN), _ingest(root, BINANCE_RIFTFERN),
                 _ingest(root, BINANCE_0817, BINANCE_RIFTFERN), _ingest(root, BINANCE_0818, BINANCE_0817)]
        outs = [_done(p) for p in procs]
        stop.touch()
        polled = json.loads(_done(reader))
        assert polled["doubled"] == 0 and polled["polls"] > 0, polled
        # Each file's records were stored by exactly one of the ingests that read it.
        accepted = [r for out in outs for r in (json.loads(out) if out.lstrip().startswith("[")
                                                   else [json.loads(out)])]
        assert accepted
        total = (RIFT[0] + AUG17[0] + AUG18[0], RIFT[1] + AUG17[1] + AUG18[1])
        _assert_clean(root, total, total)
        print(f"\nround {round_}: races lost {dict(_races(root))}, reader polls {polled['polls']}")


def test_two_compactions_and_ingests_at_once_never_double_a_row(tmp_path):
    """Issue 14 #2 and #6 (re-ingest against `compact --grace 0`): two compaction loops, three ingests, a reader."""
    root, stop = tmp_path / "lake", tmp_path / "stop"
    for f in (BINANCE_0817, BINANCE_0818):
        _done(_ingest(root, f))
    reader = _py(_READER, root, stop)
    compactors = [_py(_COMPACTOR, root, stop), _py(_COMPACTOR, root, stop)]
    ingests = [_ingest(root, BINANCE_RIFTFERN), _ingest(root, BINANCE_0817), _ingest(root, BINANCE_RIFTFERN)]
    for p in ingests:
        _done(p)
    stop.touch()
    stats = [json.loads(_done(p)) for p in compactors]
    assert sum(s["merged"] for s in stats) >= 1, stats
    assert json.loads(_done(reader))["doubled"] == 0
    total = (RIFT[0] + AUG17[0] + AUG18[0], RIFT[1] + AUG17[1] + AUG18[1])
    _assert_clean(root, total, total)
    print(f"\ncompactions {stats}, races lost {dict(_races(root))}")


def test_ingest_compact_and_a_live_capture_together_count_each_record_once(tmp_path, monkeypatch):
    """Issue 14 #3 and #6: capture (rollups every 2 batches, retired at once) + `compact --grace 0` in a loop
    + ingests + a reader. Rollup and compaction never both replace a batch; the commit worker survives."""
    root, stop = tmp_path / "lake", tmp_path / "stop"
    catalog = Catalog(root)
    monkeypatch.setenv("LIQSCOPE_CRASH_LOG", _env(root)["LIQSCOPE_CRASH_LOG"])  # the commit worker's trace
    _done(_ingest(root, BINANCE_0818))
    reader = _py(_READER, root, stop)
    compactor = _py(_COMPACTOR, root, stop)
    ingests = [_ingest(root, BINANCE_RIFTFERN), _ingest(root, BINANCE_0817)]
    feed = Feed.from_file("binance_usdm", BINANCE_0817, rate=80)  # ~5.7 s, a commit every 0.1 s at most
    result, _ = run(capture_through(catalog, [feed], speed=1.0, expect={"binance_usdm": 456},
                                    opts=options(rollup_fanout=2, rollup_grace_s=0.0), timeout_s=50))
    for p in ingests:
        _done(p)
    time.sleep(0.5)
    stop.touch()
    _done(compactor)
    assert json.loads(_done(reader))["doubled"] == 0
    assert result.venues["binance_usdm"].commits >= 3
    # The capture's copy of Aug 17 and the file's copy are two sources: every-copy counts both, standard once.
    standard = (RIFT[0] + AUG17[0] + AUG18[0], RIFT[1] + AUG17[1] + AUG18[1])
    every = (RIFT[0] + 2 * AUG17[0] + AUG18[0], RIFT[1] + 2 * AUG17[1] + AUG18[1])
    _assert_clean(root, standard, every)
    print(f"\ncapture commits {result.venues['binance_usdm'].commits}, races lost {dict(_races(root))}")
