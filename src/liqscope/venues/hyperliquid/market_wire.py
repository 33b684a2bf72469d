"""Hyperliquid info-endpoint market payloads. Field names are Hyperliquid's.

Docs: hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint/perpetuals —
``{"type": "metaAndAssetCtxs"}`` returns ``[meta, ctxs]`` with ``ctxs[i]`` belonging to
``meta.universe[i]``; ``{"type": "fundingHistory", "coin", "startTime"}`` returns settled rates.
Numbers are decimal strings; times are ms integers.
"""

from __future__ import annotations

import msgspec


class Asset(msgspec.Struct, frozen=True):
    name: str                       # coin, e.g. "BTC"
    szDecimals: int = 0
    maxLeverage: int = 0
    onlyIsolated: bool = False
    isDelisted: bool = False


class Meta(msgspec.Struct, frozen=True):
    universe: list[Asset]


class AssetCtx(msgspec.Struct, frozen=True):
    funding: str                    # the current hourly funding rate estimate
    openInterest: str               # coin units
    markPx: str
    oraclePx: str                   # the oracle (index) price
    premium: str | None = None      # premium index sample (impact-price based); null when no book
    midPx: str | None = None
    impactPxs: list[str] | None = None
    dayNtlVlm: str = ""
    prevDayPx: str = ""


class FundingHistoryRecord(msgspec.Struct, frozen=True):
    coin: str
    fundingRate: str                # the settled rate
    premium: str                    # the premium index behind it
    time: int                       # ms


decode_meta_and_asset_ctxs = msgspec.json.Decoder(tuple[Meta, list[AssetCtx]]).decode
decode_funding_history = msgspec.json.Decoder(list[FundingHistoryRecord]).decode
