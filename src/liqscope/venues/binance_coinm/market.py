"""Binance COIN-M market data: no parsers yet, only the documented default funding schedule."""

from liqscope._market_types import MarketFormat

FORMATS: dict[str, MarketFormat] = {}

# The documented default funding schedule, (from ns, hours) latest first: 8 h, as USD-M.
FUNDING_SCHEDULE = ((0, 8),)
