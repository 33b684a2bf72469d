"""OKX v5 public websocket messages around the ``liquidation-orders`` channel. Field names are OKX's.

Docs: https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel . Numeric
fields arrive as decimal strings and are decoded straight to ``Decimal`` (never float); ``ts`` is an
epoch-ms *string*. Unknown fields are ignored, so OKX can add fields without breaking the decoder.

A connection carries three shapes, told apart here so that ``parse`` gets one typed struct each:

- the bare text frame ``pong`` (the reply to our ``ping`` keepalive; not JSON) -> ``Pong``;
- a ``liquidation-orders`` push (``arg.channel`` set, no ``event``) -> ``LiquidationOrdersPush``;
- a v3 ``swap/liquidation`` or ``futures/liquidation`` table frame (2019-2021, before OKX retired its
  v3 API; found in Tardis archives) -> ``V3Push``: history, never a live path;
- everything else (``event`` acks/errors/notices, other channels) -> ``Envelope``, which keeps only what
  is needed to say why it is skipped or quarantined.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

CHANNEL = "liquidation-orders"
# The v3 liquidation tables, by instType they held (v3 spoke of "swap" and "futures" markets).
V3_TABLES = {"swap/liquidation": "SWAP", "futures/liquidation": "FUTURES"}


class Arg(msgspec.Struct, frozen=True):
    channel: str                  # subscribed channel, e.g. "liquidation-orders"
    instType: str | None = None   # SWAP / FUTURES / MARGIN / OPTION: the subscription is per instType
    instId: str | None = None     # per-instrument channels only (the retired "liquidations" channel)


class Detail(msgspec.Struct, frozen=True):
    """One liquidation order inside ``data[].details``."""

    side: str       # ORDER side, "buy" / "sell": a sell order closes a LONG, a buy closes a SHORT
    posSide: str    # position mode side: "long"/"short" in hedge mode, "net" in one-way mode
    bkPx: Decimal   # bankruptcy price (the price against the system's liquidation account)
    sz: Decimal     # quantity: CONTRACTS for SWAP/FUTURES (x ctVal), base currency for MARGIN
    ts: str         # liquidation time, epoch ms as a decimal string, e.g. "1692266434010"
    bkLoss: str = ""  # bankruptcy loss; unused, kept as sent (OKX writes "" for empty numbers)
    ccy: str = ""     # liquidation currency, MARGIN only ("" for SWAP)


class LiquidationOrders(msgspec.Struct, frozen=True):
    """One element of ``data``: an instrument and its recent liquidation orders."""

    instId: str                   # instrument id, e.g. "BTC-USDT-SWAP"
    instType: str                 # SWAP / FUTURES / MARGIN / OPTION
    details: list[Detail]
    instFamily: str | None = None  # e.g. "BTC-USDT"
    uly: str | None = None         # underlying, e.g. "BTC-USDT" (older name of instFamily)


class LiquidationOrdersPush(msgspec.Struct, frozen=True):
    """A ``liquidation-orders`` push: ``{"arg": {...}, "data": [...]}``."""

    arg: Arg
    data: list[LiquidationOrders]
    id: str | None = None  # echo of the subscribe request id, when the client sent one


class Envelope(msgspec.Struct, frozen=True):
    """Any other JSON frame, reduced to the fields that say what it is."""

    event: str | None = None   # "subscribe" / "unsubscribe" / "error" / "notice" / "login" / ...
    code: str | None = None    # error or notice code, e.g. "60012"
    msg: str | None = None     # error or notice text
    connId: str | None = None  # websocket connection id
    arg: Arg | None = None
    table: str | None = None   # v3 API frames only (e.g. "swap/ticker"); the v3 API was retired in 2022


class V3Liquidation(msgspec.Struct, frozen=True):
    """One row of a v3 ``swap/liquidation`` / ``futures/liquidation`` table (OKX API v3, 2019-2021).

    The rows of v3's REST ``GET /api/swap/v3/instruments/<id>/liquidation`` (and its futures twin) have
    the same fields; Tardis's archive frames of these tables are generated from them ("generated": true).
    """

    instrument_id: str  # "BTC-USDT-SWAP", "UNI-USD-SWAP", or a dated future "ETH-USD-210326"
    type: str           # "3" = close long (a LONG was liquidated), "4" = close short (a SHORT was liquidated)
    size: Decimal       # CONTRACTS, x ctVal (v3 called it contract_val): the same contracts as v5's sz
    price: Decimal      # the liquidation order's price (v3's only price; v5 calls its one price bkPx)
    created_at: str     # ISO-8601 UTC with ms, e.g. "2020-12-18T00:30:58.559Z": the liquidation time
    loss: str = ""      # the loss, in the settlement currency; unused, kept as sent


class V3Push(msgspec.Struct, frozen=True):
    """A v3 liquidation table frame: ``{"table": "swap/liquidation", "data": [<row>...]}``."""

    table: str               # "swap/liquidation" or "futures/liquidation"
    data: list[V3Liquidation]
    generated: bool = False  # Tardis: true when it synthesised the frame from v3 REST polling


class Pong(msgspec.Struct, frozen=True):
    """The literal text frame ``pong``: OKX's reply to a ``ping`` keepalive."""


Message = Pong | Envelope | LiquidationOrdersPush | V3Push

_envelope = msgspec.json.Decoder(Envelope).decode
_push = msgspec.json.Decoder(LiquidationOrdersPush).decode
_v3 = msgspec.json.Decoder(V3Push).decode


def decode_frame(raw: bytes) -> Message:
    """Decode one raw websocket frame into the wire struct of its shape.

    Raises:
        msgspec.DecodeError: The frame is neither ``pong`` nor JSON.
        msgspec.ValidationError: A ``liquidation-orders`` push or a v3 liquidation frame is missing or
            mistypes a field.
    """
    if raw.strip() == b"pong":
        return Pong()
    envelope = _envelope(raw)
    if envelope.table in V3_TABLES:
        return _v3(raw)
    if envelope.event is None and envelope.arg is not None and envelope.arg.channel == CHANNEL:
        # Decoded a second time, whole, so validation errors carry full paths ($.data[0]...).
        return _push(raw)
    return envelope
