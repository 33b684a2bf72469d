"""Pure Binance USDⓈ-M market-data parsers: wire -> FundingRate / FundingSchedule / OpenInterest / Premium.

Intervals: Binance states a symbol's funding interval only in ``fundingInfo`` (adjusted symbols); the
history's interval is inferred from its settlement times; otherwise the 8 h default applies, labelled.
Open interest is single-sided as Binance reports it; ``1000PEPEUSDT``-style symbols count lots of 1000.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from liqscope.errors import NotALiquidation
from liqscope.events import Received, Source, mul
from liqscope.market import (
    FileContext,
    FundingRate,
    FundingSchedule,
    MarketFormat,
    ObservationFields,
    OpenInterest,
    Parsed,
    Premium,
    dec_or_none,
    json_document,
    json_lines,
    ms_ns,
    premium_of,
)
from liqscope.venues._symbols import split_concatenated, split_multiplier
from liqscope.venues.binance_usdm import market_wire as w

VENUE = "binance_usdm"


def _asset(symbol: str, field: str) -> tuple[str, Decimal | None]:
    base, _quote, _dated = split_concatenated(symbol, field=field)
    return split_multiplier(base)


def _common(symbol: str, ts_ms: int, rx: Received, field: str) -> ObservationFields:
    asset, _ = _asset(symbol, field)
    return {"venue": VENUE, "market": symbol, "base_asset": asset, "ts_event": ms_ns(ts_ms), "ts_recv": rx.ts_ns,
            "source": rx.source.value, "raw_ref": rx.ref}


def _mark_and_funding(symbol: str, ts_ms: int, mark: str, index: str, rate: str, next_ms: int, rx: Received,
                      field: str) -> list[FundingRate | Premium]:
    c = _common(symbol, ts_ms, rx, field)
    m, i = dec_or_none(mark), dec_or_none(index)
    out: list[FundingRate | Premium] = [Premium(**c, mark_price=m, index_price=i, premium=premium_of(m, i))]
    r = dec_or_none(rate)
    if r is not None:  # "" on delivery contracts: no funding
        out.append(FundingRate(**c, kind="predicted", rate=r, next_funding_ns=ms_ns(next_ms) if next_ms else None))
    return out


def parse_premium_index(doc: w.PremiumIndex | list[w.PremiumIndex], rx: Received) -> list[FundingRate | Premium]:
    """``GET /fapi/v1/premiumIndex`` (one symbol or all)."""
    items = doc if isinstance(doc, list) else [doc]
    return [o for x in items for o in _mark_and_funding(x.symbol, x.time, x.markPrice, x.indexPrice,
                                                          x.lastFundingRate, x.nextFundingTime, rx, "symbol")]


def parse_mark_price(updates: list[w.MarkPriceUpdate], rx: Received) -> list[FundingRate | Premium]:
    """``<symbol>@markPrice`` / ``!markPrice@arr`` stream messages."""
    if not updates:
        raise NotALiquidation("not a markPriceUpdate (subscription ack or other event)")
    return [o for u in updates for o in _mark_and_funding(u.s, u.E, u.p, u.i, u.r, u.T, rx, "s")]


def parse_funding_rates(doc: list[w.FundingRateRecord], rx: Received) -> list[FundingRate]:
    """``GET /fapi/v1/fundingRate``: settled rates; the interval is inferred from the settlement times."""
    return [FundingRate(**_common(x.symbol, x.fundingTime, rx, "symbol"), kind="realized", rate=Decimal(x.fundingRate))
            for x in doc]


def parse_funding_info(doc: list[w.FundingInfo], rx: Received) -> list[FundingSchedule]:
    """``GET /fapi/v1/fundingInfo``: stated intervals of adjusted symbols (as of the time it was read)."""
    return [FundingSchedule(venue=VENUE, market=x.symbol, base_asset=_asset(x.symbol, "symbol")[0],
                            ts_event=rx.ts_ns, ts_recv=rx.ts_ns, source=rx.source.value, raw_ref=rx.ref,
                            interval_hours=x.fundingIntervalHours) for x in doc]


def _oi(symbol: str, ts_ms: int, amount: Decimal, usd: Decimal | None, rx: Received) -> OpenInterest:
    _, lot = _asset(symbol, "symbol")
    return OpenInterest(**_common(symbol, ts_ms, rx, "symbol"), oi_base=mul(amount, lot) if lot else amount,
                        oi_contracts=amount if lot else None, oi_usd=usd,
                        method="single-sided as Binance reports it")


def parse_open_interest(doc: w.OpenInterest, rx: Received) -> list[OpenInterest]:
    """``GET /fapi/v1/openInterest``: base units only; USD comes from a mark price when queried."""
    return [_oi(doc.symbol, doc.time, Decimal(doc.openInterest), None, rx)]


def parse_open_interest_hist(doc: list[w.OpenInterestHist], rx: Received) -> list[OpenInterest]:
    """``GET /futures/data/openInterestHist``: base units and USD value per period."""
    return [_oi(x.symbol, int(x.timestamp), Decimal(x.sumOpenInterest), Decimal(x.sumOpenInterestValue), rx)
            for x in doc]


def _f(name: str, read: Callable[[bytes, FileContext], Parsed], description: str) -> MarketFormat:
    return MarketFormat(name=name, venue=VENUE, read=read, description=description)


FORMATS = {
    "binance-premium-index": _f("binance-premium-index", json_document(w.decode_premium_index, parse_premium_index),
                                "GET /fapi/v1/premiumIndex response: mark, index, current funding estimate"),
    "binance-mark-price-ws": _f("binance-mark-price-ws",
                                json_lines(w.decode_mark_price, lambda: parse_mark_price, Source.WS),
                                "markPriceUpdate stream messages, one per line (@markPrice, !markPrice@arr)"),
    "binance-funding-rate": _f("binance-funding-rate", json_document(w.decode_funding_rates, parse_funding_rates),
                               "GET /fapi/v1/fundingRate response: settled funding history"),
    "binance-funding-info": _f("binance-funding-info", json_document(w.decode_funding_info, parse_funding_info),
                               "GET /fapi/v1/fundingInfo response: stated funding intervals"),
    "binance-open-interest": _f("binance-open-interest", json_document(w.decode_open_interest, parse_open_interest),
                                "GET /fapi/v1/openInterest response"),
    "binance-open-interest-hist": _f("binance-open-interest-hist",
                                     json_document(w.decode_open_interest_hist, parse_open_interest_hist),
                                     "GET /futures/data/openInterestHist response"),
}
