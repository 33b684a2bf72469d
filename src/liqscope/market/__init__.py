"""Market structure data: funding, open interest, mark/index premium, prices and external reference
series, parsed from each venue's payloads, normalized, and kept in the lake beside the events.

The observation types and the readers a venue's ``market.py`` builds on live in ``liqscope._market_types``
(venues never import this package); they are re-exported here."""

from liqscope._market_types import (
    AccountPosition,
    FileContext,
    FundingRate,
    FundingSchedule,
    MarketFormat,
    MarketObservation,
    ObservationFields,
    OpenInterest,
    Parsed,
    PositionSnapshot,
    Premium,
    Price,
    ReferenceBucket,
    dec_or_none,
    json_document,
    json_lines,
    ms_ns,
    premium_of,
)
from liqscope.market._formats import get_format, market_formats
from liqscope.market._funding import infer_intervals, normalize, resolve_intervals, venue_default_hours
from liqscope.market._ingest import MarketIngestResult, ingest_market
from liqscope.market._query import (
    OIWeightedFunding,
    funding_rates,
    latest_funding,
    latest_open_interest,
    latest_premium,
    oi_weighted_funding,
    open_interest,
    premiums,
    prices,
    reference_buckets,
    reference_extents,
)

__all__ = [
    "AccountPosition",
    "FileContext",
    "FundingRate",
    "FundingSchedule",
    "MarketFormat",
    "MarketIngestResult",
    "MarketObservation",
    "OIWeightedFunding",
    "ObservationFields",
    "OpenInterest",
    "Parsed",
    "PositionSnapshot",
    "Premium",
    "Price",
    "ReferenceBucket",
    "dec_or_none",
    "funding_rates",
    "get_format",
    "infer_intervals",
    "ingest_market",
    "json_document",
    "json_lines",
    "latest_funding",
    "latest_open_interest",
    "latest_premium",
    "market_formats",
    "ms_ns",
    "normalize",
    "oi_weighted_funding",
    "open_interest",
    "premium_of",
    "premiums",
    "prices",
    "reference_buckets",
    "reference_extents",
    "resolve_intervals",
    "venue_default_hours",
]
