"""Kraken Futures websocket v1 messages around the ``trade`` feed. Field names are Kraken's.

Docs: https://docs.kraken.com/api/docs/futures-api/websocket/trade . After
``{"event":"subscribe","feed":"trade","product_ids":[...]}`` Kraken sends ``{"event":"subscribed"}``,
a ``trade_snapshot`` (recent trades in ``trades``), then one ``trade`` message per trade. Prices and
quantities are JSON numbers, decoded to ``Decimal`` from their text.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Trade(msgspec.Struct, frozen=True):
    """One trade (a ``trade`` message, or an element of a snapshot's ``trades``)."""

    product_id: str     # "PI_XBTUSD" (inverse perp), "PF_XBTUSD" (linear perp), "FI_XBTUSD_230929" (future)
    uid: str            # unique trade id
    side: str           # "The classification of the taker side": "buy" / "sell"
    type: str           # "fill" | "liquidation" | "termination" | "block" (| "assignment" in history)
    time: int           # epoch ms
    qty: Decimal        # PI_/FI_: USD contracts (1 USD each); PF_/FF_: base coin
    price: Decimal
    seq: int | None = None
    feed: str | None = None


class Snapshot(msgspec.Struct, frozen=True):
    feed: str           # "trade_snapshot"
    product_id: str
    trades: list[Trade]


class Control(msgspec.Struct, frozen=True):
    """Anything else: ``event`` replies, heartbeats, other feeds."""

    event: str | None = None    # "info" / "subscribed" / "alert" / "error"
    feed: str | None = None
    product_ids: list[str] | None = None
    message: str | None = None


class _Head(msgspec.Struct, frozen=True):
    feed: str | None = None
    event: str | None = None


_head = msgspec.json.Decoder(_Head).decode
_trade = msgspec.json.Decoder(Trade).decode
_snapshot = msgspec.json.Decoder(Snapshot).decode
_control = msgspec.json.Decoder(Control).decode


def decode_frame(raw: bytes) -> Trade | Snapshot | Control:
    """Decode one frame into a trade, a trade snapshot, or a control message.

    Raises:
        msgspec.DecodeError / msgspec.ValidationError: Not JSON, or a trade lacks a field.
    """
    head = _head(raw)
    if head.event is None and head.feed == "trade":
        return _trade(raw)
    if head.event is None and head.feed == "trade_snapshot":
        return _snapshot(raw)
    return _control(raw)
