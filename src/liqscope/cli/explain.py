"""`liqscope explain`: the events behind any figure."""

from __future__ import annotations

from typing import Any

import click

from liqscope._time import parse_iso_ns
from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format, venue_choice
from liqscope.store import Catalog


@main.command()
@click.option("--start", required=True, help="Window start, ISO-8601 UTC (inclusive, venue time): as the figure's.")
@click.option("--end", required=True, help="Window end, ISO-8601 UTC (exclusive): as the figure's.")
@click.option("-m", "--methodology", "methodology", default="standard", show_default=True,
              help="Built-in name or TOML path: the figure's methodology.")
@click.option("--venue", default=None, type=venue_choice(), help="Only this venue (a by-venue figure).")
@click.option("--asset", default=None, help="Only this base asset (a by-asset figure), e.g. BTC.")
@click.option("--side", type=click.Choice(["LONG", "SHORT", "UNKNOWN"]), default=None,
              help="Only liquidated LONG or SHORT positions, or UNKNOWN (side not published).")
@click.option("--bucket", type=click.Choice(["1m", "5m", "15m", "1h", "4h", "1d"]), default=None,
              help="With --at: only the timeline bucket of this width that holds --at.")
@click.option("--at", "at", default=None, help="A time inside the bucket, ISO-8601 UTC.")
@click.option("--order", type=click.Choice(["usd_desc", "time_asc"]), default="usd_desc", show_default=True,
              help="Largest first, or oldest first.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="List at most this many rows (default: all). The totals always cover every row.")
@click.option("--not-valued", is_flag=True, default=False,
              help="List instead the liquidations no figure counts because their notional has no price "
                   "(lending legs; the report's coverage.not_valued).")
@data_dir_option
@output_format
@library_errors
def explain(start: str, end: str, methodology: str, venue: str | None, asset: str | None, side: str | None,
            bucket: str | None, at: str | None, order: str, limit: int | None, not_valued: bool, catalog: Catalog,
            fmt: str) -> None:
    """List the counted events behind a figure (one asset, venue, side or time bucket), with their raw refs.

    The same methodology and fingerprint as the figure, from the same counted relation: the listed rows'
    `usd` sum to the figure (`report`'s total, by-venue or by-asset row; a `report`/timeline bucket) exactly.
    Open any row's raw_ref with `liqscope raw REF`.
    """
    from liqscope.cli.report import counted_all
    from liqscope.metrics import explain as run

    if (bucket is None) != (at is None):
        raise click.UsageError("--bucket and --at go together: the bucket's width and a time inside it")
    (c,) = counted_all(catalog, [methodology], start, end, ())
    r = run(c, venue=venue, asset=asset, side=side, bucket=bucket,  # type: ignore[arg-type]  # click.Choice
            at_ns=parse_iso_ns(at, what="--at") if at else None, order=order, limit=limit,  # type: ignore[arg-type]
            not_valued=not_valued)
    emit(fmt, r, rows=r.listed, table=lambda: _render(r))


def _render(r: Any) -> None:
    from liqscope._render import usd

    f, m = r.figure, r.methodology
    what = ", ".join(x for x in (f"venue {f.venue}" if f.venue else "", f"asset {f.asset}" if f.asset else "",
                                 f"side {f.side}" if f.side else "",
                                 f"bucket {f.bucket_start} → {f.bucket_end}" if f.bucket else "") if x) or "total"
    console.print(f"[bold]{what}[/bold] over {r.start} → {r.end}, methodology [bold]{m['name']}[/bold] "
                  f"v{m['version']} fingerprint {m['fingerprint']}")
    if r.not_valued:
        console.print(f"[bold]{r.rows:,}[/bold] liquidations ({r.events:,} events) with no price for their notional: "
                      "no figure counts them")
    else:
        console.print(f"Figure [bold]{usd(r.total_usd)}[/bold]" + (" (estimated)" if r.estimated else "")
                      + f" = the sum of {r.rows:,} rows ({r.events:,} events; observed {usd(r.observed_usd)})")
    if r.empty is not None:
        console.print(f"[yellow]Nothing counts ({r.empty.code})[/yellow]: {r.empty.reason}")
        return
    # One line per row, never wrapped or cut: the raw ref at the end is what `liqscope raw` takes.
    console.print(f"Rows listed: {len(r.listed):,} of {r.rows:,}")
    rows = [(x.ts, x.venue, x.market, x.side or "?", "not valued" if x.usd is None else usd(x.usd),
             *([usd(x.usd_floor)] if r.estimated else []),
             str(x.n), x.raw_ref) for x in r.listed]
    head = ("time (UTC)", "venue", "market", "side", "USD", *(["observed USD"] if r.estimated else []), "n",
            "raw_ref (liqscope raw REF)")
    widths = [max(len(c) for c in col) for col in zip(head, *rows, strict=False)]
    for i, line in enumerate((head, *rows)):
        text = "  ".join(c.rjust(w) if "USD" in h or h == "n" else c.ljust(w) for c, w, h in zip(line, widths, head,
                                                                                              strict=True))
        console.print(f"[bold]{text}[/bold]" if i == 0 else text, soft_wrap=True, highlight=False, markup=i == 0)
