"""`liqscope simulate`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from liqscope._time import parse_iso_ns
from liqscope.cli._common import console, emit, library_errors, main, output_format

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Named parameter sets. "calibrated" fits the bundled Binance recordings; "crash" is shaped after the
# 2025-10-10 Hyperliquid figures (63,637 liquidations in 12 minutes, ~88/s), not fitted to events.
PROFILES = {
    "calibrated": {},
    "crash": {"rate": 63_637 / 720, "branching": 0.9, "decay": 1.0, "long_share": 0.91},
}


def _seconds(text: str) -> float:
    m = _DURATION.match(text.strip())
    if not m or float(m.group(1)) <= 0:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 15m, 1h or 2d", param_hint="--duration")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


def _venues() -> list[str]:
    from liqscope.simulate import simulated_venues

    return simulated_venues()


@main.command()
@click.option("--venue", "venue_ids", multiple=True, required=True, type=click.Choice(_venues()),
              help="Venue whose wire format to write (repeatable; one file per venue).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for <venue>.jsonl (frames) and <venue>.truth.jsonl (every true liquidation).")
@click.option("--start", default="2025-01-01T00:00:00Z", show_default=True, help="Start, ISO-8601 UTC.")
@click.option("--duration", default="1h", show_default=True, help="Length: 90s, 15m, 1h, 2d.")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="calibrated", show_default=True,
              help="calibrated: fitted on the bundled real recordings; crash: a 2025-10-10-sized cascade.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Mean true liquidations per second (before the venue's sampling).")
@click.option("--branching", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Hawkes branching ratio: the share of liquidations triggered by earlier ones.")
@click.option("--decay", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Hawkes kernel decay, 1/s.")
@click.option("--long-share", type=click.FloatRange(0, 1), default=None,
              help="Probability that a cascade liquidates longs.")
@click.option("--seed", default=0, show_default=True, help="Same seed and options: byte-identical files.")
@click.option("--gzip", "compress", is_flag=True, help="Write .jsonl.gz files.")
@output_format
@library_errors
def simulate(venue_ids: tuple[str, ...], out_dir: Path, start: str, duration: str, profile: str,
             rate: float | None, branching: float | None, decay: float | None, long_share: float | None,
             seed: int, compress: bool, fmt: str) -> None:
    """Write SYNTHETIC liquidation streams in each venue's own wire format, with the truth beside them.

    Every output file starts with a {"liqscope_synthetic": ...} line; `liqscope ingest` stores its rows
    as synthetic, and methodologies leave them out unless coverage.include_synthetic is set.
    """
    from liqscope.simulate import Params
    from liqscope.simulate import simulate as run

    chosen = {**PROFILES[profile], **{k: v for k, v in (("rate", rate), ("branching", branching),
                                                        ("decay", decay), ("long_share", long_share)) if v is not None}}
    start_ns, seconds = parse_iso_ns(start, what="--start"), _seconds(duration)
    try:
        results = [run(v, out_dir, start_ns=start_ns, seconds=seconds, params=Params(**chosen), seed=seed,
                       compress=compress) for v in venue_ids]
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    emit(fmt, results, table=lambda: _render(results))


def _render(results: list[Any]) -> None:
    from rich.table import Table

    t = Table("venue (SYNTHETIC)", "frames", "true liquidations", "observed", "true USD", "observed USD", "output")
    for r in results:
        t.add_row(r.venue, f"{r.frames:,}", f"{r.truth_events:,}", f"{r.observed_events:,}", f"{r.truth_usd:,.2f}",
                  f"{r.observed_usd:,.2f}", r.output)
    console.print(t)
