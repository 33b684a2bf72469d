"""The liquidation report: totals, long/short, per asset and venue, largest, coverage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from liqscope._registry import venues
from liqscope._time import iso_ns
from liqscope.methodology import ResolvedWindow
from liqscope.metrics._counted import NOT_COVERED, Counted, exact
from liqscope.metrics._empty import Empty, synthetic_excluded, why_empty
from liqscope.metrics.estimate import Estimate, interval
from liqscope.metrics.gaps import CoverageGap, VenueObserved, coverage_gaps
from liqscope.store._coverage import CaptureCoverage

__all__ = ["AssetTotals", "Largest", "NotValued", "Report", "ReportCoverage", "SideTotals", "VenueCoverage",
           "VenueTotals", "exact", "not_valued", "observed_notes", "rank", "report", "split_sides"]

_ZERO = Decimal(0)
_SHARE = Decimal("0.000001")
_Row = TypeVar("_Row", "AssetTotals", "VenueTotals")


class SideTotals(msgspec.Struct, kw_only=True):
    """Liquidated notional split by the side of the liquidated position."""

    long_usd: Decimal = _ZERO
    short_usd: Decimal = _ZERO
    total_usd: Decimal = _ZERO
    events: int = 0
    long_events: int = 0
    short_events: int = 0
    estimated: bool = False   # the USD figures include the throttle-adjusted estimate (docs/methodology.md)


class AssetTotals(SideTotals, kw_only=True):
    """One row of ``by_asset``: the asset, its side totals, and its share of the report's total.

    Rankings travel as ordered arrays, largest first: a JSON object keyed by asset would let a reader
    reorder them (JavaScript lists integer-like keys such as asset ``4`` first)."""

    asset: str
    share: Decimal = _ZERO   # total_usd / the report's total_usd, to 6 decimal places (0 when the total is 0)

    @property
    def name(self) -> str:
        """The row's key (the asset)."""
        return self.asset


class VenueTotals(SideTotals, kw_only=True):
    """One row of ``by_venue``: the venue, its side totals, and its share of the report's total."""

    venue: str
    share: Decimal = _ZERO

    @property
    def name(self) -> str:
        """The row's key (the venue)."""
        return self.venue


class Largest(msgspec.Struct, kw_only=True):
    """One row of the largest-liquidations board: an observed liquidation at its observed notional
    (never an estimate, under any methodology); ``raw_ref`` leads back to the raw record."""

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
    """One venue's counted events in the window, and how its feed samples."""

    venue: str
    events: int
    first_event: str
    last_event: str
    sampled: bool
    sampling: str | None
    observed_fraction: float | None = None  # share of the window observed (``ReportCoverage.observed``)


class NotValued(msgspec.Struct, kw_only=True):
    """Liquidations in scope that no figure counts because the notional has no price (never guessed)."""

    events: int                     # counted once each, under the methodology's dedupe
    by_venue: dict[str, int]
    basis: str                      # the leg the valuation rule takes (methodology valuation.lending)
    list_with: str                  # the command that lists them


class ReportCoverage(msgspec.Struct, kw_only=True):
    """What the numbers cover, disclosed beside them (``covered`` False: the request's venues are all
    outside the methodology's coverage, and nothing counts)."""

    venues: list[str]
    first_event: str | None
    last_event: str | None
    per_venue: list[VenueCoverage]
    sampling: dict[str, str]
    complete: bool
    notes: list[str]
    capture: dict[str, CaptureCoverage] = {}  # live capture: covered seconds and gaps per venue (docs/capture.md)
    covered: bool = True
    not_covered: list[str] = []              # requested venues this methodology leaves out
    gaps: list[CoverageGap] = []             # holes per venue: capture markers or inferred silences (metrics.gaps)
    observed: list[VenueObserved] = []       # share of the window each venue was observed, and from what
    synthetic_excluded: int = 0              # stored SYNTHETIC rows in the window the methodology leaves out
    not_valued: NotValued | None = None      # lending in scope: liquidations whose notional leg has no price


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
    by_asset: list[AssetTotals]    # largest total first, then by name
    by_venue: list[VenueTotals]
    largest: list[Largest]
    methodology: dict[str, object]
    coverage: ReportCoverage
    estimated: bool = False               # total, sides, by_asset and by_venue include the estimate
    window: ResolvedWindow | None = None   # the window kind resolved against the requested anchor
    estimate: Estimate | None = None       # floor, estimate and interval under throttle_adjusted
    accounts: AccountCount | None = None   # distinct liquidated accounts, and the venues that count covers
    flags: list[Flag] | None = None         # structural-risk flags with their numbers (metrics.flags)
    empty: Empty | None = None              # why nothing counts, when nothing does (never a quiet zero)

    def asset(self, name: str) -> AssetTotals | None:
        """The ``by_asset`` row of ``name``, or None when the asset has no counted event."""
        return next((t for t in self.by_asset if t.name == name), None)

    def venue(self, name: str) -> VenueTotals | None:
        """The ``by_venue`` row of ``name``, or None when the venue has no counted event."""
        return next((t for t in self.by_venue if t.name == name), None)


def split_sides(rows: list[tuple[Any, ...]]) -> dict[str, SideTotals]:
    """(key, side, usd, n[, hidden usd]) rows -> SideTotals per key, largest first."""
    out: dict[str, SideTotals] = {}
    for key, side, usd, n, *hidden in rows:
        usd = exact(usd)
        t = out.setdefault(key, SideTotals())
        t.estimated = t.estimated or bool(hidden and hidden[0])
        t.total_usd += usd
        t.events += n
        if side == "LONG":
            t.long_usd += usd
            t.long_events += n
        elif side == "SHORT":
            t.short_usd += usd
            t.short_events += n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1].total_usd, kv[0])))


def rank(rows: dict[str, SideTotals], total_usd: Decimal, row: type[_Row]) -> list[_Row]:
    """``split_sides`` output -> the ordered ranking of ``row`` entries, each with its share of ``total_usd``."""
    key = "asset" if row is AssetTotals else "venue"
    out = []
    for k, t in rows.items():
        fields: dict[str, Any] = {**msgspec.structs.asdict(t), key: k,
                                  "share": (t.total_usd / total_usd).quantize(_SHARE) if total_usd else _ZERO}
        out.append(row(**fields))
    return out


_COLUMNS = ("venue", "market", "base_asset", "liquidated_side", "account", "ts_event", "event_id", "raw_ref", "usd",
            "usd_floor", "hidden_var", "n", "sampling")
_BY = "SELECT {key}, liquidated_side, sum(usd), sum(n), sum(usd) - sum(usd_floor) FROM counted GROUP BY ALL"
# Observed rows at their observed value: an estimate applies to aggregates, never to one liquidation.
LARGEST_SQL = ("SELECT venue, market, liquidated_side, usd_floor, ts_event, account, event_id, raw_ref FROM counted "
               "WHERE ts_event >= $lo AND ts_event < $hi ORDER BY usd_floor DESC, ts_event, event_id LIMIT $n")


def largest_rows(rows: list[tuple[Any, ...]]) -> list[Largest]:
    """``LARGEST_SQL`` rows -> the board."""
    return [Largest(venue=v, market=m, side=s, notional_usd=exact(u), ts=iso_ns(t), ts_event=t, account=a,
                    event_id=i, raw_ref=r) for v, m, s, u, t, a, i, r in rows]


def observed_notes(observed: list[VenueObserved]) -> list[str]:
    """One line per venue: the share of the window it was observed, its gaps and where they come from."""
    out = []
    for o in observed:
        if o.observed_fraction is None:
            out.append(f"{o.venue}: observed share unknown ({o.note})")
            continue
        how = ("from capture markers" if o.source == "capture"
               else f"inferred: a silence of >= {o.hole_seconds} s is a hole, coverage.silence")
        out.append(f"{o.venue}: observed {o.observed_fraction:.1%} of the window; "
                   f"{o.gaps} gap{'' if o.gaps == 1 else 's'} ({how})")
    return out


def not_valued(c: Counted) -> NotValued | None:
    """How many liquidations in ``c``'s scope have no price for their notional (None: lending not in scope).

    Read from ``c.not_valued()``: the same coverage, window and dedupe as the figures, the other side of
    the valuation rule.
    """
    m = c.methodology
    if "lending" not in m.coverage.instrument_kinds or not c.coverage.covered:
        return None
    by_venue: dict[str, int] = {}
    if c.files:
        with c.not_valued().connect(("venue", "n")) as con:
            by_venue = {v: int(n) for v, n in con.execute(
                "SELECT venue, sum(n) FROM counted GROUP BY venue ORDER BY venue").fetchall()}
    return NotValued(events=sum(by_venue.values()), by_venue=by_venue, basis=m.valuation.lending.replace("_", " "),
                     list_with=f"liqscope explain --not-valued -m {m.name} --start {iso_ns(c.start_ns)} "
                               f"--end {iso_ns(c.end_ns)}")


def report(c: Counted, *, largest_n: int = 10) -> Report:
    """The report of a counted relation: totals, sides, per asset and venue, largest, coverage.

    Under an estimating methodology the totals, sides, ``by_asset`` and ``by_venue`` include the
    estimate (and are marked ``estimated``), and all sum to the headline; the largest board shows
    observed liquidations at their observed notional.

    Args:
        c: The counted relation (``liqscope.metrics.counted``).
        largest_n: Rows in the largest-liquidations board.
    """
    m = c.methodology
    registry = venues()
    with c.connect(_COLUMNS) as con:
        by_asset = split_sides(con.execute(_BY.format(key="base_asset")).fetchall())
        by_venue = split_sides(con.execute(_BY.format(key="venue")).fetchall())
        floor_usd, hidden_var = con.execute(
            "SELECT coalesce(sum(usd_floor), 0), coalesce(sum(hidden_var), 0) FROM counted").fetchone()
        board = con.execute(LARGEST_SQL, {"n": largest_n, "lo": c.start_ns, "hi": c.end_ns}).fetchall()
        venue_rows = con.execute(
            "SELECT venue, count(*), min(ts_event), max(ts_event) FROM counted GROUP BY venue ORDER BY venue"
        ).fetchall()
        # A source record can be a sample even where the venue's feed is complete (a subgraph export).
        sampled_rows = con.execute("SELECT venue, sampling, sum(n) FROM counted WHERE sampling IS NOT NULL "
                                   "GROUP BY ALL ORDER BY ALL").fetchall()
        # Derived statistics read the same counted table: the events are scanned once per report.
        accounts = count_accounts(con)
        flags = flags_of(c, con)

    totals = SideTotals()
    for t in by_venue.values():
        for f in ("long_usd", "short_usd", "total_usd", "events", "long_events", "short_events"):
            setattr(totals, f, getattr(totals, f) + getattr(t, f))
    holes = coverage_gaps(c)
    fraction = {o.venue: o.observed_fraction for o in holes.observed}
    per_venue = [
        VenueCoverage(venue=v, events=n, first_event=iso_ns(lo), last_event=iso_ns(hi),
                      sampled=registry[v].sampled if v in registry else False,
                      sampling=registry[v].sampling if v in registry else None, observed_fraction=fraction.get(v))
        for v, n, lo, hi in venue_rows
    ]
    sampling = {v.venue: v.sampling for v in per_venue if v.sampling}
    for v, label, n in sampled_rows:
        text = f"{int(n):,} events from a sampled source: {label}"
        sampling[v] = f"{sampling[v]}; {text}" if v in sampling else text
    notes = []
    if not c.coverage.covered:
        notes.append(f"{', '.join(c.coverage.requested_venues)}: {NOT_COVERED} ({m.name})")
    if m.coverage.include_synthetic:  # simulated rows must never pass for real ones, here included
        notes.append("coverage.include_synthetic is set: SYNTHETIC rows (from `liqscope simulate`) count here")
    synthetic = synthetic_excluded(c)
    if synthetic:  # ... nor vanish without a word when they are left out
        notes.append(f"{synthetic:,} SYNTHETIC rows (from `liqscope simulate`) in the window are left out "
                     "(coverage.include_synthetic = false)")
    unvalued = not_valued(c)
    if unvalued is not None and unvalued.events:
        notes.append(f"{unvalued.events:,} lending liquidations have no price for their {unvalued.basis} leg: not "
                     f"valued, so no figure counts them (never a guess); list them with `{unvalued.list_with}`")
    estimate = None
    floor_usd = exact(floor_usd)
    if m.estimation.mode == "throttle_adjusted":
        low, high = interval(floor_usd, totals.total_usd - floor_usd, float(hidden_var), m.estimation.level)
        estimate = Estimate(floor_usd=floor_usd, estimate_usd=totals.total_usd, low_usd=low, high_usd=high,
                            level=m.estimation.level, sampled_venues=sorted(v.venue for v in per_venue if v.sampling),
                            model="hidden per occupied 1 s window = base + slope x Poisson excess of the "
                                  "neighbouring windows' occupancy, at the local mean notional "
                                  "(docs/methodology.md)")
        if sampling:
            notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                         "total, sides, assets, venues and the timeline include the throttle-adjusted estimate "
                         "of the rest (marked estimated); the largest liquidations and the event list show "
                         "observed values; the observed floor and the interval are under 'estimate'")
    elif sampling:
        notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                     "their totals are floors, not estimates")
    notes += observed_notes(holes.observed)
    firsts = [r[2] for r in venue_rows]
    lasts = [r[3] for r in venue_rows]
    w = c.window
    return Report(
        start=iso_ns(w.start_ns),
        end=iso_ns(w.end_ns),
        total_usd=totals.total_usd,
        long_usd=totals.long_usd,
        short_usd=totals.short_usd,
        unknown_side_usd=totals.total_usd - totals.long_usd - totals.short_usd,
        events=totals.events,
        long_events=totals.long_events,
        short_events=totals.short_events,
        by_asset=rank(by_asset, totals.total_usd, AssetTotals),
        by_venue=rank(by_venue, totals.total_usd, VenueTotals),
        largest=largest_rows(board),
        methodology=c.meta(),
        coverage=ReportCoverage(venues=[v.venue for v in per_venue],
                                first_event=iso_ns(min(firsts)) if firsts else None,
                                last_event=iso_ns(max(lasts)) if lasts else None,
                                per_venue=per_venue, sampling=sampling, complete=not sampling, notes=notes,
                                capture=holes.capture, covered=c.coverage.covered,
                                not_covered=c.coverage.not_covered, gaps=holes.gaps, observed=holes.observed,
                                synthetic_excluded=synthetic, not_valued=unvalued),
        estimated=totals.total_usd != floor_usd,
        window=w,
        estimate=estimate,
        accounts=accounts,
        flags=flags,
        empty=why_empty(c) if not totals.events and not totals.total_usd else None,
    )


# Imported last: these modules import ``Largest`` from this one.
from liqscope.metrics.accounts import AccountCount, count_accounts  # noqa: E402
from liqscope.metrics.flags import Flag, flags_of  # noqa: E402
