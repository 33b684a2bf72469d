"""BitMEX live stream: the ``liquidation`` table, subscribed in the URL (https://www.bitmex.com/app/wsAPI).

- URL: ``wss://ws.bitmex.com/realtime?subscribe=liquidation``; the server sends a welcome ``info`` frame
  and a ``success`` frame for the subscription.
- Heartbeat: send the text ``ping`` when the connection is quiet; the reply is ``pong``.
- Liquidations are rare and the table has no other traffic, so the watchdog is long (an hour); a silence
  that long is still recorded as a gap, never read as a quiet market.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.bitmex.emulate import Bitmex

URL = "wss://ws.bitmex.com/realtime?subscribe=liquidation"


class _Probe(msgspec.Struct):
    table: str | None = None  # data: {"table": "liquidation", "action": ..., "data": [...]}


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for ``pong`` and frames without a ``table`` (welcome, subscribe replies, errors)."""
    if raw.strip() == b"pong":
        return True
    try:
        return _probe(raw).table is None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False


def subscribe_none(_symbols: Sequence[str]) -> list[str]:
    """The table is named in the URL: nothing to send."""
    return []


STREAM = StreamSpec(
    venue="bitmex",
    url=URL,
    dialect=Bitmex,
    subscribe=subscribe_none,
    control=is_control,
    ping="ping",
    ping_interval_s=15.0,
    silence_s=3600.0,
    notes="every liquidation order (BitMEX support); insert and delete per order; rows carry no timestamp",
)
