# A capture run over several venues, and the blocking entry point the CLI uses (signals, clean stop).
from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import Callable, Sequence

import msgspec

from liqscope._time import iso_ns
from liqscope.capture._refresh import INSTRUMENT_ENDPOINTS, InstrumentsOrigin, refresh_instruments
from liqscope.capture._resume import VenueLock, commit_uncommitted
from liqscope.capture._runner import CaptureOptions, VenueStats, _now, _Recorder, _WebsocketCapture, _websockets
from liqscope.capture.spec import get_stream
from liqscope.errors import ConfigError
from liqscope.store import Catalog
from liqscope.venues import get_venue

__all__ = ["Capture", "CaptureResult", "capture", "capture_async"]

NODE_VENUE = "hyperliquid"


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
        for vid in venue_ids:
            get_venue(vid)
            if vid == NODE_VENUE:
                from liqscope.capture._node_tail import NodeTail

                if opts.node_dir is None:
                    raise ConfigError("hyperliquid live capture tails a node: give its node_fills_by_block "
                                      "directory (--node-dir)")
                self._recorders.append(NodeTail(catalog, self.session, opts))
            else:
                self._recorders.append(_WebsocketCapture(catalog, get_stream(vid), self.session, opts))
        if any(isinstance(r, _WebsocketCapture) for r in self._recorders):
            _websockets()
        self.stats = {r.venue: r.stats for r in self._recorders}

    async def _refresh(self) -> list[InstrumentsOrigin]:
        wanted = [r for r in self._recorders if r.venue in INSTRUMENT_ENDPOINTS]
        origins = await asyncio.gather(*(asyncio.to_thread(refresh_instruments, r.venue, self.catalog.root)
                                         for r in wanted))
        for r, (_, origin) in zip(wanted, origins, strict=True):
            r.writer.header["instruments"] = msgspec.to_builtins(origin)  # what this run used, in each file
        return [o for _, o in origins]

    async def _resume(self) -> dict[str, int]:
        # Before recording anything: commit what an earlier session of this data dir flushed to its
        # transcripts but never committed (it was killed between the two), so no accepted frame is lost.
        out = {}
        for r in self._recorders:
            result = await asyncio.to_thread(commit_uncommitted, self.catalog, r.venue, session=self.session)
            out[r.venue] = result.records - result.already_present
        return out

    async def run(self, stop: asyncio.Event | None = None, duration: float | None = None) -> CaptureResult:
        """Capture until ``stop`` is set or ``duration`` seconds have passed, then flush and return."""
        stop = stop or asyncio.Event()
        started = _now()
        timer = asyncio.get_running_loop().call_later(duration, stop.set) if duration is not None else None
        locks: list[VenueLock] = []
        try:
            for r in self._recorders:
                locks.append(VenueLock(self.catalog, r.venue))
            resumed = await self._resume()
            instruments = await self._refresh() if self.options.refresh_instruments else []
        except BaseException:
            for lock in locks:
                lock.release()
            if timer is not None:
                timer.cancel()
            raise
        tasks = [asyncio.create_task(r.run(stop)) for r in self._recorders]
        flushers = [asyncio.create_task(r.flusher(stop)) for r in self._recorders]
        try:
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            if timer is not None:
                timer.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, *flushers, return_exceptions=True)
            try:
                for r in self._recorders:
                    await r.flush()
            finally:
                for lock in locks:
                    lock.release()
        return CaptureResult(session=self.session, started=iso_ns(started), stopped=iso_ns(_now()),
                             venues=dict(self.stats), instruments=instruments, resumed=resumed)


async def capture_async(catalog: Catalog, venue_ids: Sequence[str], *, stop: asyncio.Event | None = None,
                        duration: float | None = None, options: CaptureOptions | None = None) -> CaptureResult:
    """Capture ``venue_ids`` live until ``stop`` is set or ``duration`` seconds have passed.

    Every frame goes to ``DATA_DIR/transcripts/venue=<v>/date=<day>/*.tsv.gz`` and, every
    ``options.flush_s``, to the lake (the same tables ``ingest`` writes).

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
