"""Run the real capture client against the real replay server on loopback, and read what it wrote."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from liqscope._time import parse_iso_ns
from liqscope.capture import Capture, CaptureOptions, CaptureResult, Fault, Feed, ReplayServer, transcripts_dir
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.store.transcript import TranscriptLine, iter_lines, read_transcript, transcript_files

# Venue time of every fixture, and receipt time of BitMEX rows (they carry no timestamp of their own).
WIDE = (parse_iso_ns("2015-01-01"), parse_iso_ns("2099-01-01"))
FAST = CaptureOptions(flush_s=0.1, backoff_base_s=0.02, backoff_cap_s=0.1, silence_s=10.0, seed=7)


def options(**kw: object) -> CaptureOptions:
    base = {f: getattr(FAST, f) for f in FAST.__dataclass_fields__}
    base.update(kw)
    return CaptureOptions(**base)  # type: ignore[arg-type]


async def capture_through(catalog: Catalog, feeds: Sequence[Feed], *, expect: Mapping[str, int],
                          faults: Mapping[str, Sequence[Fault]] | None = None, burst: int = 0, speed: float = 0,
                          heartbeat_s: float | None = None, linger_s: float = 0.0,
                          opts: CaptureOptions = FAST, timeout_s: float = 20.0) -> tuple[CaptureResult, ReplayServer]:
    """Capture ``feeds`` through a replay server until each venue has received ``expect`` data frames."""
    async with ReplayServer(feeds, speed=speed, faults=faults, burst=burst, heartbeat_s=heartbeat_s) as server:
        urls = {f.venue: server.url(f.venue) for f in feeds}
        cap = Capture(catalog, list(urls), CaptureOptions(**{**{k: getattr(opts, k) for k in opts.__dataclass_fields__},
                                                              "urls": urls}))
        stop = asyncio.Event()
        task = asyncio.create_task(cap.run(stop))
        deadline = time.monotonic() + timeout_s
        # Connected first (the recorders start once the commit worker has started), then the frames expected.
        while any(cap.stats[v].connections < 1 for v in urls) or any(
                cap.stats[v].data_frames < n for v, n in expect.items()):
            if task.done() or time.monotonic() > deadline:
                stop.set()
                await task
                raise AssertionError(f"capture did not receive {dict(expect)}: {cap.stats}")
            await asyncio.sleep(0.01)
        await asyncio.sleep(linger_s)
        stop.set()
        return await task, server


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def totals(catalog: Catalog, methodology: str = "standard", window: tuple[int, int] = WIDE) -> dict[str, object]:
    r = report(counted(catalog, load(methodology), *window))
    return {"total_usd": r.total_usd, "long_usd": r.long_usd, "short_usd": r.short_usd, "events": r.events,
            "long_events": r.long_events, "short_events": r.short_events,
            "by_venue": {t.name: (t.total_usd, t.events) for t in r.by_venue}}


def offline(tmp: Path, venue: str, files: Sequence[Path]) -> tuple[Catalog, list]:
    """Ingest the same frames from files (no sockets): the reference every capture must reproduce."""
    catalog = Catalog(tmp)
    return catalog, [ingest_file(catalog, venue, f) for f in files]


def transcript(catalog: Catalog, venue: str) -> list[TranscriptLine]:
    lines: list[TranscriptLine] = []
    for path in transcript_files(transcripts_dir(catalog), venue):
        data, torn = read_transcript(path)
        assert not torn
        lines.extend(iter_lines(data, name=str(path)))
    return lines


def dec(text: str) -> Decimal:
    return Decimal(text)
