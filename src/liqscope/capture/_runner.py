# Live capture: per venue, connect -> subscribe -> record every frame -> commit small batches to the lake,
# with heartbeats, a no-data watchdog, and reconnects with exponential backoff and jitter.
#
# Raw first: a frame is written to the transcript before anything parses it, and the transcript member is
# fsynced before its frames are committed to the lake. A crash between the two loses nothing that
# `ingest --format transcript` cannot put back.
from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from liqscope.capture._committer import Chunk
from liqscope.errors import ConfigError
from liqscope.store import Catalog
from liqscope.store._coverage import transcripts_dir
from liqscope.store.transcript import Marker, TranscriptWriter
from liqscope.venues._stream import StreamSpec

__all__ = ["Backoff", "CaptureOptions", "VenueStats"]


def _websockets() -> Any:
    try:
        import websockets.asyncio.client
        import websockets.exceptions
    except ImportError:
        raise ConfigError("live capture needs the websockets package: pip install 'liqscope[live]'") from None
    return websockets


async def first_to_end(*coros: Any) -> str:
    """Run one connection's tasks until the first ends, cancel the others, and say why the connection
    ended: "stopped", the peer's close, an exception, or the reason string a task returned (a watchdog)."""
    ws_lib = _websockets()
    tasks = {asyncio.create_task(c) for c in coros}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    reason = "stopped"
    for t in done:
        if t.cancelled():
            continue
        exc = t.exception()
        if isinstance(exc, ws_lib.exceptions.ConnectionClosed):
            rcvd = exc.rcvd
            reason = (f"closed by peer (code {rcvd.code}: {rcvd.reason or 'no reason'})" if rcvd is not None
                      else "connection lost (no close frame)")
        elif exc is not None:
            reason = f"{type(exc).__name__}: {exc}"
        elif isinstance(result := t.result(), str):
            reason = result
    return reason


class Backoff:
    """Exponential backoff with jitter: attempt n waits a uniform time in [d/2, d], d = min(cap, base * 2**n).

    Args:
        base: The first delay's upper bound, seconds.
        cap: The largest delay, seconds.
        rng: Source of jitter (seedable for tests).
    """

    def __init__(self, base: float = 0.5, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The next delay, in seconds."""
        d = min(self.cap, self.base * 2 ** min(self.attempt, 60))
        self.attempt += 1
        return self._rng.uniform(d / 2, d)

    def reset(self) -> None:
        """Start again from ``base`` (after a connection that delivered data)."""
        self.attempt = 0


@dataclass(frozen=True, kw_only=True)
class CaptureOptions:
    """Knobs of a capture run; the defaults suit production.

    Attributes:
        urls: Venue id -> websocket URL replacing the venue's own (the replay server's, a proxy's).
        symbols: Venue id -> symbols for venues with per-symbol topics (default: the stream's list).
        silence_s: Watchdog override for every venue (default: each stream's ``silence_s``).
        ping_s: Application-ping interval override (default: each stream's ``ping_interval_s``).
        flush_s: Group-commit window: the least time, in seconds, between the starts of two commits. A
            commit takes every frame received since the previous one, appends it to the transcript as one
            fsynced gzip member and commits it to the lake as one batch, in the commit worker process.
            When the feed is quiet a frame is queryable about ``flush_s`` after it arrived; under load the
            commits run back to back and grow with the rate.
        flush_frames: A commit starts before ``flush_s`` is over once a venue has this many frames waiting
            (and the previous commit is done): under load a frame waits for a batch of this size, not for the
            whole window (at 10k frames/s, 50 ms instead of 100 ms), and batches stay this big or bigger.
        max_uncommitted: Back-pressure: while this many frames of a venue are received but not yet
            committed, its socket is not read (TCP pushes back on the sender). A pause is not a gap (no
            frame is lost, the feed is read late); it is counted in ``VenueStats.paused``/``paused_s``.
        rollup_fanout: The commit worker merges every ``rollup_fanout`` batches of a level into one of the
            next level as it goes, so a reader lists a few dozen batches a day, not one per commit
            (0: never; ``liqscope compact`` merges a whole lake).
        rollup_grace_s: Seconds the batches a rollup replaced stay readable (queries that listed them
            finish) before their manifests move to ``replaced_batches/`` and their files are deleted.
        backoff_base_s: First reconnect delay bound; doubles per failed attempt, with jitter.
        backoff_cap_s: Largest reconnect delay.
        open_timeout_s: Seconds to wait for a websocket handshake.
        node_dir: Hyperliquid: the node's ``node_fills_by_block`` directory to tail.
        poll_s: Hyperliquid: seconds between polls of the node directory.
        seed: Seed of the jitter (None: random).
        refresh_instruments: First fetch contract sizes from REST (bundled snapshot when offline) and
            record their origin in each transcript header.
        on_commit: Called on the event loop after each lake commit; it must return at once
            (live alerts only wake their own thread: ``alerts.LiveAlerts.notify``).
        rpc_url: Lending venues: the JSON-RPC websocket URL of an Ethereum node (``urls`` may name one per
            venue). Only its host is written to transcripts (providers put API keys in the path).
        confirmations: Lending venues: blocks on top of a log's block before it counts (0: at once). A log
            a reorg removes before that never counts; one removed later is retracted.
        chain: Lending venues: the chain whose deployments are subscribed to.
    """

    urls: Mapping[str, str] = field(default_factory=dict)
    symbols: Mapping[str, Sequence[str]] = field(default_factory=dict)
    silence_s: float | None = None
    ping_s: float | None = None
    flush_s: float = 0.1
    flush_frames: int = 500
    max_uncommitted: int = 20_000
    rollup_fanout: int = 16
    rollup_grace_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    open_timeout_s: float = 10.0
    node_dir: Path | None = None
    poll_s: float = 0.5
    seed: int | None = None
    refresh_instruments: bool = False
    on_commit: Callable[[], None] | None = None
    rpc_url: str | None = None
    confirmations: int = 12  # DEFAULT_CONFIRMATIONS (capture/_evm.py says why)
    chain: str = "ethereum"


class VenueStats(msgspec.Struct, kw_only=True):
    """What one venue's capture saw (frames are websocket messages or node lines; events are liquidations).

    ``commits`` counts lake commits; ``uncommitted`` is the frames received and not yet committed (live),
    ``uncommitted_max`` its largest value;
    ``paused``/``paused_s`` count the times, and seconds, the socket was not read because
    ``CaptureOptions.max_uncommitted`` frames were waiting (back-pressure, not a gap).
    """

    venue: str
    connections: int = 0
    frames: int = 0
    data_frames: int = 0
    events: int = 0
    duplicate_events: int = 0
    skipped: int = 0
    quarantined: int = 0
    silences: int = 0
    disconnects: int = 0
    transcripts: list[str] = []
    last_error: str | None = None
    commits: int = 0
    uncommitted: int = 0
    uncommitted_max: int = 0
    paused: int = 0
    paused_s: float = 0.0
    lending: dict[str, int] = {}  # lending venues: logs confirmed, retracted, dropped unconfirmed, backfilled


def _now() -> int:
    return time.time_ns()


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class _Recorder:
    # Transcript + lake sink for one venue; subclasses produce the frames. The lines wait here until the
    # capture's commit loop takes them (``take``) for the commit worker (capture/_committer.py).
    def __init__(self, catalog: Catalog, venue: str, session: str, opts: CaptureOptions, header: dict[str, Any]):
        self.catalog, self.venue, self.session, self.opts = catalog, venue, session, opts
        self.writer = TranscriptWriter(transcripts_dir(catalog), venue, session, header)
        self.stats = VenueStats(venue=venue)
        self._unsent = self._inflight = 0  # frames not yet taken; frames taken, not yet committed
        self._room = asyncio.Event()
        self._room.set()
        self._paused_since = 0

    def frame(self, ts: int, conn: str, raw: bytes, *, data: bool) -> None:
        self.writer.frame(ts, conn, raw)
        s = self.stats
        s.frames += 1
        s.data_frames += int(data)
        self._unsent += 1
        s.uncommitted = self._unsent + self._inflight
        if s.uncommitted > s.uncommitted_max:
            s.uncommitted_max = s.uncommitted
        if s.uncommitted >= self.opts.max_uncommitted:
            self._room.clear()

    async def room(self) -> None:
        """Wait while the backlog is full (back-pressure: the caller stops reading its source meanwhile)."""
        if self._room.is_set():
            return
        self._paused_since = _now()
        self.stats.paused += 1
        try:
            await self._room.wait()
        finally:
            self.stats.paused_s += (_now() - self._paused_since) / 1e9
            self._paused_since = 0

    @property
    def waiting(self) -> int:
        """Frames received and not yet taken by a commit."""
        return self._unsent

    def take(self) -> list[Chunk]:
        """Hand the pending lines to a commit: one chunk per transcript file (two across UTC midnight)."""
        out = []
        for path, lines in self.writer.take(_now()):
            text = b"\n".join([line for line, _ in lines]) + b"\n"
            out.append((str(path), lines[0][1].file_line, text))
        self._inflight += self._unsent
        self._unsent = 0
        return out

    def committed(self, counters: dict[str, int]) -> None:
        """The taken chunks are in the lake: update the stats and make room."""
        s = self.stats
        s.events = counters["accepted"] + counters["duplicate"]
        s.duplicate_events, s.skipped = counters["duplicate"], counters["skipped"]
        s.quarantined = counters["quarantined"]
        s.commits += 1
        s.transcripts = [str(p) for p in self.writer.files]
        self._inflight = 0
        s.uncommitted = self._unsent
        if s.uncommitted < self.opts.max_uncommitted:
            self._room.set()

    async def run(self, stop: asyncio.Event) -> None:
        raise NotImplementedError


class _WebsocketCapture(_Recorder):
    def __init__(self, catalog: Catalog, stream: StreamSpec, session: str, opts: CaptureOptions) -> None:
        self.stream = stream
        self.url = opts.urls.get(stream.venue, stream.url)
        self.symbols = tuple(opts.symbols.get(stream.venue, stream.symbols))
        self.silence_s = opts.silence_s if opts.silence_s is not None else stream.silence_s
        self.ping_s = opts.ping_s if opts.ping_s is not None else stream.ping_interval_s
        super().__init__(catalog, stream.venue, session, opts,
                         {"url": self.url, "protocol": stream.protocol, "symbols": list(self.symbols),
                          "silence_s": self.silence_s})
        self._last_data = self._dead_at = 0

    async def run(self, stop: asyncio.Event) -> None:
        ws_lib = _websockets()
        backoff = Backoff(self.opts.backoff_base_s, self.opts.backoff_cap_s,
                          random.Random(self.opts.seed) if self.opts.seed is not None else None)
        down: tuple[int, str] | None = None  # when and why the previous connection was lost
        n = 0
        while not stop.is_set():
            n += 1
            conn = f"{self.session}.{n}"
            try:
                ws = await ws_lib.asyncio.client.connect(
                    self.url, open_timeout=self.opts.open_timeout_s, max_size=16 * 2**20, close_timeout=2,
                    proxy=None if _loopback(self.url) else True)
            except (OSError, TimeoutError, ws_lib.exceptions.WebSocketException) as e:
                reason = f"connect failed: {type(e).__name__}: {e}"
                self.writer.marker(_now(), conn, Marker.DISCONNECT, connected=False, reason=reason)
                self.stats.last_error = reason
                down = down or (_now(), reason)
                await _sleep_or_stop(backoff.next(), stop)
                continue
            now = _now()
            self.stats.connections += 1
            self.writer.marker(now, conn, Marker.CONNECT, url=self.url, attempt=n)
            if down is not None:
                self.writer.marker(now, conn, Marker.GAP, from_ns=down[0], to_ns=now, reason=down[1])
            frames = self.stream.subscribe_frames(self.symbols)
            if frames:
                self.writer.marker(now, conn, Marker.SUBSCRIBE, frames=frames)
            reason, got_data = await self._session(ws, ws_lib, conn, frames, stop, now)
            now = _now()
            self.writer.marker(now, conn, Marker.DISCONNECT, reason=reason)
            self.stats.disconnects += 1
            down = (self._dead_at or now, f"disconnected: {reason}")  # a silent feed was lost when it tripped
            if got_data:
                backoff.reset()
            if not stop.is_set():
                await _sleep_or_stop(backoff.next(), stop)

    async def _session(self, ws: Any, ws_lib: Any, conn: str, frames: list[str], stop: asyncio.Event,
                       connected: int) -> tuple[str, bool]:
        self._last_data, self._dead_at = connected, 0  # silence is counted from the CONNECT marker
        got = [False]

        async def receive() -> None:
            for f in frames:
                await ws.send(f)
            while True:
                await self.room()
                raw = await ws.recv(decode=False)
                ts = _now()
                data = not self.stream.control(raw)
                self.frame(ts, conn, raw, data=data)
                if data:
                    self._last_data, got[0] = ts, True
                answer = self.stream.reply(raw)
                if answer is not None:
                    await ws.send(answer)

        async def ping() -> None:
            while self.stream.ping is not None:
                await asyncio.sleep(self.ping_s)
                await ws.send(self.stream.ping)
            await asyncio.Event().wait()

        def silent(now: int, reason: str) -> None:
            self._dead_at = now
            self.writer.marker(now, conn, Marker.SILENT, since_ns=self._last_data, silence_s=self.silence_s,
                               reason=reason)
            self.stats.silences += 1

        async def watchdog() -> str:
            silence_ns = int(self.silence_s * 1e9)
            while True:
                await asyncio.sleep(min(self.silence_s / 4, 1.0))
                now = _now()
                if self._paused_since:  # we are not reading: the feed's silence cannot be told
                    self._last_data = max(self._last_data, now)
                    continue
                if now - self._last_data >= silence_ns:
                    reason = f"watchdog: no market data for {self.silence_s:g} s"
                    silent(now, reason)
                    return reason

        try:
            reason = await first_to_end(receive(), ping(), watchdog(), stop.wait())
        except asyncio.CancelledError:
            # The capture is failing (its commit worker died): drop the socket at once. A close handshake
            # could hold that error back for ``close_timeout``, and a socket nobody closes stays open until
            # the event loop ends (or the peer hangs up).
            ws.transport.abort()
            raise
        if not got[0] and not self._dead_at:  # a connection that never delivered data covered nothing
            silent(_now(), "no market data on this connection")
        if reason != "stopped":
            self.stats.last_error = reason
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 3)
        return reason, got[0]


def _loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")
