"""Bitget UTA (v3) public websocket messages around the ``liquidation`` topic. Field names are Bitget's.

Docs: https://www.bitget.com/api-doc/uta/websocket/public/Liquidation-Channel . Subscribe with
``{"op":"subscribe","args":[{"instType":"usdt-futures","topic":"liquidation"}]}``; pushes are
``{"action":"update","arg":{"instType","topic"},"data":[...],"ts"}``. Numbers are decimal strings.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

TOPIC = "liquidation"


class Arg(msgspec.Struct, frozen=True):
    instType: str | None = None   # "usdt-futures" | "coin-futures" | "usdc-futures"
    topic: str | None = None      # v3 (UTA) name of the channel, e.g. "liquidation"
    channel: str | None = None    # v2 name of the channel (not used by the UTA liquidation topic)
    symbol: str | None = None


class Liquidation(msgspec.Struct, frozen=True):
    """One element of ``data``: the largest liquidation of one side of one pair in the past second."""

    symbol: str        # e.g. "BTCUSDT"
    side: str          # POSITION side per Tardis: "buy" = a LONG was liquidated (not in the official table)
    price: Decimal     # fill price of that liquidation (12-digit values point to an average over fills)
    amount: Decimal    # its size in the QUOTE coin (USDT): amount / price is a whole lot count in real pushes
    ts: str            # epoch ms as a decimal string


class Message(msgspec.Struct, frozen=True):
    """Any message: a push (``action`` + ``data``) or a reply (``event``: subscribe, error, pong...)."""

    arg: Arg | None = None
    action: str | None = None     # "snapshot" / "update"
    data: list[Liquidation] | None = None
    ts: int | None = None         # push time, epoch ms
    event: str | None = None      # "subscribe" / "unsubscribe" / "error" / "login"
    code: str | int | None = None
    msg: str | None = None


_message = msgspec.json.Decoder(Message).decode


def decode_frame(raw: bytes) -> Message:
    """Decode one frame (the bare text ``pong`` keepalive reply becomes an ``event: pong`` message).

    Raises:
        msgspec.DecodeError / msgspec.ValidationError: Not JSON, or a liquidation lacks a field.
    """
    if raw.strip() == b"pong":
        return Message(event="pong")
    return _message(raw)
