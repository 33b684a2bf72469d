"""Binance futures ``forceOrder`` payloads (USDⓈ-M and COIN-M share them). Field names are Binance's.

Docs: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/
Liquidation-Order-Streams . Every numeric field arrives as a decimal string and is decoded straight to
``Decimal`` (never float).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class ForceOrderBody(msgspec.Struct, frozen=True):
    s: str          # symbol, e.g. "BTCUSDT" (USD-M) or "BTCUSD_PERP" (COIN-M)
    S: str          # side of the liquidation ORDER: "SELL" closes a long, "BUY" closes a short
    o: str          # order type, "LIMIT"
    f: str          # time in force, "IOC"
    q: Decimal      # ORIGINAL order quantity: not what was liquidated
    p: Decimal      # order (limit) price, at the bankruptcy side of the fill
    ap: Decimal     # average fill price
    X: str          # order status, "FILLED" / "PARTIALLY_FILLED" / "EXPIRED"
    l: Decimal      # last filled quantity (this snapshot's fill)  # noqa: E741 - Binance's name
    z: Decimal      # ACCUMULATED filled quantity: what was liquidated. USD-M: base; COIN-M: contracts
    T: int          # order trade time, epoch ms
    ps: str | None = None  # COIN-M only: the pair, e.g. "BTCUSD"


class ForceOrderEvent(msgspec.Struct, frozen=True):
    o: ForceOrderBody
    e: str = "forceOrder"  # event type
    E: int | None = None   # event time, epoch ms


class Frame(msgspec.Struct, frozen=True):
    """A raw stream message (``/ws/...``) or a combined-stream one (``/stream?streams=``)."""

    # combined-stream wrapper
    stream: str | None = None   # "<symbol>@forceOrder" or "!forceOrder@arr"
    data: ForceOrderEvent | None = None
    # raw stream (unwrapped)
    e: str | None = None
    E: int | None = None
    o: ForceOrderBody | None = None
    # subscription acks: {"result": null, "id": 1}
    id: int | None = None


decode_frame = msgspec.json.Decoder(Frame).decode
