"""Pure OKX swap market-data parsers: funding (predicted and realized), open interest, premium index.

The interval of the coming settlement is ``nextFundingTime − fundingTime`` (OKX's own instruction:
some altcoins settle every 1, 2, 4 or 6 h). History uses ``realizedRate``; its interval is inferred
from the settlement times. OKX open interest is one side; ``oiCcy`` is in the base coin.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from liqscope._market_types import (
    FundingRate,
    MarketFormat,
    OpenInterest,
    Premium,
    dec_or_none,
    json_document,
    ms_ns,
)
from liqscope.errors import UnexpectedPayload
from liqscope.events import Received
from liqscope.venues.okx_swap import market_wire as w

VENUE = "okx_swap"
# The documented default funding schedule, (from ns, hours) latest first: 8 h. Instruments on another
# interval show it in fundingTime - nextFundingTime, which takes precedence.
FUNDING_SCHEDULE = ((0, 8),)
_SWAP = re.compile(r"^(?P<base>[A-Z0-9]+)-(?P<quote>[A-Z]+)-SWAP$")
HOUR_MS = 3_600_000


def _check(doc: w._Response) -> None:
    if doc.code != "0":
        raise UnexpectedPayload(f"OKX error response code {doc.code}: {doc.msg}", field="code")


def _asset(inst_id: str, inst_type: str) -> str:
    m = _SWAP.match(inst_id)
    if inst_type != "SWAP" or not m:
        raise UnexpectedPayload(f"{inst_id} ({inst_type}) is not a perpetual swap; okx_swap parses SWAP only",
                                field="data.instId")
    return m.group("base")


def _common(inst_id: str, inst_type: str, ts_ms: str, rx: Received) -> dict[str, Any]:
    return {"venue": VENUE, "market": inst_id, "base_asset": _asset(inst_id, inst_type), "ts_event": ms_ns(ts_ms),
            "ts_recv": rx.ts_ns, "source": rx.source.value, "raw_ref": rx.ref}


def parse_funding_rate(doc: w.FundingRateResponse, rx: Received) -> list[Any]:
    """``GET /api/v5/public/funding-rate``: the predicted rate with its stated interval, and the premium."""
    _check(doc)
    out: list[Any] = []
    for x in doc.data:
        c = _common(x.instId, x.instType, x.ts, rx)
        gap_ms = int(x.nextFundingTime) - int(x.fundingTime)
        hours, rest = divmod(gap_ms, HOUR_MS)
        stated = rest == 0 and hours > 0
        out.append(FundingRate(**c, kind="predicted", rate=Decimal(x.fundingRate),
                               interval_hours=hours if stated else None,
                               interval_source="stated" if stated else "unknown",
                               next_funding_ns=ms_ns(x.fundingTime)))
        premium = dec_or_none(x.premium)
        if premium is not None:
            out.append(Premium(**c, premium_index=premium))
    return out


def parse_funding_rate_history(doc: w.FundingRateHistoryResponse, rx: Received) -> list[FundingRate]:
    """``GET /api/v5/public/funding-rate-history``: ``realizedRate`` at each ``fundingTime``."""
    _check(doc)
    return [FundingRate(**_common(x.instId, x.instType, x.fundingTime, rx), kind="realized",
                        rate=Decimal(x.realizedRate)) for x in doc.data]


def parse_open_interest(doc: w.OpenInterestResponse, rx: Received) -> list[OpenInterest]:
    """``GET /api/v5/public/open-interest``: contracts, coin and USD, one side."""
    _check(doc)
    return [OpenInterest(**_common(x.instId, x.instType, x.ts, rx), oi_contracts=Decimal(x.oi),
                         oi_base=Decimal(x.oiCcy), oi_usd=dec_or_none(x.oiUsd),
                         method="single-sided as OKX reports it (oiCcy, oiUsd)") for x in doc.data]


FORMATS = {
    "okx-funding-rate": MarketFormat(
        name="okx-funding-rate", venue=VENUE, read=json_document(w.decode_funding_rate, parse_funding_rate),
        description="GET /api/v5/public/funding-rate response (predicted rate, interval, premium)"),
    "okx-funding-rate-history": MarketFormat(
        name="okx-funding-rate-history", venue=VENUE,
        read=json_document(w.decode_funding_rate_history, parse_funding_rate_history),
        description="GET /api/v5/public/funding-rate-history response (realizedRate)"),
    "okx-open-interest": MarketFormat(
        name="okx-open-interest", venue=VENUE, read=json_document(w.decode_open_interest, parse_open_interest),
        description="GET /api/v5/public/open-interest response (oi, oiCcy, oiUsd)"),
}
