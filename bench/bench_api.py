"""Benchmark: 200 concurrent requests to a trivial endpoint (/api/lake), with and without admission control.

Not a test. ``python bench/bench_api.py [--clients 200] [--rounds 3] [--before REV]`` prints the figures and
writes bench/out/api.json; the bench runner (``bench/run.py``) calls ``run(scale)``.

The server is the real ``liqscope serve`` in its own process on 127.0.0.1 over a lake of the bundled demo
data (``liqscope demo``'s lake). The client, in this process, opens ``--clients`` connections at once with
asyncio and sends one ``GET /api/lake`` on each (issue 14 measured 22 s p50 and 88 s p95 for this before
admission control). Per request it records the status and the time from the flood's start to the last
byte. Right after the flood settles it times one more trivial request (``/api/venues``).

Cases:
- ``before``: the source tree at ``--before`` (default: the commit before admission control landed),
  exported with ``git archive`` and run with this environment: no admission control, FastAPI's thread pool
  (40 threads) is the only bound;
- ``after``: this tree with its defaults (``Limits()``: 4 running, 16 queued, 5 s queue wait, 30 s limit);
  refused requests are 503 with Retry-After, and their latency is how fast the refusal came.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BEFORE = "46156bf"  # main when this work started: no admission control, no Host check
_SCALES = {"small": (200, 1), "full": (200, 3)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lake() -> Path:
    root = OUT / "api_lake"
    if not (root / "lake").exists():
        subprocess.run([sys.executable, "-m", "liqscope", "demo", "--data-dir", str(root)], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return root


def _source(rev: str | None) -> Path:
    if rev is None:
        return ROOT / "src"
    dest = Path(tempfile.mkdtemp(prefix="liqscope-bench-api-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"], check=True,
                             capture_output=True).stdout
    tar = dest / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    # The old tree's own distribution metadata, ahead of the installed one on sys.path: the venue registry reads
    # entry points, and today's name venues (aave_v1, ...) that the old tree does not have.
    project = tomllib.loads(subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:pyproject.toml"], check=True,
                                           capture_output=True, text=True).stdout)["project"]
    info = dest / "src" / f"liqscope-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: liqscope\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()) + "\n"
        for group, points in project.get("entry-points", {}).items()))
    return dest / "src"


async def _get(port: int, path: str, t0: float) -> tuple[int, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()  # Connection: close: the server closes after the body
        return int(data.split(b" ", 2)[1]), time.perf_counter() - t0
    finally:
        writer.close()


async def _flood(port: int, clients: int) -> list[tuple[int, float]]:
    t0 = time.perf_counter()
    return list(await asyncio.gather(*(_get(port, "/api/lake", t0) for _ in range(clients))))


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(case: str, src: Path, clients: int, extra: list[str]) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen([sys.executable, "-m", "liqscope", "serve", "--port", str(port), "--data-dir",
                             str(_lake()), *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                asyncio.run(_get(port, "/api/venues", time.perf_counter()))
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{case}: liqscope serve did not start") from None
                time.sleep(0.1)
        for _ in range(3):  # warm: the catalog, DuckDB, the lake summary
            asyncio.run(_get(port, "/api/lake", time.perf_counter()))
        results = asyncio.run(_flood(port, clients))
        status, after = asyncio.run(_get(port, "/api/venues", time.perf_counter()))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ok = [t for s, t in results if s == 200]
    refused = [t for s, t in results if s != 200]
    return {"case": case, "clients": clients, "ok": len(ok), "refused": len(refused),
            "statuses": sorted({s for s, _ in results}),
            "ok_p50_s": _pct(ok, 0.5), "ok_p95_s": _pct(ok, 0.95), "ok_max_s": max(ok, default=None),
            "refused_p50_s": _pct(refused, 0.5), "refused_p95_s": _pct(refused, 0.95),
            "all_p50_s": _pct([t for _, t in results], 0.5), "all_p95_s": _pct([t for _, t in results], 0.95),
            "all_answered_s": max(t for _, t in results), "trivial_after_s": after, "trivial_after_status": status}


def run(scale: str, before: str = BEFORE) -> list[dict[str, Any]]:
    clients, rounds = _SCALES.get(scale, _SCALES["small"])
    old = _source(before)
    rows: list[dict[str, Any]] = []
    for case, src, extra in (("before", old, []), ("after", ROOT / "src", [])):
        runs = [measure(case, src, clients, extra) for _ in range(rounds)]
        best = sorted(runs, key=lambda r: r["all_p50_s"])[len(runs) // 2]  # the median round by p50
        for key in ("all_p50_s", "all_p95_s", "ok_p50_s", "ok_p95_s", "trivial_after_s"):
            vals = [r[key] for r in runs if r[key] is not None]
            best[key + "_range"] = (min(vals), max(vals)) if vals else None
        best["rounds"] = rounds
        rows.append(best)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api.json").write_text(json.dumps(rows, indent=2))
    return [{"section": "api", "case": f"{r['case']}: {r['clients']} concurrent GET /api/lake, p50 / p95 of all",
             "value": r["all_p50_s"], "min": r["all_p95_s"], "max": r["all_answered_s"], "unit": "s",
             "note": f"{r['ok']} answered 200, {r['refused']} refused (503); a trivial request right after: "
                     f"{r['trivial_after_s'] * 1000:.0f} ms"} for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", default=BEFORE, help="git revision for the 'before' case")
    args = ap.parse_args()
    _SCALES["cli"] = (args.clients, args.rounds)
    run("cli", args.before)
    for r in json.loads((OUT / "api.json").read_text()):
        print(json.dumps(r))
    print(f"median of {args.rounds} rounds; seconds from the flood's start (nearest-rank percentiles)", file=sys.stderr)


if __name__ == "__main__":
    main()
