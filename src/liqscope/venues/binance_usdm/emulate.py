# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# Binance (USD-M and COIN-M): streams named in the URL path (``/ws/<stream>``) or query
# (``/stream?streams=``), or sent in a ``SUBSCRIBE`` method call, answered ``{"result": null, "id": ...}``.
from __future__ import annotations

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Binance"]


class Binance(Session):
    protocol = "binance"
    paths = ("/ws", "/stream")

    def __init__(self, path: str, conn_id: str, heartbeat_s: float | None = None) -> None:
        super().__init__(path, conn_id, heartbeat_s)
        streams = self.path.removeprefix("/ws").strip("/").split("/") if self.path.startswith("/ws") else []
        streams += [s for v in self.query.get("streams", []) for s in v.split("/")]
        self.subscribed = any(_is_force_order(s) for s in streams if s)

    def on_message(self, text: str) -> list[str]:
        msg = load(text)
        if not isinstance(msg, dict) or "method" not in msg:
            return [dump({"error": {"code": 3, "msg": "Invalid JSON: expected a method call"}, "id": None})]
        if msg["method"] == "SUBSCRIBE" and isinstance(msg.get("params"), list):
            self.subscribed = self.subscribed or any(_is_force_order(str(s)) for s in msg["params"])
            return [dump({"result": None, "id": msg.get("id")})]
        return [dump({"error": {"code": 2, "msg": f"Invalid request: unknown method {msg['method']!r}"},
                      "id": msg.get("id")})]


def _is_force_order(stream: str) -> bool:
    return stream == "!forceOrder@arr" or stream.endswith("@forceOrder")
