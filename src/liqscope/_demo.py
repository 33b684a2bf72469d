# `liqscope demo`: ingest the bundled real samples into a lake and print what liqscope reports.
from __future__ import annotations

import tempfile
from decimal import Decimal
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
# (market format, bundled file): CoinGlass hourly BTC series (real; see demo_data/PROVENANCE.md), the inputs
# of the liquidation map (`liqscope levels`) and the realized series its backtest is scored against.
MARKET_FILES = (
    ("coinglass-regime-csv", "coinglass_btc_regime_1h_2025-12-04_to_2026-02-28.csv.gz"),
    ("coinglass-liquidations-csv", "coinglass_btc_liquidations_1h_binance_bybit_okx_2025-11-23_to_2026-02-28.csv.gz"),
)
# The levels backtest of docs/levels.md: calibrated on the first period, scored on the second.
LEVELS_BACKTEST = ("2025-12-18T06:00:00Z", "2026-01-20T00:00:00Z", "2026-03-01T00:00:00Z")
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


def build_market_demo(catalog: Catalog) -> None:
    """Ingest the bundled CoinGlass BTC market series (OI, funding, prices, hourly liquidations)."""
    from liqscope.market import ingest_market

    for fmt, name in MARKET_FILES:
        with as_file(files("liqscope.demo_data").joinpath(name)) as path:
            ingest_market(catalog, fmt, Path(path))


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
        console.rule("[bold]5. Liquidation map: BTC, scored out of sample against CoinGlass hourly liquidations")
        build_market_demo(catalog)
        from liqscope.metrics.levels import backtest_levels

        start, split, end = (parse_iso_ns(t) for t in LEVELS_BACKTEST)
        bt = backtest_levels(counted(catalog, standard, start, end), "BTC", realized="coinglass",
                             calibrate_end_ns=split)
        for name, s in bt.out_of_sample.items():
            mae, flat = compact_usd(Decimal(s.mae_usd or 0)), compact_usd(Decimal(s.mae_constant_usd or 0))
            console.print(f"{name:>10}: {s.hours:,} hours from {s.start[:10]}, Spearman {s.spearman_total}, "
                          f"MAE {mae}/h (a constant: {flat}/h)")
        console.print(f"lake: {root}" + ("" if data_dir else " (temporary; pass --data-dir to keep it)"))
