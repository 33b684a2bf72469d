"""The liquidation report: totals, long/short, per asset and venue, largest, coverage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from liqscope._registry import venues
from liqscope._time import iso_ns
from liqscope.methodology import Methodology, ResolvedWindow, compile_counted
from liqscope.metrics._segments import SegmentFinder, resolve_in_lake
from liqscope.metrics.estimate import Estimate, interval
from liqscope.store import Catalog
from liqscope.store._coverage import CaptureCoverage
from liqscope.store._coverage import coverage as capture_coverage

__all__ = ["Largest", "Report", "SideTotals", "report"]

_ZERO = Decimal(0)


class SideTotals(msgspec.Struct, kw_only=True):
    """Liquidated notional split by the side of the liquidated position."""

    long_usd: Decimal = _ZERO
    short_usd: Decimal = _ZERO
    total_usd: Decimal = _ZERO
    events: int = 0
    long_events: int = 0
    short_events: int = 0


class Largest(msgspec.Struct, kw_only=True):
    """One row of the largest-liquidations board; ``raw_ref`` leads back to the raw record."""

    venue: str
    market: str
    side: str | None
    notional_usd: Decimal
    ts: str
    ts_event: int
    account: str | None
    event_id: str
    raw_ref: str


class VenueCoverage(msgspec.Struct, kw_only=True):
    venue: str
    events: int
    first_event: str
    last_event: str
    sampled: bool
    sampling: str | None


class Coverage(msgspec.Struct, kw_only=True):
    """What the numbers cover, disclosed beside them."""

    venues: list[str]
    first_event: str | None
    last_event: str | None
    per_venue: list[VenueCoverage]
    sampling: dict[str, str]
    complete: bool
    notes: list[str]
    capture: dict[str, CaptureCoverage] = {}  # live capture: covered seconds and gaps per venue (docs/capture.md)


class Report(msgspec.Struct, kw_only=True):
    """A report over [start, end) under one methodology."""

    start: str
    end: str
    total_usd: Decimal
    long_usd: Decimal
    short_usd: Decimal
    unknown_side_usd: Decimal
    events: int
    long_events: int
    short_events: int
    by_asset: dict[str, SideTotals]
    by_venue: dict[str, SideTotals]
    largest: list[Largest]
    methodology: dict[str, object]
    coverage: Coverage
    window: ResolvedWindow | None = None   # the window kind resolved against the requested anchor
    estimate: Estimate | None = None       # floor, estimate and interval under throttle_adjusted
    accounts: AccountCount | None = None   # distinct liquidated accounts, and the venues that count covers
    flags: list[Flag] | None = None         # structural-risk flags with their numbers (metrics.flags)


def exact(d: Decimal) -> Decimal:
    """Drop the lake's trailing zeros (``1.500000`` -> ``1.5``) without ever changing the value."""
    return Decimal(format(d.normalize(), "f")) if d else _ZERO


def _split(rows: list[tuple[Any, ...]]) -> dict[str, SideTotals]:
    out: dict[str, SideTotals] = {}
    for key, side, usd, n in rows:
        usd = exact(usd)
        t = out.setdefault(key, SideTotals())
        t.total_usd += usd
        t.events += n
        if side == "LONG":
            t.long_usd += usd
            t.long_events += n
        elif side == "SHORT":
            t.short_usd += usd
            t.short_events += n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1].total_usd, kv[0])))


_COUNTED_COLUMNS = ("venue, market, base_asset, liquidated_side, account, ts_event, event_id, raw_ref, "
                    "usd, usd_floor, hidden_var, n")


def report(catalog: Catalog, methodology: Methodology, start_ns: int, end_ns: int, *,
           largest_n: int = 10, segments: SegmentFinder | None = None) -> Report:
    """Compute the report under ``methodology`` for the anchor [start_ns, end_ns) on venue time.

    The methodology's window kind resolves the anchor to the window actually counted (a calendar day
    in a time zone, a rolling N hours, a detected cascade); ``Report.window`` shows both.

    Args:
        catalog: The lake.
        methodology: The rules.
        start_ns: Anchor start, inclusive, ns UTC.
        end_ns: Anchor end, exclusive.
        largest_n: Rows in the largest-liquidations board.
        segments: Finds the cascades for an ``event_segment`` window (default: the lake's detector).
    """
    window = resolve_in_lake(catalog, methodology, start_ns, end_ns, segments)
    start_ns, end_ns = window.start_ns, window.end_ns
    cov = methodology.coverage
    registry = venues()
    sampled = sorted(v for v, spec in registry.items() if spec.sampled)
    pad = methodology.estimation.neighbourhood_seconds * 1_000_000_000 \
        if methodology.estimation.mode == "throttle_adjusted" else 0
    files = catalog.event_files(cov.venues or None, start_ns - pad, end_ns + pad) if end_ns > start_ns else []
    q = compile_counted(methodology, catalog.relation_sql(files), start_ns, end_ns, sampled)
    con = catalog.connect()
    try:
        # Only the columns the report and its derived statistics read: DuckDB then reads just these
        # from Parquet (SELECT * materialized every column and cost ~1.7x a hand-written query).
        con.execute(f"CREATE TEMP TABLE counted AS SELECT {_COUNTED_COLUMNS} FROM ({q.sql})", q.params)
        by_asset = _split(con.execute(
            "SELECT base_asset, liquidated_side, sum(usd), sum(n) FROM counted GROUP BY ALL").fetchall())
        by_venue = _split(con.execute(
            "SELECT venue, liquidated_side, sum(usd), sum(n) FROM counted GROUP BY ALL").fetchall())
        floor_usd, hidden_var = con.execute(  # type: ignore[misc]  # an aggregate: always one row
            "SELECT coalesce(sum(usd_floor), 0), coalesce(sum(hidden_var), 0) FROM counted").fetchone()
        largest_rows = con.execute(
            "SELECT venue, market, liquidated_side, usd, ts_event, account, event_id, raw_ref FROM counted "
            "ORDER BY usd DESC, ts_event, event_id LIMIT $n", {"n": largest_n}).fetchall()
        venue_rows = con.execute(
            "SELECT venue, count(*), min(ts_event), max(ts_event) FROM counted GROUP BY venue ORDER BY venue"
        ).fetchall()
        # Derived statistics read the same counted table: the events are scanned once per report.
        accounts = accounts_liquidated(catalog, methodology, start_ns, end_ns, con=con)
        flags = structural_flags(catalog, methodology, start_ns, end_ns, con=con)
    finally:
        con.close()

    totals = SideTotals()
    for t in by_venue.values():
        for f in ("long_usd", "short_usd", "total_usd", "events", "long_events", "short_events"):
            setattr(totals, f, getattr(totals, f) + getattr(t, f))
    per_venue = [
        VenueCoverage(venue=v, events=n, first_event=iso_ns(lo), last_event=iso_ns(hi),
                      sampled=registry[v].sampled if v in registry else False,
                      sampling=registry[v].sampling if v in registry else None)
        for v, n, lo, hi in venue_rows
    ]
    sampling = {c.venue: c.sampling for c in per_venue if c.sampling}
    notes = []
    if cov.include_synthetic:  # simulated rows must never pass for real ones, here included
        notes.append("coverage.include_synthetic is set: SYNTHETIC rows (from `liqscope simulate`) count here")
    estimate = None
    if methodology.estimation.mode == "throttle_adjusted":
        floor_usd = exact(floor_usd)
        low, high = interval(floor_usd, totals.total_usd - floor_usd, float(hidden_var), methodology.estimation.level)
        estimate = Estimate(floor_usd=floor_usd, estimate_usd=totals.total_usd, low_usd=low, high_usd=high,
                            level=methodology.estimation.level, sampled_venues=sorted(sampling),
                            model="hidden per occupied 1 s window = base + slope x Poisson excess of the "
                                  "neighbouring windows' occupancy, at the local mean notional "
                                  "(docs/methodology.md)")
        if sampling:
            notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                         "figures include the throttle-adjusted estimate of the rest; the observed floor "
                         "and the interval are under 'estimate'")
    elif sampling:
        notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                     "their totals are floors, not estimates")
    firsts = [r[2] for r in venue_rows]
    lasts = [r[3] for r in venue_rows]
    return Report(
        start=iso_ns(start_ns),
        end=iso_ns(end_ns),
        total_usd=totals.total_usd,
        long_usd=totals.long_usd,
        short_usd=totals.short_usd,
        unknown_side_usd=totals.total_usd - totals.long_usd - totals.short_usd,
        events=totals.events,
        long_events=totals.long_events,
        short_events=totals.short_events,
        by_asset=by_asset,
        by_venue=by_venue,
        largest=[Largest(venue=v, market=m, side=s, notional_usd=exact(u), ts=iso_ns(t), ts_event=t, account=a,
                         event_id=i, raw_ref=r) for v, m, s, u, t, a, i, r in largest_rows],
        methodology={"name": methodology.name, "version": methodology.version,
                     "fingerprint": methodology.fingerprint()},
        coverage=Coverage(venues=[c.venue for c in per_venue],
                          first_event=iso_ns(min(firsts)) if firsts else None,
                          last_event=iso_ns(max(lasts)) if lasts else None,
                          per_venue=per_venue, sampling=sampling, complete=not sampling, notes=notes,
                          capture=capture_coverage(catalog, cov.venues or None, start_ns, end_ns)),
        window=window,
        estimate=estimate,
        accounts=accounts,
        flags=flags,
    )


# Imported last: these modules import ``exact``/``Largest`` from this one.
from liqscope.metrics.accounts import AccountCount, accounts_liquidated  # noqa: E402
from liqscope.metrics.flags import Flag, structural_flags  # noqa: E402
