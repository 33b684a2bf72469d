"""OKX v5 public market-data payloads for perpetual swaps. Field names are OKX's.

Docs (www.okx.com/docs-v5/en/): public-data "Get funding rate" (``/api/v5/public/funding-rate``),
"Get funding rate history" (``fundingRate`` there is the PREDICTED rate, ``realizedRate`` the actual
one), "Get open interest" (``oi`` contracts, ``oiCcy`` coin, ``oiUsd`` USD). Numbers and ms times are
strings.
"""

from __future__ import annotations

import msgspec


class FundingRateNow(msgspec.Struct, frozen=True):
    instId: str                 # "BTC-USDT-SWAP"
    instType: str               # "SWAP"
    fundingRate: str            # predicted rate for the settlement at fundingTime
    fundingTime: str            # ms: the coming settlement
    nextFundingTime: str        # ms: the one after; the gap is the interval (OKX says to read it so)
    ts: str                     # ms: when OKX returned the data
    premium: str = ""           # OKX premium index (impact-price based)
    settFundingRate: str = ""
    settState: str = ""
    method: str = ""


class FundingRateHistoryRecord(msgspec.Struct, frozen=True):
    instId: str
    instType: str
    fundingTime: str            # ms: settlement time
    realizedRate: str           # ACTUAL settled rate (use this)
    fundingRate: str = ""       # the prediction that preceded it (not used)
    method: str = ""


class OpenInterestRecord(msgspec.Struct, frozen=True):
    instId: str
    instType: str
    oi: str                     # contracts
    oiCcy: str                  # coin
    ts: str                     # ms
    oiUsd: str = ""             # USD


class _Response(msgspec.Struct, frozen=True):
    code: str
    msg: str = ""


class FundingRateResponse(_Response, frozen=True):
    data: list[FundingRateNow] = []


class FundingRateHistoryResponse(_Response, frozen=True):
    data: list[FundingRateHistoryRecord] = []


class OpenInterestResponse(_Response, frozen=True):
    data: list[OpenInterestRecord] = []


decode_funding_rate = msgspec.json.Decoder(FundingRateResponse).decode
decode_funding_rate_history = msgspec.json.Decoder(FundingRateHistoryResponse).decode
decode_open_interest = msgspec.json.Decoder(OpenInterestResponse).decode
