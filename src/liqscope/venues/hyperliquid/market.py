"""Pure Hyperliquid market-data parsers: ``metaAndAssetCtxs`` and ``fundingHistory``.

``metaAndAssetCtxs`` carries no timestamp: its observations are stamped with the time the response was
received (``ts_event = ts_recv``). Open interest is in coin units and valued at the mark price in the
same context. Funding intervals follow the venue's schedule (8 h until 2023-06-08, hourly since) unless
a history's own settlement times say otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from liqscope.errors import UnexpectedPayload
from liqscope.events import Received, mul
from liqscope.market import (
    FundingRate,
    MarketFormat,
    ObservationFields,
    OpenInterest,
    Premium,
    dec_or_none,
    json_document,
    ms_ns,
    premium_of,
)
from liqscope.venues.hyperliquid import market_wire as w

VENUE = "hyperliquid"


def parse_meta_and_asset_ctxs(doc: tuple[w.Meta, list[w.AssetCtx]], rx: Received) -> list[Any]:
    """``{"type": "metaAndAssetCtxs"}``: funding estimate, open interest, mark/oracle/premium per coin."""
    meta, ctxs = doc
    if len(meta.universe) != len(ctxs):
        raise UnexpectedPayload(f"universe has {len(meta.universe)} coins but {len(ctxs)} contexts: they must be "
                                "index-aligned", field="[1]")
    out: list[Any] = []
    for asset, ctx in zip(meta.universe, ctxs, strict=True):
        c: ObservationFields = {"venue": VENUE, "market": asset.name, "base_asset": asset.name, "ts_event": rx.ts_ns,
                                "ts_recv": rx.ts_ns, "source": rx.source.value, "raw_ref": rx.ref}
        mark, oracle = Decimal(ctx.markPx), Decimal(ctx.oraclePx)
        oi = Decimal(ctx.openInterest)
        out.append(FundingRate(**c, kind="predicted", rate=Decimal(ctx.funding)))
        out.append(OpenInterest(**c, oi_base=oi, oi_usd=mul(oi, mark),
                                method="single-sided coin units as Hyperliquid reports them; USD at markPx"))
        out.append(Premium(**c, mark_price=mark, index_price=oracle, premium=premium_of(mark, oracle),
                           premium_index=dec_or_none(ctx.premium)))
    return out


def parse_funding_history(doc: list[w.FundingHistoryRecord], rx: Received) -> list[Any]:
    """``{"type": "fundingHistory"}``: settled rates and the premium index behind each."""
    out: list[Any] = []
    for x in doc:
        c: ObservationFields = {"venue": VENUE, "market": x.coin, "base_asset": x.coin, "ts_event": ms_ns(x.time),
                                "ts_recv": rx.ts_ns, "source": rx.source.value, "raw_ref": rx.ref}
        out.append(FundingRate(**c, kind="realized", rate=Decimal(x.fundingRate)))
        out.append(Premium(**c, premium_index=Decimal(x.premium)))
    return out


FORMATS = {
    "hyperliquid-meta-and-asset-ctxs": MarketFormat(
        name="hyperliquid-meta-and-asset-ctxs", venue=VENUE,
        read=json_document(w.decode_meta_and_asset_ctxs, parse_meta_and_asset_ctxs),
        description='POST /info {"type":"metaAndAssetCtxs"} response'),
    "hyperliquid-funding-history": MarketFormat(
        name="hyperliquid-funding-history", venue=VENUE,
        read=json_document(w.decode_funding_history, parse_funding_history),
        description='POST /info {"type":"fundingHistory"} response'),
}
