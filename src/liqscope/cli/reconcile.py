"""`liqscope reconcile`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format, venue_choice
from liqscope.store import Catalog


@main.command()
@click.option("--from", "from_name", required=True, help="Methodology reconciled from: built-in name or TOML path.")
@click.option("--to", "to_name", required=True, help="Methodology reconciled to: built-in name or TOML path.")
@click.option("--start", required=True, help="Anchor start, ISO-8601 UTC (inclusive, venue time).")
@click.option("--end", required=True, help="Anchor end, ISO-8601 UTC (exclusive).")
@click.option("--venue", "venue_ids", multiple=True, type=venue_choice(),
              help="Only these venues (repeatable). Narrows both methodologies' coverage.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a waterfall chart PNG here (needs: pip install 'liqscope[charts]').")
@data_dir_option
@output_format
@library_errors
def reconcile(from_name: str, to_name: str, start: str, end: str, venue_ids: tuple[str, ...], chart: Path | None,
              catalog: Catalog, fmt: str) -> None:
    """Explain total(TO) - total(FROM) by dimension: coverage, window, counting, valuation, estimation.

    Contributions are exact Shapley values over the dimensions that differ and sum to the difference
    exactly; the same is done for the long, short and per-asset totals. Every variant comes from one scan.
    """
    from liqscope.cli.report import counted_all
    from liqscope.metrics import reconcile as compute

    r = compute(*counted_all(catalog, [from_name, to_name], start, end, venue_ids))
    if chart is not None:
        from liqscope.metrics.waterfall import waterfall_png

        waterfall_png(r, chart)
    rows = [{"dimension": d, "total_usd": v, "long_usd": r.long.contributions[d], "short_usd": r.short.contributions[d],
             "from": r.from_.name, "from_fingerprint": r.from_.fingerprint, "to": r.to.name,
             "to_fingerprint": r.to.fingerprint} for d, v in r.contributions.items()]
    emit(fmt, r, rows=rows, table=lambda: _render(r, chart))


def _render(r: Any, chart: Path | None) -> None:
    from rich.table import Table

    from liqscope._render import usd as unsigned

    def usd(d: Any) -> str:
        return ("−" if d < 0 else "") + unsigned(abs(d))

    a, b = r.from_, r.to
    console.print(f"[bold]Reconciliation[/bold] {r.start} → {r.end} (anchor, UTC)")
    for label, side, key in (("from", a, "from"), ("to", b, "to")):
        w = r.windows[key]
        figure = usd(side.total_usd) if side.covered else side.note
        console.print(f"  {label:<4} [bold]{side.name}[/bold] {side.fingerprint}  {figure}  "
                      f"window {w.start} → {w.end} ({w.detail})")
    if r.note:
        console.print(f"[yellow]{r.note}[/yellow]")
    console.print(f"Difference [bold]{usd(r.difference_usd)}[/bold] over {len(r.differing)} differing "
                  f"dimension(s), {r.variants} variants from one scan")
    t = Table(title="Contributions (exact Shapley values)", title_justify="left")
    for col in ("dimension", "total", "long", "short"):
        t.add_column(col, justify="left" if col == "dimension" else "right")
    for d, v in r.contributions.items():
        t.add_row(d, usd(v), usd(r.long.contributions[d]), usd(r.short.contributions[d]))
    console.print(t)
    t = Table(title="By asset (top 15 by |difference|)", title_justify="left")
    for col in ("asset", "from", "to", "difference", *r.contributions):
        t.add_column(col, justify="left" if col == "asset" else "right")
    for p in r.by_asset[:15]:
        t.add_row(p.asset, usd(p.from_usd), usd(p.to_usd), usd(p.difference_usd),
                  *(usd(v) for v in p.contributions.values()))
    console.print(t)
    if chart is not None:
        console.print(f"waterfall chart: {chart}")
