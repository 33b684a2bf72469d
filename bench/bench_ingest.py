"""Ingest end to end (raw journal + normalize + Parquet commit), and peak RSS while ingesting.

Binance USD-M is the reference; one venue of every other family with a fast path (``FAMILIES``) is
ingested the same way on a smaller file, and its MB/s is given as a ratio to binance_usdm's first row.

Both memory rows are real runs in a fresh process (``ru_maxrss``), nothing is extrapolated: one file of
the simulated recording, and one file of ``BIG`` events built by replicating that recording with every
replica shifted in time, so each line is a distinct liquidation (cached in bench/out/inputs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._common import OUT, frames_file, scale_of
from bench._fixtures import input_file

# Events in the one-file memory run. "full" is the 10M; BENCH_INGEST_EVENTS overrides either.
BIG = {"small": 1_000_000, "full": 10_000_000}
MIB = 2**20

# Peak RSS is VmHWM from /proc: ru_maxrss survives execve on Linux, so a child would report its parent's
# peak (this process's, building inputs) whenever that was higher than its own.
_RSS = """
import resource, sys, time
from pathlib import Path
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
t = time.perf_counter()
r = ingest_file(Catalog(Path(sys.argv[1])), sys.argv[3], Path(sys.argv[2]))
secs = time.perf_counter() - t
try:
    hwm = next(int(x.split()[1]) * 1024 for x in open("/proc/self/status") if x.startswith("VmHWM:"))
except (OSError, StopIteration):
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(r.records, r.accepted, secs, hwm)
"""


def _ingest_once(path: Path, lake: Path, venue: str = "binance_usdm", *, fresh: bool = True, keep: bool = False
                 ) -> tuple[int, int, float, int]:
    # A fresh process per run: peak RSS is the process's own, and nothing is cached between runs. The lake is
    # new unless ``fresh`` is False, and removed after unless ``keep``.
    if fresh:
        shutil.rmtree(lake, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _RSS, str(lake), str(path), venue], capture_output=True, text=True)
    if not keep:
        shutil.rmtree(lake, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"ingest process failed ({done.returncode}): {done.stderr[-2000:]}")
    out = done.stdout.split()
    return int(out[0]), int(out[1]), float(out[2]), int(out[3])


_TIME = re.compile(rb'"([ET])":(\d+)')


def replicated_file(base: Path, events: int) -> Path:
    """``events`` distinct Binance liquidations in one JSON-lines file (built once, then cached).

    The simulator's marker line comes first (the file stays labelled synthetic), then the base
    recording's frames again and again, replica ``k`` shifted by ``k`` times the recording's span (whole
    seconds), so event ids (symbol, trade time, filled qty) never repeat.
    """
    return _replicas(base, events, f"binance_usdm-replicated-{events}")


def next_replica(base: Path, events: int) -> Path:
    """The base recording once more, shifted as the replica after the last one of ``replicated_file(base,
    events)``: distinct liquidations from every one in that file (ingested into its lake: an existing lake)."""
    lines = base.read_bytes().count(b"\n") - 1
    return _replicas(base, lines, f"binance_usdm-replica-after-{events}", first=-(-events // lines))


def _replicas(base: Path, events: int, name: str, first: int = 0) -> Path:
    out = OUT / "inputs" / name
    path, marker = out / "binance_usdm.jsonl", out / "done"
    if marker.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    head, body = base.read_bytes().split(b"\n", 1)
    lines = body.splitlines(keepends=True)
    times = [int(m.group(2)) for m in _TIME.finditer(body)]
    span_ms = (max(times) - min(times)) // 1000 * 1000 + 1000
    with open(path.with_suffix(".tmp"), "wb") as f:
        f.write(head + b"\n")
        left, k = events, first
        while left > 0:
            take = b"".join(lines[:left]) if left < len(lines) else body
            shift = k * span_ms
            f.write(_TIME.sub(lambda m, s=shift: b'"%s":%d' % (m.group(1), int(m.group(2)) + s), take))
            left -= min(left, len(lines))
            k += 1
    os.replace(path.with_suffix(".tmp"), path)
    marker.write_text("ok")
    return path


# One venue per family besides Binance, the same ingest as above on ~``venue_ingest_frames`` frames: the
# simulator's where the venue has one, else its real fixture frames replicated (bench/_fixtures.py). BitMEX is
# left out: its table carries no time, and ingest refuses a timeless venue's file without a receipt-time field.
FAMILIES = ("bybit_linear", "okx_swap", "bitget_futures", "deribit", "dydx_v4", "gate_futures", "kraken_futures")


def _venue_rows(cfg: dict[str, Any], binance_mb_s: float) -> list[dict[str, Any]]:
    rows = []
    for venue in FAMILIES:
        path, label = input_file(venue, cfg["venue_ingest_frames"])
        runs = [_ingest_once(path, OUT / "lake-ingest", venue) for _ in range(cfg["repeats"])]
        records, accepted = runs[0][0], runs[0][1]
        secs = sorted(r[2] for r in runs)
        med, size = secs[len(secs) // 2], path.stat().st_size
        rows.append({"section": "ingest", "case": f"{venue} jsonl, {records:,} frames -> lake (as above)",
                     "value": records / med, "min": records / secs[-1], "max": records / secs[0], "unit": "frames/s",
                     "n": records, "mb_s": size / med / 1e6, "bytes": size, "ratio": size / med / 1e6 / binance_mb_s,
                     "ratio_note": "per byte vs binance_usdm's first row",
                     "note": f"{label}; {size / records:.0f} B/frame; {accepted:,} events; peak RSS "
                             f"{max(r[3] for r in runs) / MIB:.0f} MiB"})
    return rows


def run(scale: str) -> list[dict[str, Any]]:
    cfg = scale_of(scale)
    rows: list[dict[str, Any]] = []
    path = frames_file("binance_usdm", cfg["ingest_frames"])
    runs = [_ingest_once(path, OUT / "lake-ingest") for _ in range(cfg["repeats"])]
    records = runs[0][0]
    secs = sorted(r[2] for r in runs)
    rows.append({"section": "ingest", "case": f"binance_usdm jsonl, {records:,} frames -> lake (raw zstd journal, "
                 "normalize, Parquet zstd, manifest commit)", "value": records / secs[len(secs) // 2],
                 "min": records / secs[-1], "max": records / secs[0], "unit": "frames/s", "n": records,
                 "target": ">= 500,000 frames/s", "met": records / secs[len(secs) // 2] >= 500_000})
    binance_mb_s = path.stat().st_size / secs[len(secs) // 2] / 1e6
    rows[-1].update(mb_s=binance_mb_s, bytes=path.stat().st_size)
    rss, events = max(r[3] for r in runs), runs[0][1]
    rows.append({"section": "memory", "case": f"peak RSS ingesting one file of {events:,} events", "value": rss / MIB,
                 "unit": "MiB", "n": events, "note": f"{rss / events / 1024:.2f} KiB per event"})

    want = int(os.environ.get("BENCH_INGEST_EVENTS") or BIG[scale])
    big = replicated_file(path, want)
    b_records, b_events, b_secs, b_rss = _ingest_once(big, OUT / "lake-ingest-big", keep=True)
    rows.append({"section": "ingest", "case": f"binance_usdm jsonl, one file of {b_records:,} frames -> lake "
                 "(streamed in chunks, one commit)", "value": b_records / b_secs, "unit": "frames/s", "n": b_records,
                 "mb_s": big.stat().st_size / b_secs / 1e6, "bytes": big.stat().st_size,
                 "target": ">= 500,000 frames/s", "met": b_records / b_secs >= 500_000,
                 "note": f"one run, {b_secs:.0f} s"})
    rows.append({"section": "memory", "case": f"peak RSS ingesting one file of {b_events:,} events (a real run)",
                 "value": b_rss / MIB, "unit": "MiB", "n": b_events, "target": "< 1,536 MiB" if want >= 10_000_000
                 else "", "met": b_rss < 1.5 * 2**30 if want >= 10_000_000 else None,
                 "note": f"{b_rss / MIB / (rss / MIB):.2f}x the {events:,}-event run's peak"})
    # The same recording (shifted: new liquidations) into the lake that now holds the big file: what each
    # further archive costs once the lake is large (its keys and ids are looked up in the lake).
    after = next_replica(path, want)
    e_records, e_events, e_secs, e_rss = _ingest_once(after, OUT / "lake-ingest-big", fresh=False)
    first = records / secs[len(secs) // 2]
    rows.append({"section": "ingest", "case": f"binance_usdm jsonl, {e_records:,} new frames -> the lake of the "
                 f"{b_events:,}-event file", "value": e_records / e_secs, "unit": "frames/s", "n": e_records,
                 "ratio": e_records / e_secs / first, "ratio_note": "this / the same ingest into a new lake",
                 "note": f"one run, {e_secs:.1f} s; {e_events:,} events accepted; peak RSS {e_rss / MIB:.0f} MiB"})
    return rows + _venue_rows(cfg, binance_mb_s)
