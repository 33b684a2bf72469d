# `liqscope demo`: ingest the bundled real samples into a lake and print what liqscope reports.
from __future__ import annotations

import tempfile
from decimal import Decimal
from importlib.resources import as_file, files
from pathlib import Path

from rich.console import Console

from liqscope._render import compact_usd, render_ingest, render_report, usd
from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import Report, counted, ranges, reconcile, report
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
    # Lending (on-chain, Ethereum): five real liquidation logs of four protocols with their blocks' times, each
    # venue reading its own contracts' logs from the one file, and the Messari subgraph's largest Aave v3 rows.
    *((v, "eth-logs", "ethereum_lending_liquidation_logs_2020-2023.eth-logs.json")
      for v in ("aave_v1", "aave_v2", "aave_v3", "compound_v2")),
    ("aave_v3", "thegraph-messari", "aave_v3_ethereum_liquidates_2023.thegraph.json"),
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
# Lending as a coverage choice: 2023 holds Hyperliquid's official liquidations (derivatives) and the lending rows.
LENDING_YEAR = ("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
LENDING_COMPARED = ("standard", "derivatives-plus-lending")


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


# Step 4: one UTC day of the riftfern session under methodologies that really differ on it: the day
# boundary (UTC vs UTC+8), the price that values a liquidation (fill vs bankruptcy/order price) and the
# throttle-adjusted estimate of what Binance's one-per-second feed hid. every-copy equals standard there
# (no liquidation of that session arrived twice); it differs on the COIN-M archive's day, where Binance
# wrote every row twice and each repeat is stored as a second copy of the same liquidation.
DAY = ("2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z")
COPIES_DAY = ("2024-10-01T00:00:00Z", "2024-10-02T00:00:00Z")
COMPARED = ("standard", "every-copy", "utc8-day", "bankruptcy-price", "throttle-adjusted")
RECONCILED = ("utc8-day", "throttle-adjusted")


def _coverage_line(console: Console, r: Report) -> None:
    for o in r.coverage.observed:
        if o.observed_fraction is None:
            console.print(f"  {o.venue}: share of the window observed unknown ({o.note})")
            continue
        seconds = 0.0 if o.observed_seconds is None else o.observed_seconds
        console.print(f"  [bold]{o.venue} observed {o.observed_fraction:.1%} of the window[/bold] "
                      f"({seconds:,.0f} s of {o.window_seconds:,.0f} s): {o.gaps} gaps, "
                      + ("from capture markers" if o.source == "capture"
                         else f"each a silence of >= {o.hole_seconds} s (coverage.silence rule, "
                              "docs/methodology.md)"), highlight=False)


def _methodologies(console: Console, catalog: Catalog) -> None:
    lo, hi = (parse_iso_ns(t) for t in DAY)
    reports = []
    for name in COMPARED:
        m = load(name)
        r = report(counted(catalog, m, lo, hi))
        reports.append(r)
        w = r.window
        where = "" if w is None else f"window {w.start[:16]} → {w.end[:16]}"
        console.print(f"  {name:>17} \\[{m.fingerprint()}]: {usd(r.total_usd):>15} in {r.events:,} liquidations  "
                      f"{where}" + ("  (estimated)" if r.estimated else ""), highlight=False)
    span = ranges(reports)
    console.print(f"  [bold]range[/bold] {usd(span.total_usd[0])} .. {usd(span.total_usd[1])}: the day boundary, the "
                  "valuation price and the estimate each move the figure", highlight=False)
    first, copies = reports[0], reports[1]
    if (copies.total_usd, copies.events) == (first.total_usd, first.events):
        console.print("  every-copy = standard on this day: no liquidation of this session arrived twice.")
    _copies(console, catalog)


def _copies(console: Console, catalog: Catalog) -> None:
    # A real double copy: Binance's COIN-M liquidationSnapshot archive writes every row twice.
    lo, hi = (parse_iso_ns(t) for t in COPIES_DAY)
    shown = [(m, report(counted(catalog, m, lo, hi))) for m in (load("standard"), load("every-copy"))]
    if not shown[0][1].events:
        return
    console.print(f"  {COPIES_DAY[0][:10]}, Binance COIN-M archive: it writes every row twice, and ingest stores each "
                  "repeat as a second copy of the same liquidation (step 1: 'repeated rows stored as further "
                  "copies'):", highlight=False)
    for m, r in shown:
        console.print(f"  {m.name:>17} \\[{m.fingerprint()}]: {usd(r.total_usd):>15} in {r.events:,} liquidations",
                      highlight=False)
    console.print("  standard counts each liquidation once (by event id); every-copy counts both copies, as a naive "
                  "reader of the archive would.")


def _reconcile(console: Console, catalog: Catalog) -> None:
    lo, hi = (parse_iso_ns(t) for t in DAY)
    a, b = (counted(catalog, load(n), lo, hi) for n in RECONCILED)
    rec = reconcile(a, b)
    console.print(f"  {rec.from_.name} {usd(rec.from_.total_usd)} → {rec.to.name} {usd(rec.to.total_usd)}: "
                  f"difference {usd(rec.difference_usd)}", highlight=False)
    for dim in rec.differing:
        console.print(f"    {dim:<10} {usd(rec.contributions[dim]):>15}  (Shapley value over "
                      f"{rec.variants} variants)", highlight=False)
    total = sum(rec.contributions.values(), Decimal(0))
    console.print(f"    {'sum':<10} {usd(total):>15}  = the difference, exactly: {total == rec.difference_usd}",
                  highlight=False)


def _lending(console: Console, catalog: Catalog) -> None:
    lo, hi = (parse_iso_ns(t) for t in LENDING_YEAR)
    a, b = (counted(catalog, load(n), lo, hi) for n in LENDING_COMPARED)
    for c in (a, b):
        r = report(c)
        console.print(f"  {c.methodology.name:>24} \\[{c.methodology.fingerprint()}]: {usd(r.total_usd):>15} in "
                      f"{r.events:,} liquidations on {', '.join(r.coverage.venues) or 'no venue'}", highlight=False)
    for venue, how in report(b).coverage.sampling.items():
        console.print(f"  ! {venue}: {how}", highlight=False)
    nv = report(b).coverage.not_valued
    if nv is not None and nv.events:
        console.print(f"  ! {nv.events} lending liquidation(s) in scope have no price for their {nv.basis} leg and "
                      f"count nowhere (never guessed): {nv.list_with}", highlight=False)
    rec = reconcile(a, b)
    for dim in rec.differing:
        console.print(f"    {dim:<10} {usd(rec.contributions[dim]):>15}  of the {usd(rec.difference_usd)} difference",
                      highlight=False)
    console.print("  Whether a platform counts lending liquidations is a coverage choice the methodology declares; "
                  "the subgraph rows are its largest liquidations only, so the lending figure is a floor.")


def _dashboard(console: Console, root: Path, kept: bool) -> None:
    lake = str(root) if kept else "./demo-lake"
    console.rule("[bold]9. Open the dashboard on this lake")
    install = "pip install 'liqscope\\[api]'   # in a clone: .tools/bin/uv sync --frozen --extra api"
    serve = f"liqscope serve --data-dir {lake}"
    if kept:
        steps = [install, serve, "python -m webbrowser http://127.0.0.1:8000/"]
    else:
        console.print("This lake was temporary; build the same one where it stays, then serve it:")
        steps = [f"liqscope demo --data-dir {lake}", install, f"{serve}   # then open http://127.0.0.1:8000/"]
    for i, step in enumerate(steps, 1):
        console.print(f"  {i}. {step}", highlight=False, soft_wrap=True)


def build_market_demo(catalog: Catalog) -> None:
    """Ingest the bundled CoinGlass BTC market series (OI, funding, prices, hourly liquidations)."""
    from liqscope.market import ingest_market

    for fmt, name in MARKET_FILES:
        with as_file(files("liqscope.demo_data").joinpath(name)) as path:
            ingest_market(catalog, fmt, Path(path))


def run_demo(console: Console, data_dir: Path | None) -> None:
    """Build the demo lake, then print the headline report, its coverage, one day under several
    methodologies, a reconciliation, and the commands that open the dashboard on the same lake."""
    with tempfile.TemporaryDirectory(prefix="liqscope-demo-") as tmp:
        root = Path(data_dir) if data_dir else Path(tmp)
        console.rule("[bold]1. Ingest the bundled real recordings")
        catalog = build_demo_lake(root, console)
        console.rule("[bold]2. Ingest them again: nothing is added")
        again = build_demo_lake(root)
        console.print(f"second pass added {sum(1 for _ in again.manifests()) - len(catalog.manifests())} batches")
        standard = load("standard")
        console.rule("[bold]3. Report: Binance USD-M session of 2025-12-27/28")
        headline = report(counted(catalog, standard, *(parse_iso_ns(t) for t in HEADLINE)))
        render_report(console, headline)
        console.rule("[bold]4. How much of that window was really recorded")
        _coverage_line(console, headline)
        console.print("  A file has no connection markers: a silence longer than a live feed would ever keep is a "
                      "hole in the recording, not a quiet market. The totals above cover the observed share only.")
        console.rule(f"[bold]5. One UTC day ({DAY[0][:10]}), five methodologies")
        _methodologies(console, catalog)
        console.rule(f"[bold]6. Why {RECONCILED[1]} differs from {RECONCILED[0]}, dimension by dimension")
        _reconcile(console, catalog)
        console.rule("[bold]7. Liquidation map: BTC, scored out of sample against CoinGlass hourly liquidations")
        build_market_demo(catalog)
        from liqscope.metrics.levels import backtest_levels

        start, split, end = (parse_iso_ns(t) for t in LEVELS_BACKTEST)
        bt = backtest_levels(counted(catalog, standard, start, end), "BTC", realized="coinglass",
                             calibrate_end_ns=split)
        for name, s in bt.out_of_sample.items():
            mae, flat = compact_usd(Decimal(s.mae_usd or 0)), compact_usd(Decimal(s.mae_constant_usd or 0))
            console.print(f"{name:>10}: {s.hours:,} hours from {s.start[:10]}, Spearman {s.spearman_total}, "
                          f"MAE {mae}/h (a constant: {flat}/h)")
        console.rule(f"[bold]8. Lending liquidations (Aave, Compound on Ethereum), {LENDING_YEAR[0][:4]}: "
                     "a coverage choice")
        _lending(console, catalog)
        console.print(f"lake: {root}" + ("" if data_dir else " (temporary; pass --data-dir to keep it)"))
        _dashboard(console, root, kept=data_dir is not None)
