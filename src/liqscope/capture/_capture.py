# A capture run over several venues, and the blocking entry point the CLI uses (signals, clean stop).
from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import time
from collections.abc import Callable, Sequence

import msgspec

from liqscope._time import iso_ns
from liqscope.capture._committer import Committer
from liqscope.capture._refresh import INSTRUMENT_ENDPOINTS, InstrumentsOrigin, refresh_instruments
from liqscope.capture._resume import VenueLock
from liqscope.capture._runner import (
    CaptureOptions,
    VenueStats,
    _now,
    _Recorder,
    _sleep_or_stop,
    _WebsocketCapture,
    _websockets,
)
from liqscope.errors import ConfigError
from liqscope.store import Catalog
from liqscope.venues import get_venue
from liqscope.venues._lending import lending_venues
from liqscope.venues._stream import get_stream

__all__ = ["Capture", "CaptureResult", "capture", "capture_async"]

NODE_VENUE = "hyperliquid"
_WAIT_POLL_S = 0.005  # how often the commit loop looks at the venues' waiting frames between commits


class CaptureResult(msgspec.Struct, kw_only=True):
    """The outcome of a capture run."""

    session: str
    started: str
    stopped: str
    venues: dict[str, VenueStats]
    instruments: list[InstrumentsOrigin] = []
    resumed: dict[str, int] = {}  # venue -> frames a previous session flushed but had not committed


class Capture:
    """A capture run over several venues; ``stats`` is live while it runs.

    Args:
        catalog: The data directory (transcripts and lake).
        venue_ids: Venues to capture (``hyperliquid`` tails a node directory; the others are websockets).
        options: Knobs; see ``CaptureOptions``.

    Raises:
        UnknownName: A venue is not registered or has no live stream (lists the valid ones).
        ConfigError: The websockets package is missing, or Hyperliquid has no ``node_dir``.
    """

    def __init__(self, catalog: Catalog, venue_ids: Sequence[str], options: CaptureOptions | None = None) -> None:
        self.catalog = catalog
        self.options = opts = options or CaptureOptions()
        self.session = secrets.token_hex(4)
        self._recorders: list[_Recorder] = []
        self._resumed: dict[str, int] = {}
        self._committer: Committer | None = None
        for vid in venue_ids:
            get_venue(vid)
            if vid == NODE_VENUE:
                from liqscope.capture._node_tail import NodeTail

                if opts.node_dir is None:
                    raise ConfigError("hyperliquid live capture tails a node: give its node_fills_by_block "
                                      "directory (--node-dir)")
                self._recorders.append(NodeTail(catalog, self.session, opts))
            elif vid in lending_venues():
                from liqscope.capture._evm import EvmCapture

                self._recorders.append(EvmCapture(catalog, vid, self.session, opts))
            else:
                self._recorders.append(_WebsocketCapture(catalog, get_stream(vid), self.session, opts))
        if any(r.venue != NODE_VENUE for r in self._recorders):
            _websockets()
        self.stats = {r.venue: r.stats for r in self._recorders}

    @property
    def worker_pid(self) -> int | None:
        """The process id of this run's commit worker (None until it has started)."""
        return self._committer.pid if self._committer is not None else None

    async def _refresh(self) -> list[InstrumentsOrigin]:
        wanted = [r for r in self._recorders if r.venue in INSTRUMENT_ENDPOINTS]
        origins = await asyncio.gather(*(asyncio.to_thread(refresh_instruments, r.venue, self.catalog.root)
                                         for r in wanted))
        for r, (_, origin) in zip(wanted, origins, strict=True):
            r.writer.header["instruments"] = msgspec.to_builtins(origin)  # what this run used, in each file
        return [o for _, o in origins]

    async def _commit(self, committer: Committer) -> None:
        # One group commit: everything every venue received since the previous one.
        chunks = {r.venue: r.take() for r in self._recorders}
        chunks = {v: c for v, c in chunks.items() if c}
        if not chunks:
            return
        counters = await committer.commit(chunks)
        for r in self._recorders:
            if r.venue in chunks:
                r.committed(counters[r.venue])
        if self.options.on_commit is not None:
            self.options.on_commit()

    async def _commit_loop(self, committer: Committer, stop: asyncio.Event) -> None:
        # Waits until the (started) worker has resumed what an earlier session of this data dir flushed to its
        # transcripts but never committed (killed between the two), while the recorders already record; then
        # one group commit at a time. Never cancelled mid-commit: it ends after the commit in progress once
        # ``stop`` is set.
        self._resumed = await committer.ready()
        while not stop.is_set():
            started = time.monotonic()
            await self._commit(committer)
            await self._until_next(started + self.options.flush_s, stop)

    async def _until_next(self, deadline: float, stop: asyncio.Event) -> None:
        # Until the window is over, or a venue has ``flush_frames`` frames waiting, or the capture stops.
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or any(r.waiting >= self.options.flush_frames for r in self._recorders):
                return
            await _sleep_or_stop(min(left, _WAIT_POLL_S), stop)

    async def run(self, stop: asyncio.Event | None = None, duration: float | None = None) -> CaptureResult:
        """Capture until ``stop`` is set or ``duration`` seconds have passed, then commit and return.

        Raises:
            StoreError: The commit worker failed or died (the capture stops; the message says how).
        """
        stop = stop or asyncio.Event()
        started = _now()
        timer = asyncio.get_running_loop().call_later(duration, stop.set) if duration is not None else None
        locks: list[VenueLock] = []
        committer = self._committer = Committer(self.catalog.root, self.session, [r.venue for r in self._recorders],
                                                rollup_fanout=self.options.rollup_fanout,
                                                rollup_grace_s=self.options.rollup_grace_s)
        try:
            for r in self._recorders:
                locks.append(VenueLock(self.catalog, r.venue))
            instruments = await self._refresh() if self.options.refresh_instruments else []
            # The worker's interpreter start (~1 s of imports) is over before any socket opens: frames received
            # meanwhile would all wait for it. Its resume (after its commit locks, which a killed capture's
            # orphaned worker may still hold) may take seconds, so that runs while the recorders record.
            await asyncio.to_thread(committer.start)
            await committer.started()
        except BaseException:
            committer.close()
            for lock in locks:
                lock.release()
            if timer is not None:
                timer.cancel()
            raise
        tasks = [asyncio.create_task(r.run(stop)) for r in self._recorders]
        committing = asyncio.create_task(self._commit_loop(committer, stop))
        healthy = False
        try:
            await asyncio.wait([*tasks, committing], return_when=asyncio.FIRST_EXCEPTION)
            healthy = not (committing.done() and committing.exception() is not None)
        finally:
            stop.set()
            if timer is not None:
                timer.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                if healthy:
                    await committing
                    await self._commit(committer)  # the last frames and the DISCONNECT markers
                else:
                    await asyncio.gather(committing, return_exceptions=True)
            finally:
                committer.close()
                for lock in locks:
                    lock.release()
        if not healthy:
            await committing  # raises the worker's failure
        for t in tasks:
            if not t.cancelled() and (exc := t.exception()) is not None:
                raise exc
        return CaptureResult(session=self.session, started=iso_ns(started), stopped=iso_ns(_now()),
                             venues=dict(self.stats), instruments=instruments, resumed=self._resumed)


async def capture_async(catalog: Catalog, venue_ids: Sequence[str], *, stop: asyncio.Event | None = None,
                        duration: float | None = None, options: CaptureOptions | None = None) -> CaptureResult:
    """Capture ``venue_ids`` live until ``stop`` is set or ``duration`` seconds have passed.

    Every frame goes to ``DATA_DIR/transcripts/venue=<v>/date=<day>/*.tsv.gz`` and to the lake (the same
    tables ``ingest`` writes) by group commits at most every ``options.flush_s``, in a worker process.

    Raises:
        UnknownName: A venue is not registered or has no live stream (lists the valid ones).
        ConfigError: The websockets package is missing, or Hyperliquid has no ``node_dir``.
    """
    return await Capture(catalog, venue_ids, options).run(stop, duration)


def capture(catalog: Catalog, venue_ids: Sequence[str], *, duration: float | None = None,
            options: CaptureOptions | None = None, on_ready: Callable[[], None] | None = None) -> CaptureResult:
    """Run a capture until SIGINT/SIGTERM or ``duration``; each stops it cleanly (markers written, last
    batch committed, exit normally).

    Args:
        catalog: The data directory.
        venue_ids: Venues to capture.
        duration: Seconds to run (None: until a signal).
        options: Knobs; see ``CaptureOptions``.
        on_ready: Called once the signal handlers are in place (the CLI says "capturing" then).
    """
    capture_ = Capture(catalog, venue_ids, options)
    early: list[int] = []  # a signal between here and the event loop's handlers still stops cleanly
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: the caller handles signals
            previous[sig] = signal.signal(sig, lambda s, _frame: early.append(s))

    async def main() -> CaptureResult:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in previous:
            loop.add_signal_handler(sig, stop.set)
        if early:
            stop.set()
        if on_ready is not None:
            on_ready()
        try:
            return await capture_.run(stop, duration)
        finally:
            for sig in previous:
                loop.remove_signal_handler(sig)

    try:
        return asyncio.run(main())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
