"""Binance USDⓈ-M live stream: the all-market ``!forceOrder@arr`` stream, subscribed in the URL.

- URL and stream name: https://developers.binance.com/docs/derivatives/usds-margined-futures/
  websocket-market-streams/All-Market-Liquidation-Order-Streams (base ``wss://fstream.binance.com``).
- Heartbeat: the server pings every 3 minutes and the websocket library pongs; no application ping.
- A connection lasts at most 24 h: the server closes it and the runner reconnects (a recorded gap).
- Geo-blocked regions complete the handshake and then send nothing: the watchdog flags that silence.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.binance_usdm.emulate import Binance

URL = "wss://fstream.binance.com/ws/!forceOrder@arr"


class _Probe(msgspec.Struct):
    e: str | None = None        # raw stream event type ("forceOrder")
    data: msgspec.Raw = msgspec.Raw()  # combined-stream payload (empty: absent)
    id: int | None = None       # method-call reply id ({"result": null, "id": 1})


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for method-call replies and errors: anything that is not a stream event."""
    try:
        p = _probe(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False  # not ours to judge: it is data (and the parser will quarantine it)
    return p.e is None and not p.data


def subscribe_none(_symbols: Sequence[str]) -> list[str]:
    """The stream is named in the URL: nothing to send."""
    return []


STREAM = StreamSpec(
    venue="binance_usdm",
    url=URL,
    dialect=Binance,
    subscribe=subscribe_none,
    control=is_control,
    # Real all-market recordings (src/liqscope/demo_data): the longest pause between two liquidations
    # was 61 s (2024-08-17, 30 min) and 95 s, once 404 s (2025-12-27/28, while recording).
    silence_s=300.0,
    notes="1 liquidation per symbol per 1000 ms (sampled); server pings every 3 min; 24 h connection limit",
)
