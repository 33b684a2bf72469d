# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# OKX v5: ``op: subscribe`` to the ``liquidation-orders`` channel; text ``ping`` / ``pong``.
from __future__ import annotations

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Okx"]


class Okx(Session):
    protocol = "okx"
    paths = ("/ws/v5/public",)

    def on_message(self, text: str) -> list[str]:
        if text == "ping":
            return ["pong"]
        msg = load(text)
        if not isinstance(msg, dict) or msg.get("op") != "subscribe" or not isinstance(msg.get("args"), list):
            return [dump({"event": "error", "code": "60012", "msg": f"Invalid request: {text[:100]}",
                          "connId": self.conn_id})]
        out = []
        for arg in msg["args"]:
            if isinstance(arg, dict) and arg.get("channel") == "liquidation-orders" and arg.get("instType"):
                self.subscribed = True
                out.append(dump({"event": "subscribe", "arg": arg, "connId": self.conn_id}))
            else:
                out.append(dump({"event": "error", "code": "60018", "msg": f"Wrong URL or channel:{dump(arg)}",
                                 "connId": self.conn_id}))
        return out
