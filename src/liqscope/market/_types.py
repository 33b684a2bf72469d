"""Market observations: funding, open interest, mark/index premium, prices, external reference buckets.

Glossary (full words; venue spellings stay in each venue's ``market_wire.py``):

- **rate**: the funding rate for one funding interval, as a fraction (0.0001 = 0.01 %), positive when
  longs pay shorts. **interval_hours**: the length of that interval. **rate_8h** = rate × 8 /
  interval_hours; **annualized** = rate × 8760 / interval_hours (simple, not compounded).
- **interval_source**: ``stated`` (the payload says), ``inferred`` (from the spacing of a venue's own
  funding timestamps), ``venue_default`` (the venue's documented schedule for that time) or
  ``unknown`` (no per-8h or annualized figure is given, never a guess).
- **kind** (funding): ``realized`` (a settled rate, ``ts_event`` = funding time) or ``predicted``
  (the live estimate for the coming settlement, ``ts_event`` = observation time).
- **oi_base** / **oi_usd**: open interest counted ONE side only (a 1-BTC long against a 1-BTC short is
  1 BTC), in the base asset and in USD. ``method`` says how the venue's figure was made single-sided.
- **premium**: (mark − index) / index, computed by us; **premium_index**: the venue's own published
  premium index (impact-price based, Binance/Hyperliquid/OKX style), kept separately.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, NotRequired, TypedDict

import msgspec

__all__ = [
    "FundingKind",
    "FundingRate",
    "FundingSchedule",
    "IntervalSource",
    "MarketObservation",
    "ObservationFields",
    "OpenInterest",
    "Premium",
    "Price",
    "ReferenceBucket",
]

FundingKind = Literal["realized", "predicted"]
IntervalSource = Literal["stated", "inferred", "venue_default", "unknown"]


class _Observation(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    market: str
    base_asset: str
    ts_event: int                 # venue time, ns UTC
    ts_recv: int                  # when we received / read the record, ns UTC
    source: str                   # ws | rest | file
    provider: str = "venue"       # who published the number: the venue itself, or an aggregator
    raw_ref: str                  # <raw blob sha256>:<line>


class ObservationFields(TypedDict):
    """The fields every observation shares, built once per record and spread into each: ``Premium(**c, ...)``."""

    venue: str
    market: str
    base_asset: str
    ts_event: int
    ts_recv: int
    source: str
    raw_ref: str
    provider: NotRequired[str]


class FundingRate(_Observation, frozen=True, kw_only=True):
    """One funding rate, normalized to per-8h and annualized where its interval is known."""

    kind: FundingKind
    rate: Decimal
    interval_hours: int | None = None
    interval_source: IntervalSource = "unknown"
    rate_8h: Decimal | None = None
    annualized: Decimal | None = None
    next_funding_ns: int | None = None


class FundingSchedule(_Observation, frozen=True, kw_only=True):
    """A venue's statement of a market's funding interval (Binance ``fundingInfo``)."""

    interval_hours: int


class OpenInterest(_Observation, frozen=True, kw_only=True):
    """Open interest, single-sided, in base units and/or USD (``None`` where not derivable)."""

    oi_base: Decimal | None = None
    oi_usd: Decimal | None = None
    oi_contracts: Decimal | None = None
    method: str = "single-sided as published"


class Premium(_Observation, frozen=True, kw_only=True):
    """Mark and index price, their premium, and the venue's own premium index when it publishes one."""

    mark_price: Decimal | None = None
    index_price: Decimal | None = None
    premium: Decimal | None = None
    premium_index: Decimal | None = None


class Price(_Observation, frozen=True, kw_only=True):
    """A reference price (e.g. a spot close) used to value quantities; ``price_type`` says which."""

    price: Decimal
    price_type: str = "spot_close"


class ReferenceBucket(msgspec.Struct, frozen=True, kw_only=True):
    """One bucket of an external platform's published liquidation aggregate (e.g. CoinGlass hourly).

    ``covers`` names the venues the platform says the figure sums over; ``asset`` the asset.
    """

    provider: str
    series: str
    asset: str
    covers: str
    ts_start: int
    ts_end: int
    long_usd: Decimal
    short_usd: Decimal
    total_usd: Decimal
    raw_ref: str
    ts_recv: int = 0


MarketObservation = FundingRate | FundingSchedule | OpenInterest | Premium | Price | ReferenceBucket
