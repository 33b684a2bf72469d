"""Pure Bybit linear market-data parsers, with the ticker stream's snapshot + delta state.

- Open interest is made single-sided: ``singleOpenInterest(Value)`` when Bybit sends it, else half of
  ``openInterest(Value)``, which Bybit documents as the sum of both sides.
- The ticker stream sends a snapshot, then deltas with only the changed fields: ``TickerBook`` keeps
  the merged state per symbol and emits an observation for each kind of field a message changed. A
  delta for a symbol with no snapshot yet is an error (the state would be a guess).
- Inverse contracts (``BTCUSD``) belong to a bybit_inverse venue and are rejected here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec

from liqscope._market_types import (
    FundingRate,
    MarketFormat,
    OpenInterest,
    Premium,
    dec_or_none,
    json_document,
    json_lines,
    ms_ns,
    premium_of,
)
from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import Received, Source
from liqscope.venues._symbols import split_concatenated, split_multiplier
from liqscope.venues.bybit_linear import market_wire as w

VENUE = "bybit_linear"
# The documented default funding schedule, (from ns, hours) latest first: 8 h. Symbols on another interval
# say so in ``fundingIntervalHour``, which takes precedence (liqscope.market._funding.resolve_intervals).
FUNDING_SCHEDULE = ((0, 8),)
_INVERSE = re.compile(r"^[A-Z0-9]+USD(?:[FGHJKMNQUVXZ]\d{2})?$")
_TWO = Decimal(2)
_PRICE = ("markPrice", "indexPrice")
_FUNDING = ("fundingRate", "nextFundingTime", "fundingIntervalHour")
_OI = ("openInterest", "openInterestValue", "singleOpenInterest", "singleOpenInterestValue")


def _asset(symbol: str, field: str) -> str:
    if _INVERSE.match(symbol):
        raise UnexpectedPayload(f"{symbol!r} is an inverse contract: it belongs to a bybit_inverse venue, "
                                "not bybit_linear", field=field)
    base, _quote, _dated = split_concatenated(symbol, field=field)
    return split_multiplier(base)[0]


def _check_category(category: str) -> None:
    if category != "linear":
        raise UnexpectedPayload(f"category {category!r}: bybit_linear parses category linear only",
                                field="result.category")


def single_sided(both: Decimal | None, single: Decimal | None) -> tuple[Decimal | None, str]:
    """One side of Bybit open interest: the venue's single-side figure, else half the both-sides sum."""
    if single is not None:
        return single, "bybit singleOpenInterest (one side, as published)"
    if both is not None:
        return both / _TWO, "bybit openInterest halved (Bybit sums both sides)"
    return None, "missing"


def _observations(state: dict[str, Any], changed: set[str], ts_ms: int, rx: Received) -> list[Any]:
    symbol = state["symbol"]
    common = {"venue": VENUE, "market": symbol, "base_asset": _asset(symbol, "data.symbol"), "ts_event": ms_ns(ts_ms),
              "ts_recv": rx.ts_ns, "source": rx.source.value, "raw_ref": rx.ref}
    out: list[Any] = []
    if changed & set(_PRICE):
        mark, index = dec_or_none(state.get("markPrice")), dec_or_none(state.get("indexPrice"))
        out.append(Premium(**common, mark_price=mark, index_price=index, premium=premium_of(mark, index)))
    rate = dec_or_none(state.get("fundingRate"))
    if changed & set(_FUNDING) and rate is not None:
        hours = state.get("fundingIntervalHour")
        nxt = state.get("nextFundingTime")
        out.append(FundingRate(**common, kind="predicted", rate=rate,
                               interval_hours=int(hours) if hours else None,
                               interval_source="stated" if hours else "unknown",
                               next_funding_ns=ms_ns(nxt) if nxt else None))
    if changed & set(_OI):
        base, method = single_sided(dec_or_none(state.get("openInterest")),
                                    dec_or_none(state.get("singleOpenInterest")))
        usd, _ = single_sided(dec_or_none(state.get("openInterestValue")),
                              dec_or_none(state.get("singleOpenInterestValue")))
        out.append(OpenInterest(**common, oi_base=base, oi_usd=usd, method=method))
    return out


def _fields(data: w.TickerData) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}


class TickerBook:
    """The merged ticker state of one stream (one file): snapshot, then deltas applied in order."""

    def __init__(self) -> None:
        self._state: dict[str, dict[str, Any]] = {}

    def __call__(self, msg: w.TickerMessage, rx: Received) -> list[Any]:
        """Apply one ``tickers.{symbol}`` message and return the observations it produced."""
        if msg.data is None or msg.topic is None:
            raise NotALiquidation("control message (subscription response, pong)")
        if msg.ts is None:
            raise UnexpectedPayload("ticker message without ts", field="ts")
        fields = _fields(msg.data)
        symbol = msg.data.symbol
        _asset(symbol, "data.symbol")
        if msg.type == "snapshot":
            self._state[symbol] = fields
        elif msg.type == "delta":
            if symbol not in self._state:
                raise UnexpectedPayload(f"delta for {symbol} before any snapshot: its state is unknown", field="type")
            self._state[symbol].update(fields)
        else:
            raise UnexpectedPayload(f"ticker type {msg.type!r}, expected snapshot or delta", field="type")
        return _observations(self._state[symbol], set(fields) - {"symbol"}, msg.ts, rx)


def parse_tickers(doc: w.TickersResponse, rx: Received) -> list[Any]:
    """``GET /v5/market/tickers?category=linear``: every item is a full snapshot at ``time``."""
    _check_category(doc.result.category)
    out = []
    for item in doc.result.list:
        fields = _fields(item)
        out.extend(_observations(fields, set(fields), doc.time, rx))
    return out


def parse_funding_history(doc: w.FundingResponse, rx: Received) -> list[FundingRate]:
    """``GET /v5/market/funding/history``: settled rates (interval inferred from their times)."""
    _check_category(doc.result.category)
    return [FundingRate(venue=VENUE, market=x.symbol, base_asset=_asset(x.symbol, "result.list.symbol"),
                        ts_event=ms_ns(x.fundingRateTimestamp), ts_recv=rx.ts_ns, source=rx.source.value,
                        raw_ref=rx.ref, kind="realized", rate=Decimal(x.fundingRate)) for x in doc.result.list]


def parse_open_interest(doc: w.OpenInterestResponse, rx: Received) -> list[OpenInterest]:
    """``GET /v5/market/open-interest``: made single-sided; linear amounts are base coin."""
    _check_category(doc.result.category)
    symbol = doc.result.symbol
    asset = _asset(symbol, "result.symbol")
    out = []
    for x in doc.result.list:
        base, method = single_sided(Decimal(x.openInterest), dec_or_none(x.singleOpenInterest))
        out.append(OpenInterest(venue=VENUE, market=symbol, base_asset=asset, ts_event=ms_ns(x.timestamp),
                                ts_recv=rx.ts_ns, source=rx.source.value, raw_ref=rx.ref, oi_base=base, method=method))
    return out


FORMATS = {
    "bybit-tickers-ws": MarketFormat(
        name="bybit-tickers-ws", venue=VENUE, read=json_lines(w.decode_ticker_message, TickerBook, Source.WS),
        description="tickers.{symbol} stream messages, one per line (snapshot then deltas; state kept)"),
    "bybit-tickers": MarketFormat(
        name="bybit-tickers", venue=VENUE, read=json_document(w.decode_tickers, parse_tickers),
        description="GET /v5/market/tickers?category=linear response"),
    "bybit-funding-history": MarketFormat(
        name="bybit-funding-history", venue=VENUE, read=json_document(w.decode_funding_history, parse_funding_history),
        description="GET /v5/market/funding/history response"),
    "bybit-open-interest": MarketFormat(
        name="bybit-open-interest", venue=VENUE, read=json_document(w.decode_open_interest, parse_open_interest),
        description="GET /v5/market/open-interest response (made single-sided)"),
}
