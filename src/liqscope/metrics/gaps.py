"""Coverage that admits its holes: the gaps of each venue in a counted window, and the share observed.

Two kinds of gap, one list (``coverage.gaps`` of the report, the API's report, coverage and timeline):

- ``capture``: a venue with live-capture transcripts in the window takes its gaps from their markers
  (disconnect, silence watchdog, stall, not capturing; ``store/_coverage.py``), in receipt time.
- ``inferred``: a file ingest carries no markers, so a recorder that was off reads as a quiet market.
  A venue without transcripts gets a gap wherever its liquidations stop for at least the methodology's
  ``coverage.silence`` rule for that venue (between two liquidations, from the window's start to the
  first one, from the last one to the window's end), in venue time. The silences are read from the same
  lake files and scope as the ``Counted`` (``Counted.silences_query``), over every liquidation of the
  venue: a methodology that counts fewer (assets, sizes, copies) does not invent holes.

A venue without a rule and without transcripts has no gaps listed and an unknown observed share (None),
said in ``note``: not knowing is not the same as full coverage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.metrics._counted import Counted
from liqscope.store._coverage import CaptureCoverage
from liqscope.store._coverage import coverage as capture_coverage

__all__ = ["CoverageGap", "Gaps", "VenueObserved", "coverage_gaps"]

GapSource = Literal["capture", "inferred"]
_NS = 1_000_000_000


class CoverageGap(msgspec.Struct, kw_only=True):
    """A stretch of the window in which a venue was not observed.

    ``source`` is ``capture`` (a transcript marker says so; ``reason`` names it) or ``inferred`` (a
    silence of at least ``hole_seconds`` in a file ingest). ``start``/``end`` are ISO UTC, ``start_ns``/
    ``end_ns`` the same instants in ns; ``seconds`` = (end - start) in seconds.
    """

    venue: str
    start: str
    end: str
    seconds: float
    source: GapSource
    start_ns: int
    end_ns: int
    reason: str


class VenueObserved(msgspec.Struct, kw_only=True):
    """The share of the window one venue was observed: 1 - gap seconds / window seconds.

    ``observed_fraction`` is None when it cannot be known (no transcripts and no silence rule for the
    venue); ``source`` says where the gaps come from, ``hole_seconds`` the silence rule applied.
    """

    venue: str
    window_seconds: float
    observed_seconds: float | None
    observed_fraction: float | None
    source: GapSource | None
    hole_seconds: int | None
    gaps: int
    note: str | None = None


class Gaps(msgspec.Struct, kw_only=True):
    """Every venue's gaps (ordered by venue, then start) and observed share over one counted window."""

    gaps: list[CoverageGap]
    observed: list[VenueObserved]
    capture: dict[str, CaptureCoverage]


def _seconds(ns: int) -> float:
    return round(ns / _NS, 3)


def _gap(venue: str, lo: int, hi: int, source: GapSource, reason: str) -> CoverageGap:
    return CoverageGap(venue=venue, start=iso_ns(lo), end=iso_ns(hi), seconds=_seconds(hi - lo), source=source,
                       start_ns=lo, end_ns=hi, reason=reason)


def _inferred(venue: str, start: int, end: int, hole_ns: int, found: Sequence[tuple[int, int]],
              span: tuple[int, int] | None) -> list[CoverageGap]:
    why = f"no liquidation for >= {hole_ns // _NS} s (coverage.silence rule)"
    if span is None:  # nothing at all in the window
        return [_gap(venue, start, end, "inferred", f"no liquidation in the window; {why}")]
    first, last = span
    out = []
    if first - start >= hole_ns:
        out.append(_gap(venue, start, first, "inferred", why))
    out += [_gap(venue, lo, hi, "inferred", why) for lo, hi in found if hi - lo >= hole_ns]
    if end - last >= hole_ns:
        out.append(_gap(venue, last, end, "inferred", why))
    return out


def coverage_gaps(c: Counted) -> Gaps:
    """The gaps and observed share of every venue in the counted window.

    Venues listed: those with liquidations in the window, those the request narrowed to, and those
    captured live in it. Nothing is listed when the request is not covered by the methodology.
    """
    if not c.coverage.covered or c.end_ns <= c.start_ns:
        return Gaps(gaps=[], observed=[], capture={})
    cov = c.methodology.coverage
    start, end = c.start_ns, c.end_ns
    capture = capture_coverage(c.catalog, c.coverage.venues or None, start, end)
    rules = {r.venue: r.hole_seconds * _NS for r in cov.silence}
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    spans: dict[str, tuple[int, int]] = {}
    if c.files:
        q = c.silences_query(min(rules.values(), default=end - start))
        con = c.catalog.connect()
        try:
            for venue, lo, hi, events in con.execute(q.sql, q.params).fetchall():
                if events is None:
                    found[venue].append((lo, hi))
                else:
                    spans[venue] = (lo, hi)
        finally:
            con.close()
    window = _seconds(end - start)
    gaps: list[CoverageGap] = []
    observed: list[VenueObserved] = []
    for venue in sorted({*spans, *c.coverage.venues, *capture}):
        if venue in capture:
            cap = capture[venue]
            mine = [_gap(venue, g.start_ns, g.end_ns, "capture", g.reason) for g in cap.gaps]
            observed.append(VenueObserved(venue=venue, window_seconds=window, observed_seconds=cap.covered_seconds,
                                          observed_fraction=round(cap.covered_seconds / window, 6), source="capture",
                                          hole_seconds=None, gaps=len(mine)))
        elif venue in rules:
            mine = _inferred(venue, start, end, rules[venue], found.get(venue, []), spans.get(venue))
            seen = window - _seconds(sum(g.end_ns - g.start_ns for g in mine))
            observed.append(VenueObserved(venue=venue, window_seconds=window, observed_seconds=round(seen, 3),
                                          observed_fraction=round(seen / window, 6), source="inferred",
                                          hole_seconds=rules[venue] // _NS, gaps=len(mine)))
        else:
            mine = []
            observed.append(VenueObserved(
                venue=venue, window_seconds=window, observed_seconds=None, observed_fraction=None, source=None,
                hole_seconds=None, gaps=0,
                note="no capture transcripts and no coverage.silence rule for this venue: its holes are not "
                     "known, so its observed share is not stated"))
        gaps += mine
    return Gaps(gaps=gaps, observed=observed, capture=capture)
