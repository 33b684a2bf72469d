"""`liqscope market ingest|formats`, `funding`, `oi`, `cascades`, `hawkes`, `health`, `flags`,
`concentration`, `compare`: market structure beside the liquidations."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from liqscope._time import iso_ns, parse_iso_ns
from liqscope.cli._common import console, data_dir_option, emit, err_console, library_errors, main, output_format
from liqscope.store import Catalog

_M = click.option("-m", "--methodology", "methodology", default="standard", show_default=True,
                  help="Built-in name or TOML path (see `liqscope methodologies`).")
_START = click.option("--start", required=True, help="Window start, ISO-8601 UTC (inclusive, venue time).")
_END = click.option("--end", required=True, help="Window end, ISO-8601 UTC (exclusive).")
_AT = click.option("--at", "at", default=None, help="As of this time, ISO-8601 UTC. Default: now.")
_ASSET = click.option("--asset", "assets", multiple=True, help="Only these base assets (repeatable), e.g. BTC.")


def _windowed(*options: Callable[[Any], Any], before_m: tuple[Callable[[Any], Any], ...] = ()) -> Callable[[Any], Any]:
    # A command over a window under a methodology: --start, --end, [before_m], -m, [options], --data-dir,
    # --json/--table, library errors. The command gets the Counted (the methodology applied once).
    def decorate(fn: Callable[..., None]) -> Any:
        @functools.wraps(fn)
        def command(start: str, end: str, methodology: str, catalog: Catalog, **kw: Any) -> None:
            from liqscope.cli.report import counted_all

            (c,) = counted_all(catalog, [methodology], start, end, ())
            fn(c, **kw)

        wrapped: Any = command
        for option in reversed((_START, _END, *before_m, _M, *options, data_dir_option, output_format,
                                library_errors)):
            wrapped = option(wrapped)
        return main.command(fn.__name__)(wrapped)

    return decorate


def _at(at: str | None) -> int:
    return parse_iso_ns(at, what="--at") if at else time.time_ns()


def _table(title: str, cols: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*("-" if v is None else str(v) for v in r))
    console.print(t)


def _pct(d: Any) -> str | None:
    return None if d is None else f"{d * 100:.4f}%"


@main.group()
def market() -> None:
    """Market data (funding, open interest, premium, reference series): ingest and list formats."""


@market.command("formats")
@output_format
def market_formats_cmd(fmt: str) -> None:
    """Every market-data input format, with the venue its numbers come from."""
    from liqscope.market import market_formats

    rows = [{"format": f.name, "venue": f.venue, "description": f.description} for f in market_formats().values()]
    emit(fmt, rows, table=lambda: _table("Market formats", ["format", "venue", "description"],
                                         [list(r.values()) for r in rows]))


@market.command("ingest")
@click.option("--format", "input_format", required=True, help="A market format (see `liqscope market formats`).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_dir_option(create=True)
@output_format
@library_errors
def market_ingest(input_format: str, paths: tuple[Path, ...], catalog: Catalog, fmt: str) -> None:
    """Ingest saved venue responses, stream recordings or CSV exports of market data into the lake."""
    from liqscope.market import ingest_market

    results = [ingest_market(catalog, input_format, p) for p in paths]
    emit(fmt, {"results": results}, rows=results, table=lambda: _market_ingested(results))


def _market_ingested(results: list[Any]) -> None:
    for r in results:
        added = ", ".join(f"{k} {v:,}" for k, v in r.rows.items()) or "nothing"
        state = "already present" if r.already_present else added
        console.print(f"{r.file} ({r.format}): {r.records:,} records -> {state}; quarantined {r.quarantined:,}")
        for q in r.quarantine[:10]:
            err_console.print(f"  [red]quarantined[/red] {q['file']}:{q['line']}: field {q['field']}: {q['reason']}")


@main.command()
@_AT
@_ASSET
@click.option("--lookback-hours", default=72, show_default=True, type=click.IntRange(1, 24 * 365),
              help="Use each market's latest rate at most this old.")
@data_dir_option
@output_format
@library_errors
def funding(at: str | None, assets: tuple[str, ...], lookback_hours: int, catalog: Catalog, fmt: str) -> None:
    """Latest funding per market (per interval, per 8 h, annualized) and OI-weighted funding per asset."""
    from liqscope.market import latest_funding, oi_weighted_funding

    at_ns, lb = _at(at), lookback_hours * 3_600_000_000_000
    rates = latest_funding(catalog, at_ns, lookback_ns=lb, assets=assets or None)
    weighted = oi_weighted_funding(catalog, at_ns, assets=assets or None, lookback_ns=lb)
    emit(fmt, {"at": iso_ns(at_ns), "rates": rates, "oi_weighted": weighted}, rows=rates,
         table=lambda: _funding_tables(at_ns, rates, weighted))


def _funding_tables(at_ns: int, rates: list[Any], weighted: list[Any]) -> None:
    _table(f"Funding as of {iso_ns(at_ns)}", ["venue", "market", "kind", "time", "rate", "interval", "per 8h",
                                               "annualized", "source"],
           [[r.venue, r.market, r.kind, iso_ns(r.ts_event), r.rate,
             f"{r.interval_hours}h" if r.interval_hours else None, _pct(r.rate_8h), _pct(r.annualized),
             f"{r.interval_source}/{r.provider}"] for r in rates])
    _table("OI-weighted funding", ["asset", "per 8h", "annualized", "OI USD", "markets", "excluded"],
           [[w.asset, _pct(w.rate_8h), _pct(w.annualized), f"{w.oi_usd:,.0f}", len(w.components),
             "; ".join(w.excluded) or None] for w in weighted])


@main.command()
@_AT
@_ASSET
@click.option("--lookback-hours", default=24, show_default=True, type=click.IntRange(1, 24 * 365),
              help="Use each market's latest value at most this old.")
@data_dir_option
@output_format
@library_errors
def oi(at: str | None, assets: tuple[str, ...], lookback_hours: int, catalog: Catalog, fmt: str) -> None:
    """Latest open interest per market, single-sided, in base units and USD."""
    from liqscope.market import latest_open_interest

    at_ns = _at(at)
    rows = latest_open_interest(catalog, at_ns, lookback_ns=lookback_hours * 3_600_000_000_000,
                                assets=assets or None)
    totals: dict[str, Any] = {}
    for r in rows:
        if r.oi_usd is not None:
            totals[r.base_asset] = totals.get(r.base_asset, 0) + r.oi_usd
    ranking = [{"asset": a, "oi_usd": v} for a, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    emit(fmt, {"at": iso_ns(at_ns), "open_interest": rows, "usd_by_asset": ranking}, rows=rows, table=lambda: _table(
        f"Open interest as of {iso_ns(at_ns)} (one side)", ["venue", "market", "time", "base", "USD", "method"],
        [[r.venue, r.market, iso_ns(r.ts_event), r.oi_base, f"{r.oi_usd:,.0f}" if r.oi_usd is not None else None,
          r.method] for r in rows]))


@_windowed()
def cascades(c: Any, fmt: str) -> None:
    """Cascades: runs of minutes whose notional exceeds k x the trailing median (methodology.cascades)."""
    from liqscope.metrics import detect_cascades

    found, m = detect_cascades(c), c.methodology
    emit(fmt, {"cascades": found, "rule": m.cascades, "methodology": c.meta()}, rows=found, table=lambda: _table(
        f"Cascades (k={m.cascades.k}, baseline {m.cascades.baseline_minutes} min, merge "
        f"{m.cascades.merge_gap_minutes} min)", ["start", "end", "peak minute", "total USD", "long share", "events",
                                                 "top assets", "largest"],
        [[x.start, x.end, x.peak_minute, f"{x.total_usd:,.2f}", _pct(x.long_share), x.events, ", ".join(x.assets[:3]),
          _largest(x.largest_event)] for x in found]))


def _largest(x: Any) -> str:
    return f"{x.market} {x.side} {x.notional_usd:,.0f}"


@_windowed(click.option("--marked", is_flag=True,
                        help="Size-weighted (marked) kernel: mark = log(1 + usd / median)."))
def hawkes(c: Any, marked: bool, fmt: str) -> None:
    """Hawkes self-excitation of liquidations: branching ratio with a 95% CI and a KS goodness of fit."""
    from liqscope.metrics import hawkes as fit

    r = fit(c, marked=marked)
    emit(fmt, r, table=lambda: _hawkes_text(r))


def _hawkes_text(r: Any) -> None:
    if r.branching_ratio is None:
        console.print(f"{r.events} events: no fit ({'; '.join(r.notes)})")
        return
    console.print(f"branching ratio n = {r.branching_ratio:.3f} (95% CI {r.ci_low:.3f} .. {r.ci_high:.3f}) from "
                  f"{r.events:,} events; KS p = {r.ks_pvalue:.3g}; mu {r.mu:.4g}/s, decay {r.beta:.4g}/s")
    for note in r.notes:
        console.print(f"  [yellow]![/yellow] {note}")


@main.command()
@_AT
@click.option("--asset", default="BTC", show_default=True, help="The asset.")
@_M
@data_dir_option
@output_format
@library_errors
def health(at: str | None, asset: str, methodology: str, catalog: Catalog, fmt: str) -> None:
    """The leverage-health index (versioned formula in docs/market-structure.md) and its components."""
    from liqscope.methodology import load
    from liqscope.metrics import counted, health_index

    at_ns = _at(at)  # the anchor [at - 24 h, at]: the index is taken at its last instant
    r = health_index(counted(catalog, load(methodology), at_ns - 86_400_000_000_000, at_ns + 1), asset=asset)
    emit(fmt, r, rows=r.components, table=lambda: _health_text(r))


def _health_text(r: Any) -> None:
    console.print(r.headline, highlight=False)  # the index with the components it rests on, or why it has none
    _table("Components (percentile vs the previous 30 days, hourly)",
           ["component", "value", "percentile", "history", "weight", "note"],
           [[c.name, c.value, None if c.percentile is None else f"{c.percentile * 100:.1f}", c.history_points,
             c.weight, c.note] for c in r.components])


@_windowed()
def flags(c: Any, fmt: str) -> None:
    """Structural-risk flags, each with its numbers and threshold (methodology.flags)."""
    from liqscope.metrics import structural_flags

    found = structural_flags(c)
    emit(fmt, {"flags": found}, rows=found, table=lambda: _table(
        "Structural-risk flags", ["flag", "raised", "value", "threshold", "basis"],
        [[f.name, {True: "YES", False: "no", None: "n/a"}[f.raised], f.value, f.threshold, f.basis] for f in found]))


@_windowed(click.option("--top", default=None, type=click.IntRange(1, 1000),
                        help="N of the top-N share (default: methodology)."),
           click.option("--largest", default=10, show_default=True, type=click.IntRange(1, 1000),
                        help="Rows on the board."))
def concentration(c: Any, top: int | None, largest: int, fmt: str) -> None:
    """Accounts liquidated, concentration (top-N share, HHI, Gini) and the largest liquidations."""
    from liqscope.metrics import concentration as compute

    r = compute(c, top_n=top, largest_n=largest)
    emit(fmt, r, rows=r.largest, table=lambda: _concentration_text(r))


def _concentration_text(r: Any) -> None:
    a = r.accounts
    console.print(f"Accounts liquidated: {a.accounts if a.accounts is not None else 'not published'} "
                  f"(covers {', '.join(a.venues_covered) or 'no venue'}; not covered: "
                  f"{', '.join(a.venues_not_covered) or '-'})")
    _table("Concentration", ["by", "units", "total USD", "top-N share", "HHI", "Gini"],
           [[st.unit, st.units, f"{st.total_usd:,.2f}", _pct(st.top_share), st.hhi, st.gini]
            for st in (r.by_event, r.by_account) if st is not None])
    _table("Largest liquidations", ["time", "venue", "market", "side", "USD", "account", "raw record"],
           [[x.ts, x.venue, x.market, x.side, f"{x.notional_usd:,.2f}", x.account, x.raw_ref] for x in r.largest])


@_windowed(before_m=(
    click.option("--asset", default="BTC", show_default=True, help="The asset the reference series is about."),
    click.option("--provider", default="coinglass", show_default=True, help="Who published the reference series.")))
def compare(c: Any, asset: str, provider: str, fmt: str) -> None:
    """liqscope's hourly totals beside an imported external series, with the ratio; flags impossible hours."""
    from liqscope.metrics import compare as run

    r = run(c, asset=asset, provider=provider)
    emit(fmt, r, rows=r.hours, table=lambda: _compare_text(r))


def _compare_text(r: Any) -> None:
    console.print(f"{r.asset}: liqscope ({', '.join(r.liqscope_venues) or 'no events'}) vs {r.provider} "
                  f"({', '.join(r.reference_covers)})")
    if r.empty is not None:
        console.print(f"[yellow]Nothing to compare ({r.empty.code})[/yellow]: {r.empty.reason}")
    _table("Hourly", ["hour", "long", "ref long", "short", "ref short", "ratio", "exceeds"],
           [[h.hour, *((None, f"{h.reference_long_usd:,.0f}", None, f"{h.reference_short_usd:,.0f}", "no coverage")
                       if h.status == "no_coverage" else
                       (f"{h.long_usd:,.0f}", f"{h.reference_long_usd:,.0f}", f"{h.short_usd:,.0f}",
                        f"{h.reference_short_usd:,.0f}", None if h.ratio is None else f"{h.ratio:.3f}")),
             ", ".join(h.exceeds) or None] for h in r.hours])
    if r.hours_exceeding:
        console.print(f"[red]liqscope exceeds the wider total in {len(r.hours_exceeding)} hours[/red]: "
                      + ", ".join(r.hours_exceeding))
