"""Deribit JSON-RPC websocket messages around the ``trades.{instrument}.{interval}`` channels.

Docs: https://docs.deribit.com/subscriptions/trades/tradesinstrument_nameinterval . A subscription
push is ``{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.raw",
"data":[<trade>...]}}``; replies to our requests carry ``id`` and ``result``; heartbeats carry
``method: "heartbeat"``. Numbers arrive as JSON numbers and are decoded to ``Decimal`` from their text.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope._shape import validation_failure
from liqscope.errors import UnexpectedPayload


class Trade(msgspec.Struct, frozen=True):
    """One public trade."""

    trade_id: str               # "Unique (per currency) trade identifier"
    timestamp: int              # epoch ms
    price: Decimal
    amount: Decimal             # USD for perpetual/inverse futures; base coin for linear (USDC) and options
    direction: str              # the TAKER's direction: "buy" / "sell"
    instrument_name: str        # "BTC-PERPETUAL", "BTC-27DEC24", "BTC_USDC-PERPETUAL", "BTC-27DEC24-60000-C"
    liquidation: str | None = None  # only on liquidation trades: "M" maker, "T" taker, "MT" both liquidated
    trade_seq: int | None = None
    contracts: Decimal | None = None  # number of contracts, where the instrument has them
    index_price: Decimal | None = None
    mark_price: Decimal | None = None
    tick_direction: int | None = None


class Params(msgspec.Struct, frozen=True):
    channel: str | None = None  # "trades.BTC-PERPETUAL.raw"; absent on heartbeats
    data: msgspec.Raw = msgspec.Raw()
    type: str | None = None     # heartbeat: "heartbeat" / "test_request"


class Envelope(msgspec.Struct, frozen=True):
    """Any JSON-RPC message, with ``params.data`` kept raw."""

    jsonrpc: str | None = None
    method: str | None = None   # "subscription" / "heartbeat"
    params: Params | None = None
    id: int | None = None       # echo of our request id (replies only)
    result: msgspec.Raw = msgspec.Raw()
    error: msgspec.Raw = msgspec.Raw()


class TradesPush(msgspec.Struct, frozen=True):
    """A ``trades.*`` subscription push, decoded."""

    channel: str
    trades: list[Trade]


_envelope = msgspec.json.Decoder(Envelope).decode
_trades = msgspec.json.Decoder(list[Trade]).decode


def decode_frame(raw: bytes) -> TradesPush | Envelope:
    """Decode one frame; a ``trades.*`` push has its trades decoded, anything else stays an envelope.

    Raises:
        msgspec.DecodeError: Not JSON.
        UnexpectedPayload: A trade is missing or mistypes a field.
    """
    envelope = _envelope(raw)
    params = envelope.params
    if (envelope.method == "subscription" and params is not None and params.data
            and (params.channel or "").startswith("trades.")):
        try:
            trades = _trades(params.data)
        except msgspec.ValidationError as e:
            # "... - at `$[0].price`" -> field "params.data.price" (no index: reasons stay few and stable)
            path = str(e).rsplit("`$", 1)[-1].rstrip("`")
            name = path.split("].", 1)[-1] if "]." in path else ""
            raise UnexpectedPayload(f"trade: {e}", field="params.data" + (f".{name}" if name else ""),
                                    code=validation_failure(str(e), params.data)) from None
        return TradesPush(channel=params.channel or "", trades=trades)
    return envelope
