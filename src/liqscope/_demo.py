# `liqscope demo`: ingest the bundled real samples into a lake and print what liqscope reports.
from __future__ import annotations

import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from rich.console import Console

from liqscope._render import compact_usd, render_ingest, render_report
from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.venues import venues

# (venue, format, bundled file): every file is real data; see demo_data/PROVENANCE.md.
DEMO_FILES = (
    ("binance_usdm", "jsonl", "binance_usdm_bandsthobaby_2024-08-17_all.frames.jsonl.gz"),
    ("binance_usdm", "jsonl", "binance_usdm_bandsthobaby_2024-08-18_over10k.frames.jsonl.gz"),
    ("binance_usdm", "jsonl", "binance_usdm_riftfern_2025-12-27_to_28_all.frames.jsonl.gz"),
    ("binance_coinm", "binance-archive", "BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv"),
    ("hyperliquid", "hyperliquid-official", "hyperliquid_official_liquidations_2023-02-28_to_2023-03-31.csv"),
    ("hyperliquid", "jsonl", "hyperliquid_node_fills_by_block_2025-10-27T16-59-59Z_1000blocks.jsonl.gz"),
)
# The headline window: the longest bundled session (Binance USD-M, 2025-12-27 14:31 .. 12-28 20:43 UTC).
HEADLINE = ("2025-12-27T00:00:00Z", "2025-12-29T00:00:00Z")
ALL_TIME = ("2023-01-01T00:00:00Z", "2026-01-01T00:00:00Z")


def build_demo_lake(data_dir: Path, console: Console | None = None) -> Catalog:
    """Ingest every bundled sample whose venue is registered into ``data_dir``."""
    catalog = Catalog(data_dir)
    registered = venues()
    for venue, fmt, name in DEMO_FILES:
        if venue not in registered or (fmt != "jsonl" and fmt not in registered[venue].formats):
            continue
        with as_file(files("liqscope.demo_data").joinpath(name)) as path:
            result = ingest_file(catalog, venue, Path(path), fmt)
        if console:
            render_ingest(console, result)
    return catalog


def run_demo(console: Console, data_dir: Path | None) -> None:
    """Build the demo lake, then print the headline report and the all-venue summary."""
    with tempfile.TemporaryDirectory(prefix="liqscope-demo-") as tmp:
        root = Path(data_dir) if data_dir else Path(tmp)
        console.rule("[bold]1. Ingest the bundled real recordings")
        catalog = build_demo_lake(root, console)
        console.rule("[bold]2. Ingest them again: nothing is added")
        again = build_demo_lake(root)
        console.print(f"second pass added {sum(1 for _ in again.manifests()) - len(catalog.manifests())} batches")
        standard = load("standard")
        console.rule("[bold]3. Report: Binance USD-M session of 2025-12-27/28")
        render_report(console, report(counted(catalog, standard, *(parse_iso_ns(t) for t in HEADLINE))))
        console.rule("[bold]4. Every bundled venue, 2023-2025, standard vs every-copy")
        for name in ("standard", "every-copy"):
            m = load(name)
            r = report(counted(catalog, m, *(parse_iso_ns(t) for t in ALL_TIME)))
            by_venue = ", ".join(f"{v} {compact_usd(t.total_usd)}" for v, t in ((t.name, t) for t in r.by_venue))
            console.print(f"{name:>10} \\[{m.fingerprint()}]: total {compact_usd(r.total_usd)} in {r.events:,} "
                          f"liquidations ({by_venue})")
        console.print(f"lake: {root}" + ("" if data_dir else " (temporary; pass --data-dir to keep it)"))
