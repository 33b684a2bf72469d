"""Bybit inverse-stream liquidation payloads (``wss://stream.bybit.com/v5/public/inverse``).

The v5 shapes are the linear stream's (``allLiquidation.{symbol}`` and the deprecated
``liquidation.{symbol}``), so their structs are imported from ``bybit_linear.wire``, not copied. Only
the Tardis "generated" frames are added: Tardis rebuilt pre-2021 inverse liquidations from Bybit's
retired v2 REST ``liq-records`` endpoint as ``{"topic":"liquidation.BTCUSD","generated":true,
"data":[{"id","qty","side","time","symbol","price"}]}``; Bybit never sent that shape over a websocket.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.venues.bybit_linear.wire import AllLiquidationItem, Frame, LiquidationObject
from liqscope.venues.bybit_linear.wire import decode_frame as decode_stream_frame

__all__ = ["AllLiquidationItem", "Frame", "GeneratedFrame", "LiquidationObject", "RestRecord", "decode_frame"]


class RestRecord(msgspec.Struct, frozen=True):
    """One v2 REST liquidation record, as Tardis kept it."""

    id: int           # Bybit's liquidation record id
    qty: Decimal      # executed quantity: USD contracts on inverse symbols
    side: str         # POSITION side, as on every Bybit liquidation feed: "Buy" = a LONG was liquidated
    time: int         # epoch ms
    symbol: str       # e.g. "BTCUSD"
    price: Decimal    # bankruptcy price


class GeneratedFrame(msgspec.Struct, frozen=True):
    """A Tardis-generated ``liquidation.{symbol}`` frame (REST records, not a websocket push)."""

    topic: str
    generated: bool
    data: list[RestRecord]


class _Head(msgspec.Struct, frozen=True):
    generated: bool = False


_head = msgspec.json.Decoder(_Head).decode
_generated = msgspec.json.Decoder(GeneratedFrame).decode


def decode_frame(raw: bytes) -> Frame | GeneratedFrame:
    """Decode one frame: a Tardis-generated REST frame, or any v5 stream message (push or op reply)."""
    if _head(raw).generated:
        return _generated(raw)
    return decode_stream_frame(raw)
