"""Bybit v5 linear market-data payloads (tickers, funding history, open interest). Field names are Bybit's.

Docs (bybit-exchange.github.io/docs/v5/): websocket/public/ticker (``tickers.{symbol}``: a snapshot,
then DELTAS that carry only the fields that changed), market/tickers, market/history-fund-rate,
market/open-interest. ``openInterest`` is "the sum of both sides"; ``singleOpenInterest`` (newer
payloads) is one side. Every number is a decimal string.
"""

from __future__ import annotations

import builtins

import msgspec


class TickerData(msgspec.Struct, frozen=True):
    symbol: str
    markPrice: str | None = None
    indexPrice: str | None = None
    fundingRate: str | None = None            # estimate for the coming settlement
    nextFundingTime: str | None = None        # ms, as a string
    fundingIntervalHour: str | None = None    # stated interval (newer payloads)
    openInterest: str | None = None           # BOTH sides summed (linear: base coin)
    openInterestValue: str | None = None      # both sides, USD(T)
    singleOpenInterest: str | None = None     # one side (newer payloads)
    singleOpenInterestValue: str | None = None


class TickerMessage(msgspec.Struct, frozen=True):
    topic: str | None = None                  # "tickers.BTCUSDT"; absent on control messages
    type: str | None = None                   # "snapshot" | "delta"
    ts: int | None = None                     # ms, when Bybit generated the data
    data: TickerData | None = None
    cs: int | None = None                     # cross sequence
    op: str | None = None                     # control messages: "subscribe", "pong", ...


class TickerList(msgspec.Struct, frozen=True):
    category: str                             # "linear" | "inverse" | ...
    list: builtins.list[TickerData]  # Bybit's field name shadows the builtin


class TickersResponse(msgspec.Struct, frozen=True):
    retCode: int
    result: TickerList
    time: int                                 # ms


class FundingRecord(msgspec.Struct, frozen=True):
    symbol: str
    fundingRate: str                          # settled rate
    fundingRateTimestamp: str                 # ms, as a string


class FundingList(msgspec.Struct, frozen=True):
    category: str
    list: builtins.list[FundingRecord]  # Bybit's field name shadows the builtin


class FundingResponse(msgspec.Struct, frozen=True):
    retCode: int
    result: FundingList
    time: int


class OpenInterestRecord(msgspec.Struct, frozen=True):
    openInterest: str                         # BOTH sides; linear: base coin, inverse: USD
    timestamp: str                            # ms, as a string
    singleOpenInterest: str | None = None     # one side, same unit


class OpenInterestList(msgspec.Struct, frozen=True):
    category: str
    symbol: str
    list: builtins.list[OpenInterestRecord]  # Bybit's field name shadows the builtin
    nextPageCursor: str = ""


class OpenInterestResponse(msgspec.Struct, frozen=True):
    retCode: int
    result: OpenInterestList
    time: int


decode_ticker_message = msgspec.json.Decoder(TickerMessage).decode
decode_tickers = msgspec.json.Decoder(TickersResponse).decode
decode_funding_history = msgspec.json.Decoder(FundingResponse).decode
decode_open_interest = msgspec.json.Decoder(OpenInterestResponse).decode
