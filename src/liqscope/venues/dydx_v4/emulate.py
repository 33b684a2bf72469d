# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# dYdX v4: a ``connected`` hello, then ``subscribe`` to ``v4_trades``, answered ``subscribed``.
from __future__ import annotations

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Dydx"]


class Dydx(Session):
    protocol = "dydx"
    paths = ("/v4/ws",)

    def __init__(self, path: str, conn_id: str, heartbeat_s: float | None = None) -> None:
        super().__init__(path, conn_id, heartbeat_s)
        self._message_id = 0

    def _next(self) -> int:
        self._message_id += 1
        return self._message_id

    def hello(self) -> list[str]:
        return [dump({"type": "connected", "connection_id": self.conn_id, "message_id": 0})]

    def on_message(self, text: str) -> list[str]:
        msg = load(text)
        if isinstance(msg, dict) and msg.get("type") == "subscribe" and msg.get("channel") == "v4_trades" \
                and msg.get("id"):
            self.subscribed = True
            return [dump({"type": "subscribed", "connection_id": self.conn_id, "message_id": self._next(),
                          "channel": "v4_trades", "id": msg["id"], "contents": {"trades": []}})]
        return [dump({"type": "error", "message": f"Invalid subscribe message: {text[:100]}",
                      "connection_id": self.conn_id, "message_id": self._next()})]
