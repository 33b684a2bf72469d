# The replay server's side of this venue's dialect (see liqscope.venues._emulate):
# Bybit v5 (linear and inverse): ``op: subscribe`` to ``allLiquidation.*`` / ``liquidation.*`` topics
# and ``op: ping``, each answered with a ``success`` frame.
from __future__ import annotations

from liqscope.venues._emulate import Session, dump, load

__all__ = ["Bybit"]


class Bybit(Session):
    protocol = "bybit"
    paths = ("/v5/public/linear", "/v5/public/inverse")

    def on_message(self, text: str) -> list[str]:
        msg = load(text)
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "ping":
            return [dump({"success": True, "ret_msg": "pong", "conn_id": self.conn_id, "op": "ping"})]
        if op == "subscribe" and isinstance(msg.get("args"), list):
            bad = [a for a in msg["args"] if not str(a).startswith(("allLiquidation.", "liquidation."))]
            if bad:
                return [dump({"success": False, "ret_msg": f"error:handler not found,topic:{bad[0]}",
                              "conn_id": self.conn_id, "req_id": msg.get("req_id", ""), "op": "subscribe"})]
            self.subscribed = True
            return [dump({"success": True, "ret_msg": "", "conn_id": self.conn_id,
                          "req_id": msg.get("req_id", ""), "op": "subscribe"})]
        return [dump({"success": False, "ret_msg": f"error:unknown op {op!r}", "conn_id": self.conn_id, "op": op})]
