"""The liquidation report: totals, long/short, per asset and venue, largest, coverage."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope._time import iso_ns
from liqscope.methodology import Methodology, compile_counted
from liqscope.store import Catalog
from liqscope.venues import venues

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


def exact(d: Decimal) -> Decimal:
    """Drop the lake's trailing zeros (``1.500000`` -> ``1.5``) without ever changing the value."""
    return Decimal(format(d.normalize(), "f")) if d else _ZERO


def _split(rows: list[tuple]) -> dict[str, SideTotals]:
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


def report(catalog: Catalog, methodology: Methodology, start_ns: int, end_ns: int, *,
           largest_n: int = 10) -> Report:
    """Compute the report for [start_ns, end_ns) on venue time under ``methodology``."""
    cov = methodology.coverage
    files = catalog.event_files(cov.venues or None, start_ns, end_ns)
    q = compile_counted(methodology, catalog.relation_sql(files), start_ns, end_ns)
    con = catalog.connect()
    try:
        con.execute(f"CREATE TEMP TABLE counted AS {q.sql}", q.params)
        by_asset = _split(con.execute(
            "SELECT base_asset, liquidated_side, sum(usd), count(*) FROM counted GROUP BY ALL").fetchall())
        by_venue = _split(con.execute(
            "SELECT venue, liquidated_side, sum(usd), count(*) FROM counted GROUP BY ALL").fetchall())
        largest_rows = con.execute(
            "SELECT venue, market, liquidated_side, usd, ts_event, account, event_id, raw_ref FROM counted "
            "ORDER BY usd DESC, ts_event, event_id LIMIT $n", {"n": largest_n}).fetchall()
        venue_rows = con.execute(
            "SELECT venue, count(*), min(ts_event), max(ts_event) FROM counted GROUP BY venue ORDER BY venue"
        ).fetchall()
    finally:
        con.close()

    totals = SideTotals()
    for t in by_venue.values():
        for f in ("long_usd", "short_usd", "total_usd", "events", "long_events", "short_events"):
            setattr(totals, f, getattr(totals, f) + getattr(t, f))
    registry = venues()
    per_venue = [
        VenueCoverage(venue=v, events=n, first_event=iso_ns(lo), last_event=iso_ns(hi),
                      sampled=registry[v].sampled if v in registry else False,
                      sampling=registry[v].sampling if v in registry else None)
        for v, n, lo, hi in venue_rows
    ]
    sampling = {c.venue: c.sampling for c in per_venue if c.sampling}
    notes = []
    if sampling:
        notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                     "their totals are floors, not estimates")
    if methodology.estimation.mode != "floor":
        notes.append(f"estimation mode {methodology.estimation.mode!r} is not applied by this report yet: "
                     "figures are the observed floor")
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
                          per_venue=per_venue, sampling=sampling, complete=not sampling, notes=notes),
    )
