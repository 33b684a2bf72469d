# The server side of a venue's subscribe/heartbeat dialect, enough of it for the replay server
# (liqscope.capture._server) to stand in for the venue in front of the real capture client: it checks the URL
# path and the subscribe frames, acknowledges them the way the venue does (shapes taken from the venues' docs
# and from the real control frames in tests/fixtures), answers application pings, and drives Deribit's
# heartbeat. Each dialect lives in its venue's folder (``venues/<id>/emulate.py``) and is named by the
# venue's ``StreamSpec.dialect`` (``liqscope.venues._stream.new_session``); this module holds what they share.
#
# It does not filter data by topic: once the client has subscribed to the liquidation channel in a form
# the venue accepts, every recorded frame of that venue is replayed.
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Session", "dump", "load"]


def dump(obj: Any) -> str:
    """Compact JSON text, as the venues send it."""
    return json.dumps(obj, separators=(",", ":"))


def load(text: str) -> Any:
    """The JSON value of a client frame, or None when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


class Session:
    """One client connection's protocol state; each venue's ``emulate.py`` subclasses it."""

    protocol: str = ""  # the dialect's name, e.g. "binance" (StreamSpec.protocol)
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
