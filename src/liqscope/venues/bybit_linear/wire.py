"""Bybit v5 public liquidation payloads on the linear stream. Field names are Bybit's.

Docs: https://bybit-exchange.github.io/docs/v5/websocket/public/all-liquidation (``allLiquidation``,
current) and the deprecated ``liquidation`` topic (page removed 2025-11-19). Numeric fields arrive as
decimal strings and are decoded straight to ``Decimal`` (never float). Unknown fields are ignored.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class AllLiquidationItem(msgspec.Struct, frozen=True):
    """One element of an ``allLiquidation.{symbol}`` batch."""

    T: int          # updated timestamp, epoch ms: when the liquidation happened
    s: str          # symbol, e.g. "ROSEUSDT"
    S: str          # POSITION side: "Buy" = a LONG was liquidated (the opposite of Binance's order side)
    v: Decimal      # executed size; base coin on linear contracts (1000PEPEUSDT: lots of 1000 PEPE)
    p: Decimal      # BANKRUPTCY price, not a fill price


class LiquidationObject(msgspec.Struct, frozen=True):
    """``data`` of the deprecated ``liquidation.{symbol}`` topic (one object, sampled 1/s per symbol).

    v5 frames send ``size``/``updatedTime``; recordings from the pre-v5 ``realtime_public`` API send
    ``qty``/``time`` under the same topic name. Either pair is accepted; the parser requires one.
    """

    symbol: str
    side: str                       # POSITION side, as in allLiquidation: "Buy" = a LONG was liquidated
    price: Decimal                  # bankruptcy price
    size: Decimal | None = None     # v5: executed size, base coin
    updatedTime: int | None = None  # v5: epoch ms  (the doc table says "updateTime"; frames say this)
    qty: Decimal | None = None      # pre-v5 name of size
    time: int | None = None         # pre-v5 name of updatedTime, epoch ms


class Frame(msgspec.Struct, frozen=True):
    """Any message on the public linear stream: a topic push or an op reply (ack, pong)."""

    # topic push
    topic: str | None = None        # "allLiquidation.ROSEUSDT" / "liquidation.GALAUSDT"
    type: str | None = None         # "snapshot"
    ts: int | None = None           # when Bybit generated the message, epoch ms
    data: list[AllLiquidationItem] | LiquidationObject | None = None
    # op replies: {"success":true,"ret_msg":"","conn_id":"...","req_id":"","op":"subscribe"}
    op: str | None = None           # "subscribe", "unsubscribe", "ping" (a pong reply), ...
    success: bool | None = None
    ret_msg: str | None = None


decode_frame = msgspec.json.Decoder(Frame).decode
