"""dYdX v4 indexer websocket messages around the ``v4_trades`` channel. Field names are dYdX's.

Docs: https://docs.dydx.exchange/api_integration-indexer/indexer_websocket and
``dydxprotocol/v4-chain`` indexer/services/comlink/public/websocket-documentation.md. After
``{"type":"subscribe","channel":"v4_trades","id":"BTC-USD"}`` the indexer sends a ``subscribed``
message with recent trades, then ``channel_data`` (or, batched, ``channel_batch_data``) updates.
Numeric fields are decimal strings, decoded straight to ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Trade(msgspec.Struct, frozen=True):
    """One public trade (a taker fill)."""

    id: str              # "Unique id of the trade, which is the taker fill id"
    size: Decimal        # base asset
    price: Decimal       # USD
    side: str            # the TAKER's side: "BUY" / "SELL"
    createdAt: str       # ISO-8601 UTC with ms, e.g. "2024-08-04T07:34:50.628Z"
    type: str            # TradeType: "LIMIT" | "LIQUIDATED" | "DELEVERAGED"
    createdAtHeight: str | None = None  # block height (REST and newer pushes)


class TradesContents(msgspec.Struct, frozen=True):
    trades: list[Trade]


class Message(msgspec.Struct, frozen=True):
    """Any indexer message. ``contents`` is one object, or a list of them on ``channel_batch_data``."""

    type: str                          # "connected" | "subscribed" | "channel_data" | "channel_batch_data" | "error"
    channel: str | None = None         # "v4_trades"
    id: str | None = None              # the market, e.g. "BTC-USD"
    connection_id: str | None = None
    message_id: int | None = None
    version: str | None = None
    contents: msgspec.Raw = msgspec.Raw()
    message: str | None = None         # error text


class TradesMessage(msgspec.Struct, frozen=True):
    """A ``v4_trades`` message whose trades were decoded."""

    type: str
    market: str
    batches: list[TradesContents]


CHANNEL = "v4_trades"
_message = msgspec.json.Decoder(Message).decode
_contents = msgspec.json.Decoder(TradesContents | list[TradesContents]).decode


def decode_frame(raw: bytes) -> TradesMessage | Message:
    """Decode one frame; ``v4_trades`` data has its trades decoded, anything else stays a ``Message``.

    Raises:
        msgspec.DecodeError / msgspec.ValidationError: Not JSON, or a trade is missing or mistypes a field.
    """
    message = _message(raw)
    if message.channel != CHANNEL or not message.contents or message.id is None:
        return message
    contents = _contents(message.contents)
    batches = contents if isinstance(contents, list) else [contents]
    return TradesMessage(type=message.type, market=message.id, batches=batches)
