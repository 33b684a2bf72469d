"""OKX v5 websocket messages for dated futures (instType FUTURES). Field names are OKX's.

The ``liquidation-orders`` channel is the one okx_swap reads, with ``instType`` FUTURES, so every
struct is imported from ``okx_swap.wire``. Added here: the pre-2023 per-instrument ``liquidations``
channel (``{"arg":{"channel":"liquidations","instId":"BTC-USD-220624"},"data":[<detail>...]}``),
which Tardis recorded for futures; its instId names a dated future, so it can still be read. The v3
``futures/liquidation`` table (``V3Push``) is decoded by okx_swap's decoder.
"""

from __future__ import annotations

import msgspec

from liqscope.venues.okx_swap.wire import (
    Arg,
    Detail,
    Envelope,
    LiquidationOrders,
    LiquidationOrdersPush,
    Pong,
    V3Liquidation,
    V3Push,
)
from liqscope.venues.okx_swap.wire import decode_frame as decode_swap_frame

__all__ = ["Arg", "Detail", "Envelope", "LegacyPush", "LiquidationOrders", "LiquidationOrdersPush", "Message",
           "Pong", "V3Liquidation", "V3Push", "decode_frame"]

LEGACY_CHANNEL = "liquidations"


class LegacyPush(msgspec.Struct, frozen=True):
    """A push on the retired per-instrument ``liquidations`` channel: details sit directly in ``data``."""

    arg: Arg          # {"channel": "liquidations", "instId": "BTC-USD-220624"}
    data: list[Detail]


Message = Pong | Envelope | LiquidationOrdersPush | LegacyPush | V3Push

_legacy = msgspec.json.Decoder(LegacyPush).decode


def decode_frame(raw: bytes) -> Message:
    """Decode one frame as okx_swap does; a retired ``liquidations`` push is decoded whole.

    Raises:
        msgspec.DecodeError: The frame is neither ``pong`` nor JSON.
        msgspec.ValidationError: A liquidation push is missing or mistypes a field.
    """
    message = decode_swap_frame(raw)
    if (isinstance(message, Envelope) and message.event is None and message.arg is not None
            and message.arg.channel == LEGACY_CHANNEL):
        return _legacy(raw)
    return message
