"""Gate futures websocket messages around ``futures.public_liquidates``. Field names are Gate's.

Docs: https://www.gate.com/docs/developers/futures/ws/en/#public-liquidates-order-api . Every
message is ``{"time", "time_ms", "channel", "event", "result"}``: ``event`` "subscribe"/"unsubscribe"
replies carry ``result: {"status": "success"}``, "update" pushes a list of liquidation orders. Sizes
are integers or (with the ``X-Gate-Size-Decimal: 1`` header) decimal strings; both decode to ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope._shape import validation_failure
from liqscope.errors import UnexpectedPayload

CHANNEL = "futures.public_liquidates"


class LiquidateOrder(msgspec.Struct, frozen=True):
    """One element of an update's ``result``."""

    price: Decimal       # the liquidation ORDER's price
    size: Decimal        # order size in CONTRACTS, SIGNED: negative = a sell order = a LONG liquidated
    time_ms: int         # epoch ms
    contract: str        # e.g. "BTC_USDT"


class Message(msgspec.Struct, frozen=True):
    """Any futures-channel message, ``result`` kept raw."""

    channel: str | None = None
    event: str | None = None        # "subscribe" / "unsubscribe" / "update" / ...
    time: int | None = None         # epoch s
    time_ms: int | None = None      # epoch ms
    result: msgspec.Raw = msgspec.Raw()
    error: msgspec.Raw = msgspec.Raw()


class LiquidatesUpdate(msgspec.Struct, frozen=True):
    """A ``futures.public_liquidates`` update, decoded."""

    time_ms: int | None
    orders: list[LiquidateOrder]


_message = msgspec.json.Decoder(Message).decode
_orders = msgspec.json.Decoder(list[LiquidateOrder]).decode


def decode_frame(raw: bytes) -> LiquidatesUpdate | Message:
    """Decode one frame; a liquidates update has its orders decoded, anything else stays a ``Message``.

    Raises:
        msgspec.DecodeError: Not JSON.
        UnexpectedPayload: A liquidation order is missing or mistypes a field.
    """
    message = _message(raw)
    if message.channel != CHANNEL or message.event != "update" or not message.result:
        return message
    try:
        orders = _orders(message.result)
    except msgspec.ValidationError as e:
        path = str(e).rsplit("`$", 1)[-1].rstrip("`")
        name = path.split("].", 1)[-1] if "]." in path else ""
        raise UnexpectedPayload(f"liquidation order: {e}", field="result" + (f".{name}" if name else ""),
                                code=validation_failure(str(e), message.result)) from None
    return LiquidatesUpdate(time_ms=message.time_ms, orders=orders)
