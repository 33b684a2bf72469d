"""`liqscope levels` (the estimated liquidation map), `levels backtest`, `levels heatmap`, `levels measured`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from liqscope._time import parse_iso_ns
from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format, plain
from liqscope.store import Catalog

_M = click.option("-m", "--methodology", "methodology", default="standard", show_default=True,
                  help="Built-in name or TOML path; its [levels] section is the model (docs/levels.md).")
_ASSET = click.option("--asset", default="BTC", show_default=True, help="The base asset, e.g. BTC.")
_RANGE = click.option("--range-pct", default=15.0, show_default=True, type=click.FloatRange(0.5, 90),
                      help="Show buckets within this many percent of the price.")
_REALIZED = click.option("--realized", type=click.Choice(["counted", "coinglass"]), default="counted",
                         show_default=True, help="What was liquidated: the counted relation under -m, or the "
                                                 "imported CoinGlass hourly reference series.")


def _usd(x: Any) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _render_map(r: Any) -> None:
    from rich.table import Table

    console.print(f"[bold]{r.asset}[/bold] liquidation map at {r.at} ({r.kind}, {r.exactness}): price {r.price}, "
                  f"longs {_usd(r.long_total_usd)} / shorts {_usd(r.short_total_usd)} USD at risk "
                  f"[{r.methodology['name']} {r.methodology['fingerprint']}]")
    for label, p in (("nearest cluster above", r.nearest_above), ("nearest cluster below", r.nearest_below),
                     ("max pain, shorts", r.max_pain_short), ("max pain, longs", r.max_pain_long)):
        if p is not None:
            console.print(f"  {label}: {p.price_low}..{p.price_high} ({p.distance_pct:+}%): {_usd(p.usd)} USD; "
                          f"a move there liquidates {_usd(p.cumulative_usd)}")
    t = Table(title=f"Buckets of {r.bucket_usd} USD within {r.range_pct}% (non-empty)", title_justify="left")
    for col in ("price", "long USD", "short USD", "longs cum.", "shorts cum."):
        t.add_column(col, justify="right")
    for b in r.buckets:
        t.add_row(f"{b.price_low}..{b.price_high}", _usd(b.long_usd), _usd(b.short_usd),
                  _usd(b.long_cumulative_usd), _usd(b.short_cumulative_usd))
    console.print(t)
    for n in r.notes:
        console.print(f"  [yellow]![/yellow] {n}")


@main.group(invoke_without_command=True)
@_ASSET
@click.option("--at", "at", default=None, help="As of this time, ISO-8601 UTC (the last whole hour). Default: now.")
@_RANGE
@_M
@data_dir_option(create=True)
@output_format
@library_errors
@click.pass_context
def levels(ctx: click.Context, asset: str, at: str | None, range_pct: float, methodology: str, catalog: Catalog,
           fmt: str) -> None:
    """Estimated liquidation map: USD of longs/shorts liquidated per price bucket, cumulative, clusters, max pain.

    Subcommands: `backtest` (score the map hour by hour), `heatmap`, `measured` (Hyperliquid positions).
    """
    if ctx.invoked_subcommand is not None:
        return
    from liqscope.methodology import load
    from liqscope.metrics.levels import liquidation_map

    if not catalog.root.is_dir():
        raise click.ClickException(f"data dir {catalog.root} does not exist: no lake there. Check --data-dir / "
                                   "$LIQSCOPE_HOME")
    at_ns = parse_iso_ns(at, what="--at") if at else time.time_ns()
    r = liquidation_map(catalog, load(methodology), asset, at_ns, range_pct=range_pct)
    emit(fmt, r, rows=r.buckets, table=lambda: _render_map(r))


def _counted(catalog: Catalog, methodology: str, start: str, end: str) -> Any:
    from liqscope.cli.report import counted_all

    (c,) = counted_all(catalog, [methodology], start, end, ())
    return c


@levels.command("backtest")
@_ASSET
@click.option("--start", required=True, help="First hour scored, ISO-8601 UTC (history before it builds the map).")
@click.option("--end", required=True, help="End of the last hour scored, ISO-8601 UTC (exclusive).")
@click.option("--calibrate-end", default=None,
              help="Calibrate on [start, this), report out of sample on [this, end). Default: the middle.")
@_REALIZED
@_M
@data_dir_option
@output_format
@library_errors
def backtest(asset: str, start: str, end: str, calibrate_end: str | None, realized: str, methodology: str,
             catalog: Catalog, fmt: str) -> None:
    """Every hour: what the map held before it would have liquidated over its path, vs what was liquidated."""
    from liqscope.metrics.levels import backtest_levels

    split = parse_iso_ns(calibrate_end, what="--calibrate-end") if calibrate_end else None
    r = backtest_levels(_counted(catalog, methodology, start, end), asset, realized=realized,  # type: ignore[arg-type]
                        calibrate_end_ns=split)
    rows = [{"period": period, "predictor": name, **plain(s)}
            for period, scores in (("calibration", r.calibration), ("out_of_sample", r.out_of_sample))
            for name, s in scores.items()]
    emit(fmt, r, rows=rows, table=lambda: _render_backtest(r))


def _render_backtest(r: Any) -> None:
    from rich.table import Table

    console.print(f"[bold]{r.asset}[/bold] levels backtest {r.start} .. {r.end}, calibrated until {r.calibrate_end}; "
                  f"realized: {r.realized_source} [{r.methodology['name']} {r.methodology['fingerprint']}]")
    t = Table(title_justify="left")
    for col in ("period", "predictor", "hours", "scale", "Spearman total", "long", "short", "MAE USD",
                "MAE constant"):
        t.add_column(col, justify="right")
    for period, scores in (("calibration", r.calibration), ("out of sample", r.out_of_sample)):
        for name, s in scores.items():
            t.add_row(period, name, str(s.hours), f"{s.scale:.4g}" if s.scale else "-", str(s.spearman_total),
                      str(s.spearman_long), str(s.spearman_short), _usd(s.mae_usd), _usd(s.mae_constant_usd))
    console.print(t)
    for n in r.notes:
        console.print(f"  [yellow]![/yellow] {n}")


@levels.command("heatmap")
@_ASSET
@click.option("--start", required=True, help="First hour, ISO-8601 UTC.")
@click.option("--end", required=True, help="End, ISO-8601 UTC (exclusive).")
@_REALIZED
@_M
@data_dir_option
@output_format
@library_errors
def heatmap(asset: str, start: str, end: str, realized: str, methodology: str, catalog: Catalog, fmt: str) -> None:
    """Price x time x USD at risk (the map at the start of each hour), with realized liquidations."""
    from liqscope.metrics.levels import levels_heatmap

    r = levels_heatmap(_counted(catalog, methodology, start, end), asset, realized=realized)  # type: ignore[arg-type]
    emit(fmt, r, rows=r.hours, table=lambda: _render_heatmap(r))


def _render_heatmap(r: Any) -> None:
    console.print(f"[bold]{r.asset}[/bold] heatmap {r.start} .. {r.end}: {len(r.hours)} hours x {len(r.rows)} price "
                  f"rows of {r.bucket_usd} USD; realized: {r.realized_source}. Use --json for the cells.")
    for h in r.hours:
        console.print(f"  {h.ts}  price {h.price}  at risk long {_usd(sum(h.long_usd))} short "
                      f"{_usd(sum(h.short_usd))}  realized long {_usd(h.realized_long_usd)} short "
                      f"{_usd(h.realized_short_usd)}")


def _position_venues() -> list[str]:
    from liqscope.venues import venues

    return sorted(v for v, spec in venues().items() if spec.positions is not None)


@levels.command("measured")
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--venue", type=click.Choice(_position_venues()), default=None,
              help="The venue the snapshot comes from. Default: the only venue that publishes positions.")
@_ASSET
@click.option("--price", required=True, help="The asset's mark price at the snapshot (USD).")
@click.option("--oi-usd", default=None, help="The venue's open interest of the asset, USD one side: gives the "
                                             "share of OI the snapshot covers.")
@_RANGE
@_M
@output_format
@library_errors
def measured(snapshot: Path, venue: str | None, asset: str, price: str, oi_usd: str | None, range_pct: float,
             methodology: str, fmt: str) -> None:
    """Measured map from account positions with the venue's liquidation prices (Hyperliquid clearinghouseState
    snapshot, JSON lines {"user", "state"})."""
    import hashlib
    from decimal import Decimal, InvalidOperation

    from liqscope.market import FileContext
    from liqscope.methodology import load
    from liqscope.metrics.levels import measured_map
    from liqscope.venues import get_venue

    try:
        px, oi = Decimal(price), Decimal(oi_usd) if oi_usd else None
    except InvalidOperation:
        raise click.BadParameter("--price and --oi-usd must be decimal numbers") from None
    read = get_venue(venue or _position_venues()[0]).positions
    assert read is not None  # --venue only offers venues that publish positions
    data = snapshot.read_bytes()
    snap = read(data, FileContext(sha=hashlib.sha256(data).hexdigest(), name=snapshot.name, ts_recv=time.time_ns()))
    r = measured_map(snap.positions, load(methodology), asset, price=px, oi_usd=oi, range_pct=range_pct)
    r.notes += [f"quarantined {reason}" for _, reason in snap.quarantined]
    emit(fmt, r, rows=r.buckets, table=lambda: _render_map(r))
