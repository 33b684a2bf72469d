# The server side of each venue's subscribe/heartbeat dialect, enough of it for the replay server to
# stand in for the venue in front of the real capture client: it checks the URL path and the subscribe
# frames, acknowledges them the way the venue does (shapes taken from the venues' docs and from the real
# control frames in tests/fixtures), answers application pings, and drives Deribit's heartbeat.
#
# It does not filter data by topic: once the client has subscribed to the liquidation channel in a form
# the venue accepts, every recorded frame of that venue is replayed.
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Session", "new_session"]


def _j(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


class Session:
    """One client connection's protocol state."""

    paths: tuple[str, ...] = ()

    def __init__(self, path: str, conn_id: str, heartbeat_s: float | None = None) -> None:
        split = urlsplit(path)
        self.path, self.query = split.path, parse_qs(split.query)
        self.conn_id = conn_id
        self.subscribed = False
        self.heartbeat_s: float | None = None  # set when the dialect runs a server heartbeat
        self._heartbeat_override = heartbeat_s
        self.awaiting_test = False

    def path_error(self) -> str | None:
        """Why the URL path is not one the venue serves, or None."""
        if self.paths and not any(self.path == p or self.path.startswith(p + "/") for p in self.paths):
            return f"unknown path {self.path!r}; this venue serves {', '.join(self.paths)}"
        return None

    def hello(self) -> list[str]:
        """Frames the venue sends as soon as the connection opens."""
        return []

    def on_message(self, text: str) -> list[str]:
        """Replies to one client frame (acks, pongs, errors)."""
        return []

    def heartbeat(self) -> str | None:
        """The next server heartbeat frame (Deribit), or None."""
        return None


class Binance(Session):
    paths = ("/ws", "/stream")

    def __init__(self, path: str, conn_id: str, heartbeat_s: float | None = None) -> None:
        super().__init__(path, conn_id, heartbeat_s)
        streams = self.path.removeprefix("/ws").strip("/").split("/") if self.path.startswith("/ws") else []
        streams += [s for v in self.query.get("streams", []) for s in v.split("/")]
        self.subscribed = any(_is_force_order(s) for s in streams if s)

    def on_message(self, text: str) -> list[str]:
        msg = _loads(text)
        if not isinstance(msg, dict) or "method" not in msg:
            return [_j({"error": {"code": 3, "msg": "Invalid JSON: expected a method call"}, "id": None})]
        if msg["method"] == "SUBSCRIBE" and isinstance(msg.get("params"), list):
            self.subscribed = self.subscribed or any(_is_force_order(str(s)) for s in msg["params"])
            return [_j({"result": None, "id": msg.get("id")})]
        return [_j({"error": {"code": 2, "msg": f"Invalid request: unknown method {msg['method']!r}"},
                    "id": msg.get("id")})]


def _is_force_order(stream: str) -> bool:
    return stream == "!forceOrder@arr" or stream.endswith("@forceOrder")


class Bybit(Session):
    paths = ("/v5/public/linear", "/v5/public/inverse")

    def on_message(self, text: str) -> list[str]:
        msg = _loads(text)
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "ping":
            return [_j({"success": True, "ret_msg": "pong", "conn_id": self.conn_id, "op": "ping"})]
        if op == "subscribe" and isinstance(msg.get("args"), list):
            bad = [a for a in msg["args"] if not str(a).startswith(("allLiquidation.", "liquidation."))]
            if bad:
                return [_j({"success": False, "ret_msg": f"error:handler not found,topic:{bad[0]}",
                            "conn_id": self.conn_id, "req_id": msg.get("req_id", ""), "op": "subscribe"})]
            self.subscribed = True
            return [_j({"success": True, "ret_msg": "", "conn_id": self.conn_id,
                        "req_id": msg.get("req_id", ""), "op": "subscribe"})]
        return [_j({"success": False, "ret_msg": f"error:unknown op {op!r}", "conn_id": self.conn_id, "op": op})]


class Okx(Session):
    paths = ("/ws/v5/public",)

    def on_message(self, text: str) -> list[str]:
        if text == "ping":
            return ["pong"]
        msg = _loads(text)
        if not isinstance(msg, dict) or msg.get("op") != "subscribe" or not isinstance(msg.get("args"), list):
            return [_j({"event": "error", "code": "60012", "msg": f"Invalid request: {text[:100]}",
                        "connId": self.conn_id})]
        out = []
        for arg in msg["args"]:
            if isinstance(arg, dict) and arg.get("channel") == "liquidation-orders" and arg.get("instType"):
                self.subscribed = True
                out.append(_j({"event": "subscribe", "arg": arg, "connId": self.conn_id}))
            else:
                out.append(_j({"event": "error", "code": "60018", "msg": f"Wrong URL or channel:{_j(arg)}",
                               "connId": self.conn_id}))
        return out


class Bitmex(Session):
    paths = ("/realtime",)

    def hello(self) -> list[str]:
        out = [_j({"info": "Welcome to the BitMEX Realtime API.", "version": "replay",
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
            return [_j({"success": False, "error": f"Unknown table: {topic}", "request": request})]
        self.subscribed = True
        return [_j({"success": True, "subscribe": topic, "request": request})]

    def on_message(self, text: str) -> list[str]:
        if text == "ping":
            return ["pong"]
        msg = _loads(text)
        if isinstance(msg, dict) and msg.get("op") == "subscribe":
            args = msg.get("args")
            return [r for a in (args if isinstance(args, list) else [args]) for r in self._subscribe(str(a))]
        return [_j({"status": 400, "error": "Unknown or missing op", "request": msg})]


class Deribit(Session):
    paths = ("/ws/api/v2",)

    def _result(self, msg: dict[str, Any], result: Any) -> str:
        now_us = time.time_ns() // 1000
        return _j({"jsonrpc": "2.0", "id": msg.get("id"), "result": result, "usIn": now_us, "usOut": now_us,
                   "usDiff": 0, "testnet": False})

    def on_message(self, text: str) -> list[str]:
        msg = _loads(text)
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            return [_j({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})]
        method, params = msg.get("method"), msg.get("params") or {}
        if method == "public/subscribe":
            channels = [str(c) for c in params.get("channels", [])]
            self.subscribed = self.subscribed or any(c.startswith("trades.") for c in channels)
            return [self._result(msg, channels)]
        if method == "public/set_heartbeat":
            interval = float(params.get("interval", 0))
            if interval < 10:
                return [_j({"jsonrpc": "2.0", "id": msg.get("id"),
                            "error": {"code": 11029, "message": "invalid_arguments", "data": {"param": "interval"}}})]
            self.heartbeat_s = self._heartbeat_override or interval
            return [self._result(msg, "ok")]
        if method == "public/test":
            self.awaiting_test = False
            return [self._result(msg, {"version": "replay"})]
        return [_j({"jsonrpc": "2.0", "id": msg.get("id"), "error": {"code": -32601, "message": "Method not found"}})]

    def heartbeat(self) -> str | None:
        self.awaiting_test = True
        return _j({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}})


class Dydx(Session):
    paths = ("/v4/ws",)

    def __init__(self, path: str, conn_id: str, heartbeat_s: float | None = None) -> None:
        super().__init__(path, conn_id, heartbeat_s)
        self._message_id = 0

    def _next(self) -> int:
        self._message_id += 1
        return self._message_id

    def hello(self) -> list[str]:
        return [_j({"type": "connected", "connection_id": self.conn_id, "message_id": 0})]

    def on_message(self, text: str) -> list[str]:
        msg = _loads(text)
        if isinstance(msg, dict) and msg.get("type") == "subscribe" and msg.get("channel") == "v4_trades" \
                and msg.get("id"):
            self.subscribed = True
            return [_j({"type": "subscribed", "connection_id": self.conn_id, "message_id": self._next(),
                        "channel": "v4_trades", "id": msg["id"], "contents": {"trades": []}})]
        return [_j({"type": "error", "message": f"Invalid subscribe message: {text[:100]}",
                    "connection_id": self.conn_id, "message_id": self._next()})]


_DIALECTS: dict[str, type[Session]] = {"binance": Binance, "bybit": Bybit, "okx": Okx, "bitmex": Bitmex,
                                       "deribit": Deribit, "dydx": Dydx}


def new_session(protocol: str, path: str, conn_id: str, heartbeat_s: float | None = None) -> Session:
    """A server-side session of ``protocol`` for a client that connected to ``path``."""
    return _DIALECTS[protocol](path, conn_id, heartbeat_s)
