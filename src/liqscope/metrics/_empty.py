"""Why an answer counts nothing. An empty figure explains itself: it is never a quiet zero.

``why_empty(c, ...)`` is asked only once an answer came out empty, so its queries (the lake's extent,
the names it holds) cost nothing on the common path. ``synthetic_excluded(c)`` counts the simulated rows a
methodology leaves out of the window, so that a report can say so even when real rows count beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.metrics._counted import NOT_COVERED, Counted

__all__ = ["EMPTY_CODES", "Empty", "EmptyCode", "synthetic_excluded", "why_empty"]

EmptyCode = Literal["not_covered", "lake_empty", "venue_not_in_lake", "asset_not_in_lake", "synthetic_excluded",
                    "window_outside_lake", "no_events_in_window", "nothing_matched", "unknown_provider",
                    "reference_not_in_window"]
EMPTY_CODES: tuple[str, ...] = EmptyCode.__args__  # type: ignore[attr-defined]  # Literal keeps its values here


class Empty(msgspec.Struct, kw_only=True, frozen=True):
    """Why an answer is empty: a reason code (one of ``EMPTY_CODES``), what it means, and its facts.

    Attributes:
        code: ``not_covered`` (the request's venues are outside the methodology), ``lake_empty``,
            ``venue_not_in_lake`` / ``asset_not_in_lake`` (a name the lake never saw, at any time),
            ``synthetic_excluded`` (only simulated rows in the window, and the methodology leaves them out),
            ``window_outside_lake`` (the window misses the lake's span), ``no_events_in_window`` (inside the
            span, no stored row in the window: a hole or a quiet spell), ``nothing_matched`` (rows in the
            window, none counted under the rules or the filter), ``unknown_provider`` /
            ``reference_not_in_window`` (``compare``: the reference series is not there).
        reason: One sentence for people.
        lake_first_event: Where the lake's events (of the venues in scope) start, venue time, UTC.
        lake_last_event: Where they end.
        synthetic_rows: Simulated rows in the window that the methodology left out.
        stored_rows: Real stored rows (every copy) in the window, before the methodology's rules.
        known: The names the lake does hold, when a name matched none (venues, assets, providers).
    """

    code: EmptyCode
    reason: str
    lake_first_event: str | None = None
    lake_last_event: str | None = None
    synthetic_rows: int = 0
    stored_rows: int = 0
    known: list[str] = []


def synthetic_excluded(c: Counted, *, venues: Sequence[str] | None = None, asset: str | None = None) -> int:
    """Stored simulated rows in ``c``'s window that its methodology leaves out (0 when it counts them)."""
    if c.coverage.include_synthetic or not c.coverage.covered or not c.files:
        return 0
    synthetic, _ = _in_window(c, venues, asset, c.start_ns, c.end_ns)
    return synthetic


def _in_window(c: Counted, venues: Sequence[str] | None, asset: str | None, lo: int, hi: int) -> tuple[int, int]:
    cat = c.catalog
    con = cat.connect()
    try:
        row = con.execute(
            "SELECT count(*) FILTER (synthetic), count(*) FILTER (NOT synthetic) "
            f"FROM {cat.relation_sql(list(c.files))} "
            "WHERE ts_event >= $lo AND ts_event < $hi AND (len($venues) = 0 OR list_contains($venues, venue)) "
            "AND (CAST($asset AS VARCHAR) IS NULL OR base_asset = $asset)",
            {"lo": lo, "hi": hi, "venues": list(venues or []), "asset": asset}).fetchone()
    finally:
        con.close()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def why_empty(c: Counted, *, venue: str | None = None, asset: str | None = None,
              within: tuple[int, int] | None = None, filtered: bool = False) -> Empty:
    """The reason an answer over ``c`` (optionally narrowed to one venue / asset) counted nothing.

    Args:
        c: The counted relation whose answer was empty.
        venue: The venue the answer was narrowed to, if any.
        asset: The base asset the answer was narrowed to, if any (upper-cased as the lake stores it).
        within: The part [start, end) of ``c``'s window the answer was narrowed to (one timeline bucket).
        filtered: The answer applied a further filter (side, market, minimum notional).
    """
    m = c.name
    if not c.coverage.covered:
        return Empty(code="not_covered", reason=f"{', '.join(c.coverage.requested_venues)}: {NOT_COVERED} ({m})")
    if venue and c.coverage.venues and venue not in c.coverage.venues:
        return Empty(code="not_covered", reason=f"{venue}: {NOT_COVERED} ({m} counts {', '.join(c.coverage.venues)})")
    cat = c.catalog
    asset = asset.upper() if asset else None
    con = cat.connect()
    try:
        rel = cat.relation_sql(cat.event_files())
        lake_venues = [r[0] for r in con.execute(f"SELECT DISTINCT venue FROM {rel} ORDER BY 1").fetchall()]
        if not lake_venues:
            return Empty(code="lake_empty", reason=f"the lake at {cat.root} holds no liquidation events yet")
        asked = [venue] if venue else list(c.coverage.requested_venues)
        if asked and not set(asked) & set(lake_venues):
            return Empty(code="venue_not_in_lake", known=lake_venues,
                         reason=f"the lake holds no event of {', '.join(asked)} at any time; it holds "
                                f"{', '.join(lake_venues)}")
        scope = [v for v in (asked or c.coverage.venues or lake_venues) if v in lake_venues]
        lo, hi = con.execute(f"SELECT min(ts_event), max(ts_event) FROM {rel} WHERE list_contains($s, venue)",
                             {"s": scope}).fetchone() or (None, None)
        first, last = (iso_ns(lo) if lo is not None else None), (iso_ns(hi) if hi is not None else None)
        if asset:
            assets = [r[0] for r in con.execute(
                f"SELECT DISTINCT base_asset FROM {rel} WHERE list_contains($s, venue) ORDER BY 1", {"s": scope}
            ).fetchall()]
            if asset not in assets:
                return Empty(code="asset_not_in_lake", known=assets, lake_first_event=first, lake_last_event=last,
                             reason=f"the lake holds no {asset} event on {', '.join(scope)} at any time "
                                    f"({len(assets):,} other assets)")
    finally:
        con.close()
    start, end = max(c.start_ns, within[0]) if within else c.start_ns, min(c.end_ns, within[1]) if within else c.end_ns
    synthetic, real = _in_window(c, scope, asset, start, end)
    what = f"{asset + ' ' if asset else ''}events of {', '.join(scope)}"
    if synthetic and not real and not c.coverage.include_synthetic:
        return Empty(code="synthetic_excluded", synthetic_rows=synthetic, lake_first_event=first, lake_last_event=last,
                     reason=f"the window holds only SYNTHETIC rows ({synthetic:,}, from `liqscope simulate`), and "
                            f"{m} leaves them out (coverage.include_synthetic = false)")
    if not synthetic and not real:
        if lo is not None and hi is not None and (hi < start or lo >= end):
            return Empty(code="window_outside_lake", lake_first_event=first, lake_last_event=last,
                         reason=f"the window {iso_ns(start)} → {iso_ns(end)} lies outside the lake: its "
                                f"{what} run from {first} to {last}")
        return Empty(code="no_events_in_window", lake_first_event=first, lake_last_event=last,
                     reason=f"no {what} stored in the window, although the lake spans {first} "
                            f"to {last}: a hole in the recording, or a quiet spell")
    return Empty(code="nothing_matched", stored_rows=real, synthetic_rows=synthetic, lake_first_event=first,
                 lake_last_event=last,
                 reason=f"{real:,} stored rows in the window; none counts under {m}'s rules"
                        + (" and the filter" if filtered else ""))
