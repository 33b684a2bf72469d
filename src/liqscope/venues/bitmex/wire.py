"""BitMEX realtime API messages around the ``liquidation`` table. Field names are BitMEX's.

Docs: https://www.bitmex.com/app/wsAPI (``liquidation``: "Liquidation orders as they're entered into
the book"). A table message is ``{"table", "action", "data": [...]}`` with ``action`` one of
``partial`` (the open rows at subscribe), ``insert``, ``update``, ``delete``. Prices and quantities
arrive as JSON numbers and are decoded straight to ``Decimal`` from their text (never float).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class LiquidationRow(msgspec.Struct, frozen=True):
    """One row of the ``liquidation`` table. ``update``/``delete`` rows may carry only the keys."""

    orderID: str                     # the liquidation order's id, stable across insert/update/delete
    symbol: str | None = None        # e.g. "XBTUSD"
    side: str | None = None          # liquidation ORDER side: "Sell" closes a LONG, "Buy" closes a SHORT
    price: Decimal | None = None     # the order's price: the bankruptcy price
    leavesQty: Decimal | None = None  # contracts still open on the order (full order quantity at insert)


class TableMessage(msgspec.Struct, frozen=True):
    """A table push; ``data`` stays raw until the table is known to be ``liquidation``."""

    table: str
    action: str
    data: msgspec.Raw


class LiquidationMessage(msgspec.Struct, frozen=True):
    """A ``liquidation`` table push, decoded whole."""

    table: str
    action: str       # "partial" | "insert" | "update" | "delete"
    data: list[LiquidationRow]


class Control(msgspec.Struct, frozen=True):
    """Anything that is not a table push: welcome banner, subscribe/ping replies, errors."""

    info: str | None = None        # welcome banner text
    success: bool | None = None    # subscribe / unsubscribe reply
    subscribe: str | None = None   # the topic subscribed to
    error: str | None = None       # error text
    status: int | None = None      # HTTP-like status of an error


Message = LiquidationMessage | TableMessage | Control
TABLE = "liquidation"

class _Head(msgspec.Struct, frozen=True):
    table: str | None = None


_head = msgspec.json.Decoder(_Head).decode
_table = msgspec.json.Decoder(TableMessage).decode
_liquidation = msgspec.json.Decoder(LiquidationMessage).decode
_control = msgspec.json.Decoder(Control).decode


def decode_frame(raw: bytes) -> Message:
    """Decode one frame: a ``liquidation`` push (whole), another table's push, or a control message.

    Raises:
        msgspec.DecodeError: The frame is not JSON (BitMEX's bare ``pong`` is decoded as a control).
        msgspec.ValidationError: A ``liquidation`` push is missing or mistypes a field.
    """
    if raw.strip() == b"pong":
        return Control(info="pong")
    table = _head(raw).table
    if table is None:
        return _control(raw)
    return _liquidation(raw) if table == TABLE else _table(raw)
