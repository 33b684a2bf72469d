"""The counted events themselves, a page at a time, and what the lake holds overall."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import ConfigError
from liqscope.metrics._counted import Counted, exact
from liqscope.store import Catalog

__all__ = ["EventFilter", "EventRow", "EventsPage", "LakeSummary", "VenueExtent", "events", "lake_summary"]

SideFilter = Literal["LONG", "SHORT", "UNKNOWN"]
EventOrder = Literal["time_desc", "time_asc", "usd_desc"]

# Closed set: the order name picks one of these fragments, nothing else is spliced.
_ORDER = {
    "time_desc": "ts_event DESC, event_id",
    "time_asc": "ts_event ASC, event_id",
    "usd_desc": "usd_floor DESC, ts_event, event_id",
}
# Each row at its observed notional (``usd_floor``): an estimate applies to aggregates, never to one event.
_COLUMNS = ("venue, market, base_asset, liquidated_side, usd_floor, price, quantity, quantity_unit, ts_event, ts_recv, "
            "liquidation_kind, account, source, event_id, raw_ref")
FILTER_SQL = """
WHERE (array_length($f_venues) = 0 OR list_contains($f_venues, venue))
  AND (CAST($f_side AS VARCHAR) IS NULL OR coalesce(liquidated_side, 'UNKNOWN') = $f_side)
  AND (array_length($f_assets) = 0 OR list_contains($f_assets, base_asset))
  AND (array_length($f_markets) = 0 OR list_contains($f_markets, market))
  AND usd_floor >= $f_min
""".strip()


class EventFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Narrows the counted events; empty tuples mean "all".

    ``side`` is the liquidated position; ``UNKNOWN`` selects records whose venue names no side.
    """

    venues: tuple[str, ...] = ()
    side: SideFilter | None = None
    assets: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    min_notional_usd: Decimal = Decimal(0)


class EventRow(msgspec.Struct, kw_only=True):
    """One counted liquidation at its observed notional under the methodology's valuation (never an
    estimate); ``raw_ref`` leads back to the raw record."""

    venue: str
    market: str
    base_asset: str
    side: str | None
    notional_usd: Decimal
    price: Decimal
    quantity: Decimal
    quantity_unit: str
    ts: str
    ts_event: int
    ts_recv: int
    liquidation_kind: str
    account: str | None
    source: str
    event_id: str
    raw_ref: str


class EventsPage(msgspec.Struct, kw_only=True):
    """One page of counted events, with the count and observed notional of every event the filter
    matches (under a ``floor`` methodology and no filter, ``matched_usd`` is the report's total)."""

    start: str
    end: str
    matched: int
    matched_usd: Decimal
    limit: int
    offset: int
    order: str
    events: list[EventRow]
    methodology: dict[str, object]


class VenueExtent(msgspec.Struct, kw_only=True):
    """Stored rows of one venue (every copy), and the venue-time span they cover."""

    venue: str
    rows: int
    first_event: str
    last_event: str
    first_event_ns: int
    last_event_ns: int


class LakeSummary(msgspec.Struct, kw_only=True):
    """What the lake holds, before any methodology: batches committed and stored event rows."""

    batches: int
    last_commit: str | None
    last_commit_ns: int | None
    rows: int
    first_event: str | None
    last_event: str | None
    first_event_ns: int | None
    last_event_ns: int | None
    venues: list[VenueExtent]


def events(c: Counted, *, where: EventFilter | None = None, limit: int = 100, offset: int = 0,
           order: EventOrder = "time_desc") -> EventsPage:
    """The counted events that match ``where``, one page.

    Args:
        c: The counted relation.
        where: Optional narrowing (venue, side, asset, market, minimum observed notional).
        limit: Page size (>= 1).
        offset: Rows to skip (>= 0).
        order: ``time_desc`` (newest first), ``time_asc`` or ``usd_desc`` (largest first).
    """
    if limit < 1 or offset < 0:
        raise ConfigError(f"limit must be >= 1 and offset >= 0, got limit={limit} offset={offset}")
    with c.connect() as con:
        con.execute(f"CREATE TEMP TABLE matched AS SELECT * FROM counted {FILTER_SQL}", filter_params(where))
        n, usd = con.execute("SELECT count(*), coalesce(sum(usd_floor), 0) FROM matched").fetchone()
        rows = con.execute(f"SELECT {_COLUMNS} FROM matched ORDER BY {_ORDER[order]} LIMIT $limit OFFSET $offset",
                           {"limit": limit, "offset": offset}).fetchall()
    return EventsPage(
        start=iso_ns(c.start_ns), end=iso_ns(c.end_ns), matched=n, matched_usd=exact(usd), limit=limit,
        offset=offset, order=order, methodology=c.meta(),
        events=[EventRow(venue=v, market=mk, base_asset=a, side=s, notional_usd=exact(u), price=exact(p),
                         quantity=exact(qty), quantity_unit=qu, ts=iso_ns(t), ts_event=t, ts_recv=tr,
                         liquidation_kind=k, account=acc, source=src, event_id=i, raw_ref=r)
                for v, mk, a, s, u, p, qty, qu, t, tr, k, acc, src, i, r in rows],
    )


def filter_params(where: EventFilter | None) -> dict[str, object]:
    """The bound parameters of ``FILTER_SQL`` (the ``WHERE`` clause over ``counted`` that ``where`` selects)."""
    f = where or EventFilter()
    return {"f_venues": list(f.venues), "f_side": f.side, "f_assets": list(f.assets), "f_markets": list(f.markets),
            "f_min": f.min_notional_usd}


def lake_summary(catalog: Catalog) -> LakeSummary:
    """Batches committed and stored event rows (every copy) per venue, with the venue-time extent."""
    manifests = catalog.manifests()
    con = catalog.connect()
    try:
        rows = con.execute(
            f"SELECT venue, count(*), min(ts_event), max(ts_event) FROM {catalog.relation_sql(catalog.event_files())} "
            "GROUP BY venue ORDER BY venue").fetchall()
    finally:
        con.close()
    per = [VenueExtent(venue=v, rows=n, first_event=iso_ns(lo), last_event=iso_ns(hi), first_event_ns=lo,
                       last_event_ns=hi) for v, n, lo, hi in rows]
    last_commit = max((m.created_ns for m in manifests), default=None)
    lo = min((p.first_event_ns for p in per), default=None)
    hi = max((p.last_event_ns for p in per), default=None)
    return LakeSummary(
        batches=len(manifests), last_commit=iso_ns(last_commit) if last_commit else None,
        last_commit_ns=last_commit, rows=sum(p.rows for p in per),
        first_event=iso_ns(lo) if lo is not None else None, last_event=iso_ns(hi) if hi is not None else None,
        first_event_ns=lo, last_event_ns=hi, venues=per,
    )
