# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# BitMEX: a welcome frame, topics in the ``?subscribe=`` query or an ``op: subscribe``; text ping.
from __future__ import annotations

import time

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Bitmex"]


class Bitmex(Session):
    protocol = "bitmex"
    paths = ("/realtime",)

    def hello(self) -> list[str]:
        out = [dump({"info": "Welcome to the BitMEX Realtime API.", "version": "replay",
                     "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                     "docs": "https://www.bitmex.com/app/wsAPI", "heartbeatEnabled": False,
                     "limit": {"remaining": 40}})]
        for topic in ",".join(self.query.get("subscribe", [])).split(","):
            if topic:
                out.extend(self._subscribe(topic))
        return out

    def _subscribe(self, topic: str) -> list[str]:
        request = {"op": "subscribe", "args": [topic]}
        if topic.split(":", 1)[0] != "liquidation":
            return [dump({"success": False, "error": f"Unknown table: {topic}", "request": request})]
        self.subscribed = True
        return [dump({"success": True, "subscribe": topic, "request": request})]

    def on_message(self, text: str) -> list[str]:
        if text == "ping":
            return ["pong"]
        msg = load(text)
        if isinstance(msg, dict) and msg.get("op") == "subscribe":
            args = msg.get("args")
            return [r for a in (args if isinstance(args, list) else [args]) for r in self._subscribe(str(a))]
        return [dump({"status": 400, "error": "Unknown or missing op", "request": msg})]
