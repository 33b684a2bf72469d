"""Deribit live stream: ``trades.future.{currency}.100ms`` (liquidations are flagged trades).

- URL: ``wss://www.deribit.com/ws/api/v2``; JSON-RPC ``public/subscribe``
  (https://docs.deribit.com/subscriptions/trades/tradesinstrument_nameinterval). The ``raw`` interval
  needs authentication; ``100ms`` batches trades without sampling them.
- Heartbeat: ``public/set_heartbeat`` asks the server for heartbeats; each ``test_request`` must be answered
  with ``public/test`` or Deribit closes the connection.
- Every trade is market data here, so the watchdog is short: BTC/ETH futures trade every second.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.deribit.emulate import Deribit

URL = "wss://www.deribit.com/ws/api/v2"
HEARTBEAT_S = 30
_TEST = '{"jsonrpc":"2.0","method":"public/test","id":9001,"params":{}}'


class _Params(msgspec.Struct):
    type: str = ""  # heartbeats: "heartbeat" or "test_request"


class _Probe(msgspec.Struct):
    method: str | None = None  # "subscription" (data) or "heartbeat"; RPC replies have none
    params: _Params | None = None


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for RPC replies and heartbeats: anything but a ``subscription`` notification."""
    try:
        return _probe(raw).method != "subscription"
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False


def reply(raw: bytes) -> str | None:
    """Answer a heartbeat ``test_request`` with ``public/test``."""
    try:
        p = _probe(raw)
        if p.method == "heartbeat" and p.params is not None and p.params.type == "test_request":
            return _TEST
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    return None


def subscribe(currencies: Sequence[str]) -> list[str]:
    """Ask for heartbeats, then subscribe to every future (perpetuals included) of each currency."""
    channels = [f"trades.future.{c}.100ms" for c in currencies]
    return [
        msgspec.json.encode({"jsonrpc": "2.0", "method": "public/set_heartbeat", "id": 1,
                             "params": {"interval": HEARTBEAT_S}}).decode(),
        msgspec.json.encode({"jsonrpc": "2.0", "method": "public/subscribe", "id": 2,
                             "params": {"channels": channels}}).decode(),
    ]


STREAM = StreamSpec(
    venue="deribit",
    url=URL,
    dialect=Deribit,
    subscribe=subscribe,
    symbols=("BTC", "ETH", "USDC"),  # currencies; USDC holds the linear perpetuals
    control=is_control,
    reply=reply,
    silence_s=120.0,
    notes="100ms batches (complete, not sampled); heartbeat test_request answered with public/test",
)
