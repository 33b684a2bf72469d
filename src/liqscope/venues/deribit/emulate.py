# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# Deribit JSON-RPC: ``public/subscribe``, ``public/set_heartbeat`` and the server's ``test_request``
# heartbeat, which the client answers with ``public/test``.
from __future__ import annotations

import time
from typing import Any

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Deribit"]


class Deribit(Session):
    protocol = "deribit"
    paths = ("/ws/api/v2",)

    def _result(self, msg: dict[str, Any], result: Any) -> str:
        now_us = time.time_ns() // 1000
        return dump({"jsonrpc": "2.0", "id": msg.get("id"), "result": result, "usIn": now_us, "usOut": now_us,
                     "usDiff": 0, "testnet": False})

    def on_message(self, text: str) -> list[str]:
        msg = load(text)
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            return [dump({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})]
        method, params = msg.get("method"), msg.get("params") or {}
        if method == "public/subscribe":
            channels = [str(c) for c in params.get("channels", [])]
            self.subscribed = self.subscribed or any(c.startswith("trades.") for c in channels)
            return [self._result(msg, channels)]
        if method == "public/set_heartbeat":
            interval = float(params.get("interval", 0))
            if interval < 10:
                return [dump({"jsonrpc": "2.0", "id": msg.get("id"),
                              "error": {"code": 11029, "message": "invalid_arguments", "data": {"param": "interval"}}})]
            self.heartbeat_s = self._heartbeat_override or interval
            return [self._result(msg, "ok")]
        if method == "public/test":
            self.awaiting_test = False
            return [self._result(msg, {"version": "replay"})]
        return [dump({"jsonrpc": "2.0", "id": msg.get("id"), "error": {"code": -32601, "message": "Method not found"}})]

    def heartbeat(self) -> str | None:
        self.awaiting_test = True
        return dump({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}})
