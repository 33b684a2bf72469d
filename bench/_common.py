# Shared pieces of the benchmark suite: timing, scales, the synthetic inputs, result rows.
from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"          # gitignored: inputs, lakes, logs
START = "2025-10-10T00:00:00Z"

# Inputs per scale. "small" is a smoke run (minutes); "full" is what BENCHMARKS.md reports.
SCALES: dict[str, dict[str, int]] = {
    # venue_frames: each other venue's normalize input; reference_frames: the prefix its reference path is timed on
    # (its rate does not depend on the count, and it is the slow row); venue_ingest_frames: each other venue's ingest.
    "small": {"frames": 100_000, "venue_frames": 20_000, "reference_frames": 20_000, "ingest_frames": 100_000,
              "venue_ingest_frames": 20_000, "rss_events": 200_000, "repeats": 3,
              "lakes": (1_000_000,), "growth_days": (4, 8, 16)},
    "full": {"frames": 1_000_000, "venue_frames": 200_000, "reference_frames": 50_000, "ingest_frames": 300_000,
             "venue_ingest_frames": 100_000, "rss_events": 300_000, "repeats": 3,
             # 100M is left out of the full run: on 2 cores the lake builds in ~5 min but `report` and the
             # hand-written query take ~10 min each (see bench/NOTES.md); BENCH_LAKES=10000000,100000000 adds it.
             "lakes": (10_000_000,), "growth_days": (5, 20, 50)},
}


def scale_of(name: str) -> dict[str, Any]:
    if name not in SCALES:
        raise SystemExit(f"unknown scale {name!r}; valid: {', '.join(SCALES)}")
    cfg = dict(SCALES[name])
    if os.environ.get("BENCH_LAKES"):
        cfg["lakes"] = tuple(int(x) for x in os.environ["BENCH_LAKES"].split(","))
    return cfg


def measure(fn: Callable[[], Any], repeats: int, *, warmup: list[float] | None = None
            ) -> tuple[float, float, float, Any]:
    """(median, min, max) wall seconds over ``repeats`` runs, and the last run's return value.

    With ``warmup`` (a list), one untimed run goes first and its wall seconds are appended to it: steady-state
    throughput, with the first run's cost (imports, compiled plans, caches filled) reported beside it.
    """
    times, out = [], None
    if warmup is not None:
        t0 = time.perf_counter()
        fn()
        warmup.append(time.perf_counter() - t0)
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), out


def rate_row(section: str, case: str, n: int, timing: tuple[float, float, float, Any], unit: str,
             nbytes: int | None = None, **extra: Any) -> dict[str, Any]:
    """A throughput row: n items per run, reported as items/s (median, and the min-max range).

    With ``nbytes`` (the input's size) the row also carries ``mb_s``: 10^6 bytes of input per second at the median.
    """
    med, lo, hi, _ = timing
    mb = {} if nbytes is None else {"mb_s": nbytes / med / 1e6, "bytes": nbytes}
    return {"section": section, "case": case, "value": n / med, "min": n / hi, "max": n / lo, "unit": unit,
            "n": n, **mb, **extra}


def time_row(section: str, case: str, timing: tuple[float, float, float, Any], **extra: Any) -> dict[str, Any]:
    med, lo, hi, _ = timing
    return {"section": section, "case": case, "value": med, "min": lo, "max": hi, "unit": "s", **extra}


@functools.cache
def frames_file(venue: str, frames: int) -> Path:
    """A simulated recording of about ``frames`` frames (cached in bench/out/inputs)."""
    from liqscope._time import parse_iso_ns
    from liqscope.simulate import Params, simulate

    out = OUT / "inputs" / f"{venue}-{frames}"
    marker = out / "done"
    if not marker.exists():
        # Rate chosen so one hour yields about `frames` frames after the venue's sampling.
        per_frame = {"binance_usdm": 1.6, "binance_coinm": 2.5, "okx_swap": 3.0, "bybit_linear": 1.1,
                     "hyperliquid": 1.2}[venue]
        seconds = max(600.0, frames / 50.0)
        simulate(venue, out, start_ns=parse_iso_ns(START), seconds=seconds,
                 params=Params(rate=frames * per_frame / seconds), seed=11)
        marker.write_text("ok")
    return out / f"{venue}.jsonl"
