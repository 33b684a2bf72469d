"""Hostile and ordinary inputs through ``ingest``: wall time and peak RSS, each in a fresh process.

Cases (``full`` scale; ``small`` divides the sizes by 10):

- ``one-line``: a gzip (about 1 MB) of 3 real frames, one line of 1 GB, 3 real frames;
- ``newlines``: a gzip (about 1 MB) of 3 real frames, 1 GB of newlines, 3 real frames;
- ``normal``: 1M real lines (the riftfern recording replicated, each replica shifted in time so every line
  is a distinct liquidation), plain JSON lines;
- ``normal, stdin``: the same file through standard input (``ingest_stream``: spooled once, then read twice);
- ``baseline``: the 6 real frames alone (what the interpreter and the libraries cost before any input).

Peak RSS is VmHWM from ``/proc/self/status`` of the ingesting process (``ru_maxrss`` survives execve, so
a child could report its parent's peak). Inputs are cached in ``bench/out/inputs``. ``run(scale)`` gives
``scripts/bench`` its rows; run as a script it also writes them to ``bench/INPUT.md``::

    .venv/bin/python -m bench.bench_input [--scale small|full]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import OUT  # noqa: E402

RIFTFERN = ROOT / "src" / "liqscope" / "demo_data" / "binance_usdm_riftfern_2025-12-27_to_28_all.frames.jsonl.gz"
MIB = 2**20
SIZES = {"small": {"line": 100_000_000, "newlines": 100_000_000, "lines": 100_000},
         "full": {"line": 1_000_000_000, "newlines": 1_000_000_000, "lines": 1_000_000}}

_RUN = """
import json, sys, time
from pathlib import Path
from liqscope.ingest import ingest_file, ingest_stream
from liqscope.store import Catalog
t = time.perf_counter()
catalog = Catalog(Path(sys.argv[1]))
if sys.argv[2] == "-":
    r = ingest_stream(catalog, "binance_usdm", sys.stdin.buffer)
else:
    r = ingest_file(catalog, "binance_usdm", Path(sys.argv[2]))
secs = time.perf_counter() - t
hwm = next(int(x.split()[1]) * 1024 for x in open("/proc/self/status") if x.startswith("VmHWM:"))
q = Path(r.quarantine_file).stat().st_size if r.quarantine_file else 0
print(json.dumps({"secs": secs, "hwm": hwm, "records": r.records, "accepted": r.accepted,
                  "quarantined": r.quarantined, "blank_lines": r.blank_lines, "quarantine_bytes": q}))
"""


def _good() -> list[bytes]:
    return gzip.decompress(RIFTFERN.read_bytes()).splitlines()[:6]


def _gzip_file(path: Path, pieces: Any) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(path.with_suffix(".tmp"), "wb") as f:
        for p in pieces:
            f.write(c.compress(p))
        f.write(c.flush())
    os.replace(path.with_suffix(".tmp"), path)
    return path


def _repeat(piece: bytes, total: int) -> Any:
    block = piece * max(1, (4 * MIB) // len(piece))
    left = total
    while left > 0:
        yield block[:min(left, len(block))]
        left -= len(block)


def one_line_gzip(size: int) -> Path:
    good = _good()
    return _gzip_file(OUT / "inputs" / f"input-one-line-{size}.jsonl.gz",
                      [b"\n".join(good[:3]) + b'\n{"e":"forceOrder","pad":"', *_repeat(b"a", size - 27),
                       b'"}\n' + b"\n".join(good[3:]) + b"\n"])


def newlines_gzip(size: int) -> Path:
    good = _good()
    return _gzip_file(OUT / "inputs" / f"input-newlines-{size}.jsonl.gz",
                      [b"\n".join(good[:3]) + b"\n", *_repeat(b"\n", size), b"\n".join(good[3:]) + b"\n"])


_TIME = re.compile(rb'"([ET])":(\d+)')


def normal_file(lines: int) -> Path:
    """``lines`` real frames: the riftfern recording again and again, replica k shifted by k spans."""
    path = OUT / "inputs" / f"input-normal-{lines}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    body = gzip.decompress(RIFTFERN.read_bytes())
    rec = body.splitlines(keepends=True)
    times = [int(m.group(2)) for m in _TIME.finditer(body)]
    span = (max(times) - min(times)) // 1000 * 1000 + 1000
    with open(path.with_suffix(".tmp"), "wb") as f:
        left, k = lines, 0
        while left > 0:
            take = b"".join(rec[:left]) if left < len(rec) else body
            f.write(_TIME.sub(lambda m, s=k * span: b'"%s":%d' % (m.group(1), int(m.group(2)) + s), take))
            left -= min(left, len(rec))
            k += 1
    os.replace(path.with_suffix(".tmp"), path)
    return path


def baseline_file() -> Path:
    path = OUT / "inputs" / "input-baseline.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(_good()) + b"\n")
    return path


def ingest_once(path: Path, *, stdin: bool = False) -> dict[str, Any]:
    """One ingest of ``path`` into a fresh lake, in a fresh process: its figures."""
    lake = OUT / "lake-input"
    shutil.rmtree(lake, ignore_errors=True)
    with open(path, "rb") as f:
        done = subprocess.run([sys.executable, "-c", _RUN, str(lake), "-" if stdin else str(path)],
                              stdin=f if stdin else subprocess.DEVNULL, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    shutil.rmtree(lake, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"ingest of {path.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run(scale: str) -> list[dict[str, Any]]:
    size = SIZES[scale]
    cases = [
        ("baseline: 6 real frames", baseline_file(), False),
        (f"one-line: gzip of one {size['line'] / 1e9:g} GB line between 6 real frames", one_line_gzip(size["line"]),
         False),
        (f"newlines: gzip of {size['newlines'] / 1e9:g} GB of newlines between 6 real frames",
         newlines_gzip(size["newlines"]), False),
        (f"normal: {size['lines']:,} real lines, plain", normal_file(size["lines"]), False),
        (f"normal, stdin: the same {size['lines']:,} lines through standard input (spooled)",
         normal_file(size["lines"]), True),
    ]
    rows = []
    for case, path, stdin in cases:
        r = ingest_once(path, stdin=stdin)
        rows.append({"section": "input", "case": case, "value": r["hwm"] / MIB, "unit": "MiB peak RSS",
                     "input_bytes": path.stat().st_size, "secs": r["secs"], "records": r["records"],
                     "accepted": r["accepted"], "quarantined": r["quarantined"], "blank_lines": r["blank_lines"],
                     "quarantine_bytes": r["quarantine_bytes"],
                     "note": f"{r['secs']:.1f} s wall; {r['records']:,} records, {r['accepted']:,} accepted, "
                             f"{r['quarantined']:,} quarantined, {r['blank_lines']:,} blank lines; quarantine "
                             f"file {r['quarantine_bytes']:,} B; input file {path.stat().st_size:,} B"})
    return rows


def _head() -> str:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    return (f"git {commit}, Python {platform.python_version()}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=tuple(SIZES), default="full")
    args = ap.parse_args()
    head = _head()
    began = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = run(args.scale)
    (OUT / "input.json").write_text(json.dumps(rows, indent=1))
    lines = ["# Input: hostile and ordinary inputs through `ingest` (`bench/bench_input.py`)", "",
             "Each case is one `ingest` in a fresh process; peak RSS is that process's VmHWM. The bound these "
             "figures check is in docs/store.md (\"Input\").", "",
             f"Run {began}, scale `{args.scale}`, {head}.", "",
             "| case | peak RSS (MiB) | wall (s) | records | quarantined | blank lines | quarantine file (B) "
             "| input file (B) |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['case']} | {r['value']:,.0f} | {r['secs']:,.1f} | {r['records']:,} | {r['quarantined']:,} | "
              f"{r['blank_lines']:,} | {r['quarantine_bytes']:,} | {r['input_bytes']:,} |" for r in rows]
    (ROOT / "bench" / "INPUT.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
