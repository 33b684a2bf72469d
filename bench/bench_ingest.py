"""Ingest end to end (raw journal + normalize + Parquet commit), and peak RSS while ingesting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._common import OUT, frames_file, scale_of

_RSS = """
import resource, sys, time
from pathlib import Path
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
t = time.perf_counter()
r = ingest_file(Catalog(Path(sys.argv[1])), "binance_usdm", Path(sys.argv[2]))
print(r.records, r.accepted, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _ingest_once(path: Path, lake: Path) -> tuple[int, int, float, int]:
    # A fresh process per run: peak RSS is the process's own, and nothing is cached between runs.
    shutil.rmtree(lake, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _RSS, str(lake), str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ingest process failed ({done.returncode}): {done.stderr[-2000:]}")
    out = done.stdout.split()
    return int(out[0]), int(out[1]), float(out[2]), int(out[3])


def run(scale: str) -> list[dict[str, Any]]:
    cfg = scale_of(scale)
    rows: list[dict[str, Any]] = []
    path = frames_file("binance_usdm", cfg["ingest_frames"])
    runs = [_ingest_once(path, OUT / "lake-ingest") for _ in range(cfg["repeats"])]
    records = runs[0][0]
    secs = sorted(r[2] for r in runs)
    rows.append({"section": "ingest", "case": f"binance_usdm jsonl, {records:,} frames -> lake (raw gzip journal, "
                 "normalize, Parquet zstd, manifest commit)", "value": records / secs[len(secs) // 2],
                 "min": records / secs[-1], "max": records / secs[0], "unit": "frames/s", "n": records,
                 "target": ">= 500,000 frames/s", "met": records / secs[len(secs) // 2] >= 500_000})
    rss = max(r[3] for r in runs)
    events = runs[0][1]
    per_event = rss / events
    rows.append({"section": "memory", "case": f"peak RSS ingesting one file of {events:,} events", "value": rss / 2**20,
                 "unit": "MiB", "n": events, "note": f"{per_event / 1024:.2f} KiB per event"})
    rows.append({"section": "memory", "case": "peak RSS ingesting 10,000,000 events in one file (extrapolated "
                 "linearly from the row above; not run: it would not fit the time budget)",
                 "value": per_event * 10_000_000 / 2**20, "unit": "MiB", "target": "< 1,536 MiB",
                 "met": per_event * 10_000_000 < 1.5 * 2**30})
    return rows
