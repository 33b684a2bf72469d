"""`liqscope report`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from liqscope._time import parse_iso_ns
from liqscope.cli._common import (
    console,
    data_dir_option,
    emit,
    library_errors,
    main,
    output_format,
    plain,
    venue_choice,
)
from liqscope.store import Catalog


@main.command()
@click.option("--start", required=True, help="Window start, ISO-8601 UTC (inclusive, venue time).")
@click.option("--end", required=True, help="Window end, ISO-8601 UTC (exclusive).")
@click.option("--venue", "venue_ids", multiple=True, type=venue_choice(),
              help="Only these venues (repeatable). Narrows the methodology's coverage.")
@click.option("-m", "--methodology", "methodologies", multiple=True, default=("standard",), show_default=True,
              help="Built-in name or TOML path (see `liqscope methodologies`).")
@click.option("--largest", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Rows in the largest-liquidations board.")
@click.option("--format", "note_format", type=click.Choice(["md", "html"]), default=None,
              help="Write a research note (Markdown, or HTML with embedded PNG charts) into --out instead.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory for --format: the note, and its charts in charts/.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="spark: the same counting on Apache Spark (pip install 'liqscope[spark]'; docs/spark.md).")
@data_dir_option
@output_format
@library_errors
def report(start: str, end: str, venue_ids: tuple[str, ...], methodologies: tuple[str, ...], largest: int,
           note_format: str | None, out_dir: Path, engine: str, catalog: Catalog, fmt: str) -> None:
    """Liquidated notional over [START, END): total, long/short, per asset and venue, largest, coverage."""
    from liqscope.metrics import report as compute

    if engine == "spark":
        from liqscope.engines.spark import report as compute  # same call, other engine
    names = list(dict.fromkeys(methodologies))
    if note_format:
        from liqscope.methodology import builtin_names
        from liqscope.reporting import write_note

        # One methodology: the note's range spans every built-in one. Several: exactly those.
        every = names + [n for n in builtin_names() if n not in names] if len(names) == 1 else names
        for path in write_note(counted_all(catalog, every, start, end, venue_ids), out_dir, note_format,
                               largest_n=largest):
            console.print(str(path))
        return
    reports = [compute(c, largest_n=largest) for c in counted_all(catalog, names, start, end, venue_ids)]
    if len(reports) == 1:
        (r,) = reports
        emit(fmt, r, rows=report_rows(r), table=lambda: _render_one(r))
        return
    from liqscope.metrics import ranges

    # --json: the first methodology's report, as with one; plus the range and every report.
    spread = ranges(reports)
    emit(fmt, {**plain(reports[0]), "range": spread, "reports": reports},
         rows=[row for r in reports for row in report_rows(r)], table=lambda: _render_range(spread, reports))


def report_rows(r: Any) -> list[dict[str, Any]]:
    """The report as rows (``--nl``/``--csv``): the total, then each venue, then each asset, largest first;
    every row names its methodology and fingerprint."""
    head = {"methodology": r.methodology["name"], "fingerprint": r.methodology["fingerprint"], "start": r.start,
            "end": r.end}
    total = {"dimension": "total", "key": None, "total_usd": r.total_usd, "long_usd": r.long_usd,
             "short_usd": r.short_usd, "events": r.events, "long_events": r.long_events,
             "short_events": r.short_events, "estimated": r.estimated, "share": Decimal(1 if r.total_usd else 0)}
    return [{**head, **total}, *({**head, "dimension": dim, "key": t.name,
                                  **{f: v for f, v in plain(t).items() if f != dim}}
                                 for dim, ranking in (("venue", r.by_venue), ("asset", r.by_asset))
                                 for t in ranking)]


def counted_all(catalog: Catalog, names: list[str], start: str, end: str, venue_ids: tuple[str, ...]) -> list[Any]:
    """Each methodology (name or path) applied once to the anchor [START, END), narrowed to ``--venue``."""
    from liqscope.methodology import load
    from liqscope.metrics import counted

    start_ns, end_ns = parse_iso_ns(start, what="--start"), parse_iso_ns(end, what="--end")
    if end_ns <= start_ns:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    return [counted(catalog, load(n), start_ns, end_ns, venues=venue_ids) for n in names]


def _render_one(r: Any) -> None:
    from liqscope._render import render_report

    render_report(console, r)
    _extras(r)


def _extras(r: Any) -> None:
    from liqscope._render import usd

    w = r.window
    if w is not None and w.kind != "fixed":
        console.print(f"Window: {w.detail}: {w.start} → {w.end}")
    if not r.coverage.covered:
        console.print(f"[yellow]{'; '.join(r.coverage.notes)}[/yellow]")
    if r.estimate is not None:
        e = r.estimate
        console.print(f"Throttle-adjusted: estimate [bold]{usd(e.estimate_usd)}[/bold], "
                      f"{e.level * 100:g}% interval {usd(e.low_usd)} – {usd(e.high_usd)}, observed floor "
                      f"{usd(e.floor_usd)}")


def _render_range(spread: Any, reports: list[Any]) -> None:
    from rich.table import Table

    from liqscope._render import compact_usd, usd
    from liqscope.metrics import NOT_COVERED

    def span(pair: Any) -> str:
        return f"{compact_usd(pair[0])}–{compact_usd(pair[1])}"

    names = ", ".join(f"{r.methodology['name']} ({r.methodology['fingerprint']})" for r in reports)
    console.print(f"[bold]Range across {len(reports)} methodologies[/bold]: {names}")
    console.print(f"total [bold]{span(spread.total_usd)}[/bold]   long {span(spread.long_usd)}   "
                  f"short {span(spread.short_usd)}")
    t = Table(title="Per methodology", title_justify="left")
    for col in ("methodology", "fingerprint", "window (UTC)", "total USD", "long USD", "short USD", "events"):
        t.add_column(col, justify="right" if "USD" in col or col == "events" else "left")
    for r in reports:
        if not r.coverage.covered:
            t.add_row(r.methodology["name"], r.methodology["fingerprint"], f"{r.start} → {r.end}", NOT_COVERED,
                      "", "", "")
            continue
        t.add_row(r.methodology["name"], r.methodology["fingerprint"], f"{r.start} → {r.end}", usd(r.total_usd),
                  usd(r.long_usd), usd(r.short_usd), f"{r.events:,}")
    console.print(t)
    for title, rows in (("By venue", spread.by_venue), ("By asset (top 15)", spread.by_asset[:15])):
        t = Table(title=title, title_justify="left")
        for col in ("", "total", "long", "short"):
            t.add_column(col, justify="right" if col else "left")
        for v in rows:
            t.add_row(v.name, span(v.total_usd), span(v.long_usd), span(v.short_usd))
        console.print(t)
