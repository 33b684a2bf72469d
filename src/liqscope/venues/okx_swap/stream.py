"""OKX live stream: the ``liquidation-orders`` channel for instType SWAP (one subscription, all swaps).

- URL: ``wss://ws.okx.com:8443/ws/v5/public``; subscribe
  ``{"op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"}]}``
  (https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel).
- Heartbeat: OKX drops a connection idle for 30 s; send the text ``ping`` (reply ``pong``) every 20 s.
- After each subscribe OKX resends recent liquidations: the copies are stored and the ``standard``
  methodology counts each liquidation once (identity dedupe on ``event_id``).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.okx_swap.emulate import Okx

URL = "wss://ws.okx.com:8443/ws/v5/public"
SUBSCRIBE = {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}


class _Probe(msgspec.Struct):
    event: str | None = None  # subscribe / error / notice replies
    data: msgspec.Raw = msgspec.Raw()  # pushes carry data (empty: absent)


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for ``pong`` and ``event`` frames (acks, errors, notices)."""
    if raw.strip() == b"pong":
        return True
    try:
        p = _probe(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return p.event is not None or not p.data


def subscribe_swap(_symbols: Sequence[str]) -> list[str]:
    """One subscription covers every swap."""
    return [msgspec.json.encode(SUBSCRIBE).decode()]


STREAM = StreamSpec(
    venue="okx_swap",
    url=URL,
    dialect=Okx,
    subscribe=subscribe_swap,
    control=is_control,
    ping="ping",
    ping_interval_s=20.0,
    silence_s=300.0,
    notes="sampled ('doesn't represent the total'); recent orders resent after each subscribe; ping every 20 s",
)
