"""Run the benchmark suite and write BENCHMARKS.md. Not a test: nothing here runs under pytest.

    bash scripts/bench [--scale small|full] [--only SECTION ...] [--out BENCHMARKS.md]

Every ``bench/bench_*.py`` module with ``run(scale) -> list[dict]`` is a section. All figures come from
this one run, on this machine; ratios compare figures measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORDER = ["normalize", "ingest", "query", "reconcile", "live"]
# Other engineers' modules name their scales differently.
_SCALE_ALIASES = {"reconcile": {"small": "small", "full": "large"}}
_LIVE_NOTE = ("pending: frame-to-queryable latency at 10k frames/s through liqscope.capture.ReplayServer is not "
              "measured yet (the replay server landed during this work; the harness is the next step)")


def _machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = []
    for pkg in ("liqscope", "msgspec", "duckdb", "pyarrow", "pandas", "cryptofeed", "pyspark"):
        try:
            versions.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            versions.append(f"{pkg} (not installed)")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip() or "?"
    except OSError:
        commit = "?"
    return [f"- CPU: {cpu}, {os.cpu_count()} logical cores; RAM {mem}; {platform.platform()}",
            f"- Python {platform.python_version()}; " + ", ".join(versions),
            f"- git HEAD {commit} (plus the working tree); load average at start {os.getloadavg()[0]:.1f}"]


def _fmt(v: Any, unit: str) -> str:
    if v is None:
        return "—"
    if unit in ("frames/s", "events/s"):
        return f"{v:,.0f}"
    if unit == "s":
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"
    return f"{v:,.1f}" if isinstance(v, float) else str(v)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    # A section whose rows carry "mb_s" (10^6 bytes of input per second, at the median) gets an MB/s column.
    mb = any("mb_s" in r for r in rows)
    out = ["| case | median | min – max | unit " + ("| MB/s " if mb else "") + "| ratio | target | met | note |",
           "|---|---|---|---|" + ("---|" if mb else "") + "---|---|---|---|"]
    for r in rows:
        unit = r.get("unit", "")
        rng = f"{_fmt(r.get('min'), unit)} – {_fmt(r.get('max'), unit)}" if r.get("min") is not None else ""
        ratio = f"{r['ratio']:.2f}× ({r.get('ratio_note', '')})" if r.get("ratio") is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
        mbs = (f"{r['mb_s']:,.1f} | " if r.get("mb_s") is not None else "| ") if mb else ""
        out.append(f"| {r.get('case', r.get('name', '?'))} | {_fmt(r.get('value'), unit)} | {rng} | {unit} | {mbs}"
                   f"{ratio} "
                   f"| {r.get('target') or ''} | {met} | {r.get('note') or ''} |")
    return out


def _generic(rows: list[dict[str, Any]]) -> list[str]:
    # Rows of a module that uses its own keys: shown as they are.
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = [f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _merge(old: str, new: str) -> list[str]:
    # The old file's sections (between "## " headers) with the re-run ones replaced, in their old order.
    def split(text: str) -> dict[str, str]:
        return {p.split("\n", 1)[0].strip(): "\n## " + p for p in text.split("\n## ")[1:]}

    kept, fresh = split(old), split(new)
    names = [n for n in dict.fromkeys([*kept, *fresh]) if n != "Machine" and "targets" not in n.lower()]
    return [fresh.get(n, kept.get(n, "")).rstrip("\n") for n in names]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=("small", "full"), default="full")
    ap.add_argument("--only", nargs="*", default=None, help=f"sections to run: {', '.join(ORDER)}")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = ap.parse_args()
    found = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    sections = [s for s in ORDER if s in found or s == "live"] + [s for s in found if s not in ORDER]
    if args.only:
        sections = [s for s in sections if s in args.only]
    began = time.perf_counter()
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body: list[str] = []
    for section in sections:
        t0 = time.perf_counter()
        print(f"[bench] {section} ...", file=sys.stderr, flush=True)
        body.append(f"\n## {section}\n")
        if section == "live" and "live" not in found:
            body.append(f"Status: {_LIVE_NOTE}.")
            continue
        try:
            module = importlib.import_module(f"bench.bench_{section}")
            scale = _SCALE_ALIASES.get(section, {}).get(args.scale, args.scale)
            rows = module.run(scale)
        except Exception as e:  # a broken section is reported, not hidden, and the others still run
            traceback.print_exc()
            body.append(f"**Failed in this run**: `{type(e).__name__}: {e}`")
            continue
        body += _table(rows) if rows and "case" in rows[0] else _generic(rows)
        body.append(f"\n_{section}: {time.perf_counter() - t0:.0f} s of wall time, finished "
                    f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, load average "
                    f"{os.getloadavg()[0]:.1f}._")
        print(f"[bench] {section} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    head = ["# Benchmarks", "",
            f"Written by `bash scripts/bench --scale {args.scale}` on {started} in "
            f"{time.perf_counter() - began:.0f} s. "
            "Every figure below comes from that one run on this machine; see docs/benchmarks.md for what each "
            "case measures and how to read it.", "", "## Machine", "", *_machine(),
            f"- load average at the end {os.getloadavg()[0]:.1f}"]
    if args.only and args.out.exists():  # re-run sections replace theirs; the others are kept as they were
        body = _merge(args.out.read_text(encoding="utf-8"), "\n".join(body))
        head[2] = (f"Sections {', '.join(sections)} re-run alone by `bash scripts/bench --scale {args.scale} --only "
                   f"{' '.join(sections)}` on {started}; the other sections are from an earlier run (each section "
                   "says when it finished). Ratios are always between figures of one section.")
    notes = ROOT / "bench" / "NOTES.md"
    tail = ["", notes.read_text(encoding="utf-8")] if notes.exists() else []
    args.out.write_text("\n".join(head + body + tail) + "\n", encoding="utf-8")
    print(f"[bench] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
