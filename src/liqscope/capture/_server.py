# A real websocket server on loopback that stands in for venues: it speaks each venue's subscribe dialect
# (liqscope.capture._emulate) and replays recorded frames, at their original pace or scaled, with faults
# injected on request. One server serves many venues, by path: ws://127.0.0.1:PORT/<venue><venue's path>.
#
# Each venue has one replay cursor shared by its connections: frames sent on a connection that is then
# dropped are not sent again (except by an explicit burst), and a reconnecting client resumes where the
# previous connection stopped, so a capture through the server can be compared exactly with an offline
# ingest of the same frames.
from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from liqscope.capture._emulate import Session, new_session
from liqscope.capture.spec import get_stream
from liqscope.capture.transcript import is_transcript, iter_lines, read_transcript
from liqscope.errors import ConfigError, InputUnreadable, UnknownName

__all__ = ["FAULT_KINDS", "Fault", "Feed", "ReplayServer"]

FaultKind = Literal["drop", "stall", "malformed", "mute", "slow", "reorder", "skew"]
FAULT_KINDS: tuple[str, ...] = ("drop", "stall", "malformed", "mute", "slow", "reorder", "skew")
# The kinds that take a number after ``:``, and whether it is required.
_ARG_REQUIRED = {"stall": False, "slow": True, "reorder": True, "skew": True}


@dataclass(frozen=True)
class Fault:
    """A fault injected when ``at`` frames of the feed have been sent.

    Attributes:
        kind: ``drop`` (the connection is cut: TCP FIN without a websocket close frame), ``stall`` (no more
            data on this connection, which stays open and keeps answering pings and acks), or ``malformed``
            (an extra frame, the next frame cut in half, is sent first), or ``mute`` (from here on every
            connection is accepted and acknowledged and gets no data: a geo-blocked venue), ``slow`` (from
            here on, on every connection, each frame is sent ``seconds`` after the previous one, whatever
            its recorded pace: a trickling sender), ``reorder`` (the next ``seconds`` frames are sent in
            reverse order: venue times go backwards), or ``skew`` (from here on, every epoch-millisecond
            timestamp in a frame, a bare or quoted 13-digit integer, is shifted so that the frame's latest
            one reads the send time plus ``seconds``: a venue clock ahead, or behind when negative; the
            recording's venue times also become fresh). ``mute``, ``slow`` and ``skew`` are never used up;
            the others fire once.
        at: Number of feed frames sent before the fault.
        seconds: ``stall``: resume on the same connection after this long (None: never, until the client
            reconnects); ``slow``: seconds between frames; ``reorder``: how many frames (an integer);
            ``skew``: seconds the venue clock is ahead (negative: behind).
    """

    kind: FaultKind
    at: int
    seconds: float | None = None

    @classmethod
    def parse(cls, text: str) -> Fault:
        """Parse ``drop@100``, ``stall@200``, ``stall@200:5``, ``malformed@50``, ``mute@0``, ``slow@10:0.5``,
        ``reorder@10:5`` or ``skew@0:-30``.

        Raises:
            UnknownName: Unknown kind (lists the valid ones).
            ConfigError: Malformed text.
        """
        kind, sep, rest = text.partition("@")
        if kind not in FAULT_KINDS:
            raise UnknownName("fault", kind, FAULT_KINDS)
        at, _, secs = rest.partition(":")
        if not sep or not at.isdigit() or (bool(secs) if kind not in _ARG_REQUIRED else
                                           _ARG_REQUIRED[kind] and not secs):
            raise ConfigError(f"fault {text!r}: expected KIND@FRAMES (e.g. drop@100), stall@FRAMES[:SECONDS], "
                              "slow@FRAMES:SECONDS, reorder@FRAMES:COUNT or skew@FRAMES:SECONDS")
        try:
            value = float(secs) if secs else None
        except ValueError:
            raise ConfigError(f"fault {text!r}: {secs!r} is not a number") from None
        if value is not None and (value != value or abs(value) == float("inf") or (kind != "skew" and value < 0)
                                  or (kind == "reorder" and (value < 2 or not value.is_integer()))):
            raise ConfigError(f"fault {text!r}: {secs!r} is out of range (reorder: an integer >= 2; "
                              "skew: any finite number; otherwise >= 0)")
        return cls(kind, int(at), value)  # type: ignore[arg-type]  # kind is in FAULT_KINDS (checked above)


@dataclass
class Feed:
    """The frames one venue replays, and when (ns offsets; None: no recorded timing).

    Control frames (acks, pongs, heartbeats: ``StreamSpec.control``) are left out: the server makes its own.
    """

    venue: str
    frames: list[bytes]
    times: list[int] | None = None

    @classmethod
    def from_file(cls, venue: str, path: Path, *, rate: float | None = None) -> Feed:
        """Read a transcript (timed by its receipt times) or a JSONL file of raw frames (timed by ``rate``
        frames per second, or untimed).

        Raises:
            InputUnreadable: The file cannot be read.
            UnknownName: The venue has no live stream.
        """
        control = get_stream(venue).control
        data, _ = read_transcript(Path(path))  # gzip (one or many members) or plain
        frames: list[bytes] = []
        times: list[int] | None = []
        if is_transcript(data):
            for ln in iter_lines(data, name=str(path)):
                if ln.marker is None and ln.payload is not None and not control(ln.payload):
                    frames.append(ln.payload)
                    times.append(ln.ts)  # type: ignore[union-attr]  # a list in this branch
        else:
            frames = [ln for ln in (raw.rstrip(b"\r") for raw in data.split(b"\n")) if ln.strip() and not control(ln)]
            times = [int(i * 1e9 / rate) for i in range(len(frames))] if rate else None
        if not frames:
            raise InputUnreadable(f"{path}: no {venue} data frames to replay")
        return cls(venue, frames, times)


@dataclass
class _State:
    feed: Feed
    protocol: str
    upstream: str                   # the venue's own URL path (and query)
    faults: list[Fault]
    cursor: int = 0
    connections: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    sender: asyncio.Task[None] | None = None
    slow_s: float | None = None     # persistent faults, once triggered
    skew_ns: int | None = None
    reversed_spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) sent back to front

    def index(self, position: int) -> int:
        # Which feed frame goes out at this position of the replay (reorder permutes within a span).
        for start, end in self.reversed_spans:
            if start <= position < end:
                return start + end - 1 - position
        return position


def _upstream_path(url: str) -> str:
    s = urlsplit(url)
    return (s.path or "/") + (f"?{s.query}" if s.query else "")


class ReplayServer:
    """Replay venues' recorded frames over real websockets on loopback.

    Args:
        feeds: One feed per venue.
        port: TCP port (0: any free port; see ``port`` after ``start``).
        speed: 1 = original pace, 10 = ten times faster, 0 = as fast as possible.
        max_pause_s: Longest pause between two frames, however far apart they were recorded.
        faults: Venue id -> faults, each triggered once.
        burst: After every reconnect, first resend the last ``burst`` frames (like OKX's resend).
        heartbeat_s: Deribit dialect: heartbeat interval, overriding the one the client asked for.
        host: Interface to listen on; loopback by default.
    """

    def __init__(self, feeds: Sequence[Feed], *, port: int = 0, speed: float = 1.0, max_pause_s: float = 10.0,
                 faults: Mapping[str, Sequence[Fault]] | None = None, burst: int = 0,
                 heartbeat_s: float | None = None, host: str = "127.0.0.1") -> None:
        self.host, self.port, self.speed, self.max_pause_s = host, port, speed, max_pause_s
        self.burst, self.heartbeat_s = burst, heartbeat_s
        faults = faults or {}
        self._states: dict[str, _State] = {}
        for feed in feeds:
            stream = get_stream(feed.venue)
            self._states[feed.venue] = _State(feed=feed, protocol=stream.protocol, upstream=_upstream_path(stream.url),
                                              faults=sorted(faults.get(feed.venue, ()), key=lambda f: f.at))
        unknown = set(faults) - set(self._states)
        if unknown:
            raise UnknownName("venue with faults but no feed", sorted(unknown)[0], self._states)
        self._server: Any = None

    async def start(self) -> ReplayServer:
        """Start listening."""
        try:
            from websockets.asyncio.server import serve
        except ImportError:
            raise ConfigError("the replay server needs the websockets package: pip install 'liqscope[live]'") from None
        self._server = await serve(self._handle, self.host, self.port, max_size=None, ping_interval=20)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> ReplayServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def venues(self) -> list[str]:
        """The venues this server replays."""
        return sorted(self._states)

    def url(self, venue: str) -> str:
        """The URL that replaces ``venue``'s own (``capture --url-override venue=URL``)."""
        return f"ws://{self.host}:{self.port}/{venue}{self._states[venue].upstream}"

    def finished(self, venue: str) -> asyncio.Event:
        """Set once every frame of ``venue``'s feed has been sent."""
        return self._states[venue].finished

    def connections(self, venue: str) -> int:
        """How many connections ``venue`` has received."""
        return self._states[venue].connections

    # -- serving ---------------------------------------------------------------------------------------
    async def _handle(self, ws: Any) -> None:
        venue, _, rest = ws.request.path.lstrip("/").partition("/")
        state = self._states.get(venue)
        if state is None:
            await ws.close(1008, f"unknown venue {venue!r}; serving {', '.join(sorted(self._states))}")
            return
        session = new_session(state.protocol, "/" + rest, secrets.token_hex(4), self.heartbeat_s)
        if (err := session.path_error()) is not None:
            await ws.close(1008, err)
            return
        state.connections += 1
        reconnect = state.connections > 1
        subscribed = asyncio.Event()
        for frame in session.hello():
            await ws.send(frame)
        if session.subscribed:
            subscribed.set()
        tasks = [asyncio.create_task(self._read(ws, session, subscribed)),
                 asyncio.create_task(self._send(ws, state, subscribed, reconnect)),
                 asyncio.create_task(self._heartbeat(ws, session))]
        if state.sender is not None:  # one replaying connection per venue: the newest wins
            state.sender.cancel()
        state.sender = tasks[1]
        try:
            # Ends when the client goes away (reader) or the connection is dropped on purpose (sender).
            await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _read(ws: Any, session: Session, subscribed: asyncio.Event) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                for reply in session.on_message(text):
                    await ws.send(reply)
                if session.subscribed:
                    subscribed.set()

    async def _heartbeat(self, ws: Any, session: Session) -> None:
        while True:
            await asyncio.sleep(session.heartbeat_s or 0.05)
            if session.heartbeat_s is None:
                continue
            if session.awaiting_test:  # the client did not answer the last test_request: Deribit hangs up
                await ws.close(1000, "heartbeat test_request unanswered")
                return
            frame = session.heartbeat()
            if frame is not None:
                await ws.send(frame)

    async def _send(self, ws: Any, state: _State, subscribed: asyncio.Event, reconnect: bool) -> None:
        await subscribed.wait()
        frames, times = state.feed.frames, state.feed.times
        if reconnect and self.burst:
            for i in range(max(0, state.cursor - self.burst), state.cursor):
                await ws.send(_wire(frames[state.index(i)]))
        while state.cursor < len(frames):
            while state.faults and state.faults[0].at <= state.cursor:
                if state.faults[0].kind == "mute":
                    await asyncio.Event().wait()  # acks and pongs only, on this and every later connection
                fault = state.faults.pop(0)
                if fault.kind == "slow":
                    state.slow_s = fault.seconds
                elif fault.kind == "skew":
                    state.skew_ns = int(fault.seconds * 1e9)  # type: ignore[operator]  # parse() requires seconds here
                elif fault.kind == "reorder":
                    end = min(len(frames), state.cursor + int(fault.seconds))  # type: ignore[arg-type]  # required here
                    state.reversed_spans.append((state.cursor, end))
                elif fault.kind == "malformed":
                    raw = frames[state.index(state.cursor)]
                    await ws.send(raw[: len(raw) // 2].decode("utf-8", "ignore"))
                elif fault.kind == "drop":
                    await _drop(ws)
                    return
                elif fault.seconds is None:
                    await asyncio.Event().wait()  # stalled until the client goes away
                else:
                    await asyncio.sleep(fault.seconds)
            if state.slow_s is not None:
                await asyncio.sleep(state.slow_s)
            elif times is not None and self.speed > 0 and state.cursor > 0:
                pause = (times[state.cursor] - times[state.cursor - 1]) / 1e9 / self.speed
                await asyncio.sleep(min(max(pause, 0.0), self.max_pause_s))
            raw = frames[state.index(state.cursor)]
            if state.skew_ns is not None:
                raw = _retime(raw, time.time_ns() + state.skew_ns)
            await ws.send(_wire(raw))
            state.cursor += 1
        state.finished.set()
        await asyncio.Event().wait()  # stay connected, quiet: the recording is over


# An epoch-millisecond timestamp, 2014-05 .. 2096, not part of a longer number.
_EPOCH_MS = re.compile(rb"(?<![0-9.])(?:1[4-9][0-9]{11}|[23][0-9]{12})(?![0-9.])")


def _retime(raw: bytes, target_ns: int) -> bytes:
    # Shift every epoch-ms timestamp of the frame by one offset, so its latest one reads target_ns (truncated
    # to ms); the frame's other bytes, and the spacing of its timestamps, are unchanged.
    found = [int(m) for m in _EPOCH_MS.findall(raw)]
    if not found:
        return raw
    delta = target_ns // 1_000_000 - max(found)
    return _EPOCH_MS.sub(lambda m: str(int(m.group()) + delta).encode(), raw)


def _wire(raw: bytes) -> str | bytes:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


async def _drop(ws: Any) -> None:
    # Cut the connection without a websocket close frame: FIN after everything already sent.
    transport = ws.transport
    if transport.can_write_eof():
        transport.write_eof()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ws.wait_closed(), 2)
    transport.abort()
