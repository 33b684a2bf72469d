"""Soak: a long simulated capture through the loopback replay server, with memory sampled throughout.

The replay server (its own process) loops the bundled real Binance USD-M recordings at ``--rate`` frames/s,
every frame retimed to its send time (the server's ``skew@0:0`` fault: fresh venue times, so each looped
copy is a new liquidation, not a duplicate). The real capture client (this process, plus its commit worker
process) records every frame to its transcript and group-commits batches to a lake in a temporary
directory. Every ``--sample`` seconds it samples the RSS of the capture, its commit worker and the server,
and the frames received and committed; at the end it times what a reader pays on the lake it made (a fresh
``Catalog`` listing every manifest, and ``report()`` over the whole run) and writes duration, frames/s,
backlog and back-pressure figures and the memory slopes (MB/min, least squares over the samples after the
warm-up) to ``bench/out/soak.json``; ``--record`` also adds a row to the table in ``bench/SOAK.md``.

Not part of CI. Usage::

    .venv/bin/python bench/soak.py --minutes 30 --rate 6000 --record   # the full soak (the issue's bar)
    .venv/bin/python bench/soak.py --minutes 5 --rate 6000             # a short check
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing as mp
import os
import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from liqscope.capture import Capture, CaptureOptions, Fault, Feed, ReplayServer
from liqscope.store import Catalog

DEMO = Path(__file__).resolve().parent.parent / "src" / "liqscope" / "demo_data"
RECORDINGS = ["binance_usdm_riftfern_2025-12-27_to_28_all.frames.jsonl.gz",
              "binance_usdm_bandsthobaby_2024-08-17_all.frames.jsonl.gz"]
VENUE = "binance_usdm"
OUT = Path(__file__).resolve().parent / "out" / "soak.json"


class _Times(Sequence[int]):
    # Send times (ns offsets) of a feed paced at ``rate`` frames per second, in ticks of 10 ms (a sleep per
    # frame would cap the rate near 1k frames/s). The server sleeps ``times[i] - times[i - 1]`` before frame
    # i, a pause relative to the previous send, so the time it spends sending adds up and it falls behind
    # (--rate 6000 gave ~3.6k frames/s). To keep to the absolute schedule, the previous frame's time, read
    # right after the next one's (the server's order), is "now": the pause is what is left until frame i is
    # due, and nothing when the server is late.
    def __init__(self, rate: float, total: int) -> None:
        self.rate, self.total, self.tick = rate, total, max(1, int(rate / 100))
        self._t0: float | None = None
        self._asked = -1

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, i):  # type: ignore[override]
        if self._t0 is None:
            self._t0 = time.monotonic()
        if i == self._asked - 1:
            return int((time.monotonic() - self._t0) * 1e9)
        self._asked = i
        return int((i // self.tick) * self.tick * 1e9 / self.rate)


class _Loop(Sequence[bytes]):
    # The recording repeated ``total`` frames long, without materializing the copies.
    def __init__(self, frames: list[bytes], total: int) -> None:
        self.frames, self.total = frames, total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, i):  # type: ignore[override]
        return self.frames[i % len(self.frames)]


def _frames() -> list[bytes]:
    out: list[bytes] = []
    for name in RECORDINGS:
        out += [ln for ln in gzip.decompress((DEMO / name).read_bytes()).splitlines() if ln.strip()]
    return out


def _serve(port_q: mp.Queue, stop: mp.Event, rate: float | None) -> None:
    async def main() -> None:
        total = 10**12
        feed = Feed(VENUE, _Loop(_frames(), total), _Times(rate, total) if rate else None)  # type: ignore[arg-type]
        async with ReplayServer([feed], speed=1 if rate else 0, faults={VENUE: [Fault("skew", 0, 0.0)]}) as server:
            port_q.put((server.url(VENUE), os.getpid()))
            while not stop.is_set():
                await asyncio.sleep(0.2)

    asyncio.run(main())


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _halves(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    mid = len(points) // 2
    return [points[:mid], points[mid:]] if mid >= 2 else [points, points]


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minutes, MB) points, MB per minute."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")


def _reader_cost(data_dir: Path, start_ns: int, end_ns: int) -> dict:
    # What a query pays on the lake the soak made: list the manifests cold, then a full report.
    from liqscope.methodology import load
    from liqscope.metrics import counted, report

    t0 = time.perf_counter()
    catalog = Catalog(data_dir)
    manifests = catalog.manifests()
    t1 = time.perf_counter()
    files = catalog.event_files([VENUE])
    r = report(counted(catalog, load("standard"), start_ns, end_ns))
    t2 = time.perf_counter()
    return {"batches_listed": len(manifests), "event_files": len(files),
            "manifest_listing_s": round(t1 - t0, 3), "report_s": round(t2 - t1, 3), "report_events": r.events,
            "batches_on_disk": sum(1 for _ in (data_dir / "lake" / "_batches").glob("*.json"))}


async def _capture(url: str, server_pid: int, data_dir: Path, seconds: float, sample_s: float,
                   warmup_s: float, flush_s: float) -> dict:
    catalog = Catalog(data_dir)
    cap = Capture(catalog, [VENUE], CaptureOptions(urls={VENUE: url}, flush_s=flush_s, silence_s=30.0, seed=1))
    started_ns = time.time_ns()
    stop = asyncio.Event()
    task = asyncio.create_task(cap.run(stop))
    t0 = time.monotonic()
    samples = []
    while (elapsed := time.monotonic() - t0) < seconds:
        await asyncio.sleep(min(sample_s, seconds - elapsed))
        s = cap.stats[VENUE]
        worker = cap.worker_pid
        samples.append({"t_s": round(time.monotonic() - t0, 2), "frames": s.data_frames, "events": s.events,
                        "uncommitted": s.uncommitted, "commits": s.commits, "paused_s": round(s.paused_s, 2),
                        "rss_mb": round(_rss_mb(os.getpid()), 1),
                        "worker_rss_mb": round(_rss_mb(worker), 1) if worker else 0.0,
                        "server_rss_mb": round(_rss_mb(server_pid), 1), "load_1min": os.getloadavg()[0]})
        print(json.dumps(samples[-1]), flush=True)
        if task.done():
            break
    duration = time.monotonic() - t0
    stop.set()
    result = await task
    stats = result.venues[VENUE]
    after = [x for x in samples if x["t_s"] >= warmup_s] or samples
    total = [(x["t_s"] / 60, x["rss_mb"] + x["worker_rss_mb"]) for x in after]
    return {
        "duration_s": round(duration, 1),
        "frames": samples[-1]["frames"],
        "frames_per_s": round(samples[-1]["frames"] / samples[-1]["t_s"], 1),
        "frames_per_s_after_warmup": round((after[-1]["frames"] - after[0]["frames"])
                                           / max(after[-1]["t_s"] - after[0]["t_s"], 1e-9), 1),
        "events_committed": stats.events, "quarantined": stats.quarantined, "connections": stats.connections,
        "silences": stats.silences, "duplicate_events": stats.duplicate_events,
        "flush_s": flush_s, "commits": stats.commits, "commits_per_s": round(stats.commits / duration, 2),
        "uncommitted_max": stats.uncommitted_max, "paused": stats.paused, "paused_s": round(stats.paused_s, 2),
        "uncommitted_max_while_running": max(x["uncommitted"] for x in samples),
        "warmup_s": warmup_s,
        "rss_mb_first_last": [after[0]["rss_mb"], after[-1]["rss_mb"]], "rss_mb_max": max(x["rss_mb"] for x in samples),
        "worker_rss_mb_first_last": [after[0]["worker_rss_mb"], after[-1]["worker_rss_mb"]],
        "memory_slope_mb_per_min": round(_slope([(x["t_s"] / 60, x["rss_mb"]) for x in after]), 3),
        "worker_memory_slope_mb_per_min": round(_slope([(x["t_s"] / 60, x["worker_rss_mb"]) for x in after]), 3),
        "capture_total_memory_slope_mb_per_min": round(_slope(total), 3),
        "server_memory_slope_mb_per_min": round(_slope([(x["t_s"] / 60, x["server_rss_mb"]) for x in after]), 3),
        # Bounded memory levels off: the slope of each half after the warm-up shows whether it does.
        "capture_total_memory_slope_by_half_mb_per_min": [round(_slope(half), 3) for half in _halves(total)],
        "worker_memory_slope_by_half_mb_per_min": [
            round(_slope(half), 3) for half in _halves([(x["t_s"] / 60, x["worker_rss_mb"]) for x in after])],
        "disk_mb": round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20, 1),
        "load_1min_mean": round(sum(x["load_1min"] for x in samples) / len(samples), 2),
        "reader": _reader_cost(data_dir, started_ns - 60 * 10**9, time.time_ns() + 60 * 10**9),
        "samples": samples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="Soak length (default 30).")
    ap.add_argument("--sample", type=float, default=5.0, help="Seconds between RSS samples (default 5).")
    ap.add_argument("--warmup", type=float, default=None, help="Seconds left out of the slope (default: 10%%).")
    ap.add_argument("--rate", type=float, default=6000.0,
                    help="Frames per second the server offers (0: as fast as the client takes them).")
    ap.add_argument("--flush", type=float, default=0.1, help="Capture's group-commit window, s (default 0.1).")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--record", action="store_true", help="Add a row with the figures to bench/SOAK.md's table.")
    args = ap.parse_args()
    seconds = args.minutes * 60
    warmup = args.warmup if args.warmup is not None else seconds / 10
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(port_q, stop, args.rate or None), daemon=True)
    server.start()
    try:
        url, server_pid = port_q.get(timeout=60)
        with tempfile.TemporaryDirectory(prefix="liqscope-soak-") as tmp:
            figures = asyncio.run(_capture(url, server_pid, Path(tmp) / "data", seconds, args.sample, warmup,
                                           args.flush))
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    figures = {"minutes_requested": args.minutes, "rate_offered": args.rate or "max", "machine": machine, **figures}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=1) + "\n")
    summary = {k: v for k, v in figures.items() if k != "samples"}
    print(json.dumps(summary, indent=1))
    if args.record:
        _record(figures)


def _record(f: dict) -> None:
    # One row in bench/SOAK.md's table (between the soak-runs markers), newest last.
    md = Path(__file__).resolve().parent / "SOAK.md"
    text = md.read_text(encoding="utf-8")
    end = "<!-- soak-runs:end -->"
    r = f["reader"]
    rate = f["rate_offered"] if isinstance(f["rate_offered"], str) else f"{f['rate_offered']:g}"
    row = (f"| `--minutes {f['minutes_requested']:g} --rate {rate}` | {f['duration_s']:.0f} s | "
           f"{f['frames']:,} | **{f['frames_per_s']:,.0f}** | {f['commits_per_s']:g} | {f['uncommitted_max']:,} / "
           f"{f['paused_s']:g} s | {f['rss_mb_first_last'][0]:g} -> {f['rss_mb_first_last'][1]:g} + worker "
           f"{f['worker_rss_mb_first_last'][0]:g} -> {f['worker_rss_mb_first_last'][1]:g} MB | "
           f"**{f['capture_total_memory_slope_mb_per_min']:+.2f} MB/min** (halves "
           + " / ".join(f"{x:+.2f}" for x in f["capture_total_memory_slope_by_half_mb_per_min"])
           + f") | {r['batches_listed']:,} batches: "
           f"list {r['manifest_listing_s']:g} s, report {r['report_s']:g} s | {f['load_1min_mean']:.1f} (mean) |\n")
    if end not in text:
        raise SystemExit(f"{md}: no {end} marker to add the row before")
    md.write_text(text.replace(end, row.rstrip("\n") + "\n" + end), encoding="utf-8")


if __name__ == "__main__":
    main()
