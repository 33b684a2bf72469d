"""The events behind any figure (one asset, one venue, one side, one time bucket), each with its raw ref.

``explain`` lists rows of the same counted relation the figure was summed from, under the same
methodology and fingerprint, so the listing's ``total_usd`` is the figure: ``report(c).asset(a).total_usd``,
``report(c).venue(v).total_usd`` or a ``timeline(c, bucket=w)`` bucket's ``total_usd``, exactly. Each row
shows ``usd`` (what the figure sums: the observed notional, plus its share of the estimate under
``throttle_adjusted``), ``usd_floor`` (observed) and ``n`` (0 for an account's repeat under ``account``
dedupe); every ``raw_ref`` opens with ``liqscope raw REF``.

``not_valued=True`` lists instead the liquidations in the same scope that no figure counts because their
notional leg has no price (``report``'s ``coverage.not_valued``): their ``usd`` is null and the total 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import ConfigError, UnknownName
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics._empty import Empty, why_empty
from liqscope.metrics.events import FILTER_SQL, EventFilter, SideFilter, filter_params
from liqscope.metrics.timeline import BUCKETS

__all__ = ["ExplainedEvent", "Explanation", "Figure", "explain"]

ExplainOrder = Literal["usd_desc", "time_asc"]
# Closed set: the order name picks one of these fragments, nothing else is spliced.
_ORDER = {"usd_desc": "usd DESC, ts_event, event_id", "time_asc": "ts_event, event_id"}
_COLUMNS = ("venue", "market", "base_asset", "liquidated_side", "account", "ts_event", "event_id", "raw_ref", "source",
            "usd", "usd_floor", "n")


class Figure(msgspec.Struct, kw_only=True, frozen=True):
    """Which figure is explained: the counted window narrowed to a venue, asset, side and/or one bucket
    (None: not narrowed on that dimension; nothing narrowed: the report's total)."""

    venue: str | None = None
    asset: str | None = None
    side: SideFilter | None = None
    bucket: str | None = None          # the bucket width, one of timeline.BUCKETS
    bucket_start: str | None = None    # [start, end) of the bucket, aligned to the epoch as the timeline's are
    bucket_end: str | None = None


class ExplainedEvent(msgspec.Struct, kw_only=True):
    """One counted row behind the figure."""

    ts: str
    ts_event: int
    venue: str
    market: str
    base_asset: str
    side: str | None
    usd: Decimal | None   # what the figure sums for this row (observed, plus its estimate share when estimating)
    usd_floor: Decimal | None  # observed notional under the valuation rule (None: not valued)
    n: int                # events this row counts (0: an account's repeat under account dedupe)
    account: str | None
    source: str
    event_id: str
    raw_ref: str


class Explanation(msgspec.Struct, kw_only=True):
    """The rows behind one figure, and the figure they sum to."""

    figure: Figure
    start: str
    end: str
    total_usd: Decimal     # the figure: the sum of ``usd`` over every matching row
    observed_usd: Decimal  # the sum of ``usd_floor``
    events: int            # the sum of ``n``
    rows: int              # matching rows, listed or not
    estimated: bool        # total_usd includes the throttle-adjusted estimate
    order: str
    limit: int | None
    offset: int
    listed: list[ExplainedEvent]
    methodology: dict[str, object]
    empty: Empty | None = None
    not_valued: bool = False  # the rows listed are the ones the valuation leaves out (no price)


def explain(c: Counted, *, venue: str | None = None, asset: str | None = None, side: SideFilter | None = None,
            bucket: str | None = None, at_ns: int | None = None, order: ExplainOrder = "usd_desc",
            limit: int | None = None, offset: int = 0, not_valued: bool = False) -> Explanation:
    """The counted rows behind one figure, with the figure they sum to.

    Args:
        c: The counted relation the figure comes from.
        venue: Only this venue (the report's ``by_venue`` row).
        asset: Only this base asset (the report's ``by_asset`` row), e.g. ``BTC``.
        side: Only liquidated LONG or SHORT positions, or UNKNOWN (side not published).
        bucket: With ``at_ns``: only the timeline bucket of this width (``1m`` … ``1d``) holding ``at_ns``.
        at_ns: A time inside the bucket, ns UTC.
        order: ``usd_desc`` (largest first) or ``time_asc``.
        limit: Rows listed (None: all). The totals always cover every matching row.
        offset: Rows skipped before listing.
        not_valued: List the liquidations in scope whose notional has no price (``Counted.not_valued``).

    Raises:
        UnknownName: ``bucket`` or ``order`` is not a valid value.
        ConfigError: ``bucket`` without ``at_ns`` or the reverse, or a negative limit or offset.
    """
    if order not in _ORDER:
        raise UnknownName("order", order, list(_ORDER))
    if (bucket is None) != (at_ns is None):
        raise ConfigError("a bucket is named by its width and a time inside it: give both, or neither")
    if (limit is not None and limit < 0) or offset < 0:
        raise ConfigError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
    lo, hi = -(2**63), 2**63 - 1
    figure = Figure(venue=venue, asset=asset.upper() if asset else None, side=side)
    if bucket is not None and at_ns is not None:
        if bucket not in BUCKETS:
            raise UnknownName("bucket", bucket, list(BUCKETS))
        lo = at_ns // BUCKETS[bucket] * BUCKETS[bucket]
        hi = lo + BUCKETS[bucket]
        figure = msgspec.structs.replace(figure, bucket=bucket, bucket_start=iso_ns(lo), bucket_end=iso_ns(hi))
    if not_valued:
        c = c.not_valued()
    where = EventFilter(venues=(venue,) if venue else (), assets=(figure.asset,) if figure.asset else (), side=side)
    params = {**filter_params(where), "b_lo": lo, "b_hi": hi}
    with c.connect(_COLUMNS) as con:
        # A not-valued row has no usd_floor to hold against the filter's minimum: it is every such row.
        where_sql = FILTER_SQL.replace("usd_floor >= $f_min", "(usd_floor IS NULL OR $f_min IS NULL)") if not_valued \
            else FILTER_SQL
        con.execute(f"CREATE TEMP TABLE matched AS SELECT * FROM counted {where_sql} "
                    "AND ts_event >= $b_lo AND ts_event < $b_hi", params)
        total, floor, events, rows = con.execute(
            "SELECT coalesce(sum(usd), 0), coalesce(sum(usd_floor), 0), coalesce(sum(n), 0), count(*) FROM matched"
        ).fetchone()
        listed = con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM matched ORDER BY {_ORDER[order]} LIMIT $limit OFFSET $offset",
            {"limit": rows if limit is None else limit, "offset": offset}).fetchall()
    total, floor = exact(total), exact(floor)
    return Explanation(
        figure=figure, start=iso_ns(c.start_ns), end=iso_ns(c.end_ns), total_usd=total, observed_usd=floor,
        events=int(events), rows=int(rows), estimated=total != floor, order=order, limit=limit, offset=offset,
        listed=[ExplainedEvent(ts=iso_ns(t), ts_event=t, venue=v, market=mk, base_asset=a, side=s,
                               usd=None if u is None else exact(u), usd_floor=None if uf is None else exact(uf),
                               n=n, account=acc, source=src, event_id=i, raw_ref=r)
                for v, mk, a, s, acc, t, i, r, src, u, uf, n in listed],
        methodology=c.meta(),
        empty=why_empty(c, venue=venue, asset=asset, within=(lo, hi) if bucket else None, filtered=side is not None)
        if not rows and not not_valued else None,
        not_valued=not_valued,
    )
