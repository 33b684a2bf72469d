"""`liqscope report`."""

from __future__ import annotations

from typing import Any

import click
import msgspec

from liqscope._time import parse_iso_ns
from liqscope.cli._common import console, data_dir_option, emit_json, library_errors, main, output_format, venue_choice
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
@data_dir_option
@output_format
@library_errors
def report(start: str, end: str, venue_ids: tuple[str, ...], methodologies: tuple[str, ...], largest: int,
           catalog: Catalog, fmt: str) -> None:
    """Liquidated notional over [START, END): total, long/short, per asset and venue, largest, coverage."""
    from liqscope._render import render_report
    from liqscope.methodology import load
    from liqscope.metrics import report as compute

    start_ns, end_ns = parse_iso_ns(start, what="--start"), parse_iso_ns(end, what="--end")
    if end_ns <= start_ns:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    m = _narrow(load(methodologies[0]), venue_ids)
    r = compute(catalog, m, start_ns, end_ns, largest_n=largest)
    if fmt == "json":
        emit_json(r)
    else:
        render_report(console, r)


def _narrow(m: Any, venue_ids: tuple[str, ...]) -> Any:
    if not venue_ids:
        return m
    return msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, venues=tuple(sorted(venue_ids))))


