"""What a venue's live stream needs: URL, subscribe frames, heartbeats, and what is not market data.

Each venue declares one ``STREAM = StreamSpec(...)`` in ``liqscope/venues/<id>/stream.py``. The spec is
plain data plus small pure functions: no sockets here (the runner does the I/O).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from liqscope.errors import UnknownName
from liqscope.venues._emulate import Session

__all__ = ["StreamSpec", "dialects", "get_stream", "new_session", "stream_venues"]


def _no_reply(_raw: bytes) -> str | None:
    return None


@dataclass(frozen=True, kw_only=True)
class StreamSpec:
    """A venue's websocket liquidation stream.

    Attributes:
        venue: Venue id (as registered).
        url: Production websocket URL (``--url-override`` replaces it, e.g. with the replay server's).
        dialect: The server side of the venue's subscribe/heartbeat dialect (its ``emulate.py``), which the
            replay server speaks in the venue's place; ``protocol`` is its name.
        subscribe: Symbols -> the text frames to send after connecting (empty when the URL subscribes).
        symbols: Default symbols, for venues whose topics are per symbol (Bybit, dYdX).
        ping: Application-level ping text, sent every ``ping_interval_s`` (None: protocol pings only).
        ping_interval_s: Seconds between application pings.
        reply: Raw frame -> the text to answer it with (Deribit's heartbeat ``test_request``), or None.
        control: Raw frame -> True when it is not market data (acks, pongs, heartbeats). The watchdog
            ignores control frames: a connection that only acks and pongs is silent.
        silence_s: Watchdog: no market data for this long means the feed is silent (recorded as a gap,
            then the client reconnects). Pick it from how often the venue really sends data.
        notes: Facts behind the choices above, with their sources.
    """

    venue: str
    url: str
    dialect: type[Session]
    subscribe: Callable[[Sequence[str]], list[str]]
    control: Callable[[bytes], bool]
    silence_s: float
    symbols: tuple[str, ...] = ()
    ping: str | None = None
    ping_interval_s: float = 20.0
    reply: Callable[[bytes], str | None] = field(default=_no_reply)
    notes: str = ""

    @property
    def protocol(self) -> str:
        """The name of the venue's dialect ("binance", "bybit", ...): venues that share one share the name."""
        return self.dialect.protocol

    def subscribe_frames(self, symbols: Sequence[str] | None = None) -> list[str]:
        """The frames to send after connecting, for ``symbols`` (default: ``self.symbols``)."""
        return self.subscribe(tuple(symbols) if symbols is not None else self.symbols)


def get_stream(venue: str) -> StreamSpec:
    """The stream spec of ``venue``: ``liqscope.venues.<venue>.stream.STREAM``.

    Raises:
        UnknownName: The venue has no live stream; the message lists the venues that have one.
    """
    try:
        module = importlib.import_module(f"liqscope.venues.{venue}.stream")
    except ModuleNotFoundError as e:
        if e.name not in (f"liqscope.venues.{venue}.stream", f"liqscope.venues.{venue}"):
            raise
        raise UnknownName("venue with a live stream", venue, stream_venues()) from None
    spec: StreamSpec = module.STREAM
    return spec


def stream_venues() -> list[str]:
    """Every registered venue id with a live stream spec (a ``stream.py`` in its folder)."""
    from liqscope._registry import venues

    out = set()
    for vid in venues():
        try:
            importlib.import_module(f"liqscope.venues.{vid}.stream")
            out.add(vid)
        except ModuleNotFoundError:
            pass
    return sorted(out)


def dialects() -> dict[str, type[Session]]:
    """Every dialect the replay server speaks, by protocol name: each venue stream's ``StreamSpec.dialect``."""
    return {get_stream(v).protocol: get_stream(v).dialect for v in stream_venues()}


def new_session(protocol: str, path: str, conn_id: str, heartbeat_s: float | None = None) -> Session:
    """A server-side session of ``protocol`` for a client that connected to ``path``."""
    return dialects()[protocol](path, conn_id, heartbeat_s)
