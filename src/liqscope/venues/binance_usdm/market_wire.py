"""Binance USDⓈ-M market-data payloads (mark price, funding, open interest). Field names are Binance's.

Docs (developers.binance.com/docs/derivatives/usds-margined-futures/): market-data/rest-api/Mark-Price
(``/fapi/v1/premiumIndex``), Get-Funding-Rate-History (``/fapi/v1/fundingRate``), Get-Funding-Rate-Info
(``/fapi/v1/fundingInfo``), Open-Interest (``/fapi/v1/openInterest``), Open-Interest-Statistics
(``/futures/data/openInterestHist``), websocket-market-streams/Mark-Price-Stream (``markPriceUpdate``).
Decimals arrive as strings and stay strings here ("" means not applicable, e.g. delivery contracts).
"""

from __future__ import annotations

import msgspec


class PremiumIndex(msgspec.Struct, frozen=True):
    symbol: str
    markPrice: str                     # mark price
    indexPrice: str                    # index price (spot-exchange weighted)
    lastFundingRate: str = ""          # the funding rate of the CURRENT period, as estimated now; "" for delivery
    nextFundingTime: int = 0           # ms; 0 for delivery contracts
    time: int = 0                      # ms, when Binance computed this
    estimatedSettlePrice: str = ""
    interestRate: str = ""


class MarkPriceUpdate(msgspec.Struct, frozen=True):
    s: str                             # symbol
    p: str                             # mark price
    i: str                             # index price
    E: int                             # event time, ms
    r: str = ""                        # funding rate (estimate for the current period); "" for delivery
    T: int = 0                         # next funding time, ms
    P: str = ""                        # estimated settle price
    e: str = "markPriceUpdate"         # event type


class _Envelope(msgspec.Struct, frozen=True):
    # Combined streams wrap the payload as {"stream", "data"}; subscription acks are {"result", "id"}.
    stream: str | None = None
    data: msgspec.Raw | None = None
    id: int | None = None
    e: str | None = None


class FundingRateRecord(msgspec.Struct, frozen=True):
    symbol: str
    fundingRate: str                   # the SETTLED rate for the interval ending at fundingTime
    fundingTime: int                   # ms
    markPrice: str = ""                # mark price at settlement ("" on old records)


class FundingInfo(msgspec.Struct, frozen=True):
    symbol: str
    fundingIntervalHours: int          # only symbols whose cap/floor/interval was adjusted are listed
    adjustedFundingRateCap: str = ""
    adjustedFundingRateFloor: str = ""
    disclaimer: bool = False


class OpenInterest(msgspec.Struct, frozen=True):
    symbol: str
    openInterest: str                  # contracts = base units (1000PEPEUSDT: lots of 1000 PEPE); one side
    time: int                          # ms


class OpenInterestHist(msgspec.Struct, frozen=True):
    symbol: str
    sumOpenInterest: str               # base units (or lots for 1000x symbols)
    sumOpenInterestValue: str          # USD(T) value
    timestamp: int | str               # ms; the doc example sends a string, the API an integer
    CMCCirculatingSupply: str = ""


decode_premium_index = msgspec.json.Decoder(PremiumIndex | list[PremiumIndex]).decode
decode_funding_rates = msgspec.json.Decoder(list[FundingRateRecord]).decode
decode_funding_info = msgspec.json.Decoder(list[FundingInfo]).decode
decode_open_interest = msgspec.json.Decoder(OpenInterest).decode
decode_open_interest_hist = msgspec.json.Decoder(list[OpenInterestHist]).decode
_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_decode_updates = msgspec.json.Decoder(MarkPriceUpdate | list[MarkPriceUpdate]).decode


def decode_mark_price(raw: bytes) -> list[MarkPriceUpdate]:
    """One ``@markPrice`` / ``!markPrice@arr`` message (raw or combined-stream) -> its updates.

    Acks and other events decode to an empty list.
    """
    body = raw.lstrip()
    if body[:1] == b"[":
        out = _decode_updates(body)
        return out if isinstance(out, list) else [out]
    env = _decode_envelope(body)
    if env.data is not None:
        inner = _decode_updates(bytes(env.data))
        return inner if isinstance(inner, list) else [inner]
    if env.e == "markPriceUpdate":
        out = _decode_updates(body)
        return out if isinstance(out, list) else [out]
    return []
