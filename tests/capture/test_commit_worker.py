"""The commit worker: group commits in their own process, a bounded backlog, and a death that is an error.

Real capture client, real replay server on loopback, real worker process; the 2024-08-17 Binance recording
(456 frames, PROVENANCE.md: $442,310.62914008 in 456 liquidations).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow.lib
import pytest

from liqscope.capture import Capture, CaptureResult, Feed, ReplayServer, transcripts_dir
from liqscope.errors import StoreError
from liqscope.store import Catalog
from liqscope.store._writer import Manifest
from liqscope.store.transcript import read_transcript, transcript_files
from tests._data import BINANCE_0817
from tests.capture._live import capture_through, options, run, totals, transcript
from tests.reliability import _lake

ws_server = pytest.importorskip("websockets.asyncio.server")

PROVENANCE = (Decimal("442310.62914008"), 456)


def _transcript_frames(catalog: Catalog) -> list[bytes]:
    return [ln.payload for ln in transcript(catalog, "binance_usdm") if ln.payload is not None]


def test_a_full_backlog_pauses_reading_and_loses_nothing(tmp_path):
    # The server sends all 456 frames at once, faster than commits of 40 take them (the first one waits for
    # the worker's resume), so the backlog fills at once.
    catalog = Catalog(tmp_path)
    result, _ = run(capture_through(catalog, [Feed.from_file("binance_usdm", BINANCE_0817)],
                                    expect={"binance_usdm": 456}, opts=options(max_uncommitted=40)))
    s = result.venues["binance_usdm"]
    assert s.paused >= 1 and s.paused_s > 0
    assert s.uncommitted_max == 40 and s.uncommitted == 0  # never more than the bound, nothing left over
    assert (s.events, s.duplicate_events, s.quarantined) == (456, 0, 0)
    assert (totals(catalog)["total_usd"], totals(catalog)["events"]) == PROVENANCE
    # Group commits: one batch per commit that held a frame, each a whole transcript member.
    batches = [m for m in _lake.manifests(tmp_path) if m.meta.get("kind") == "capture"]
    assert 456 / 40 <= len(batches) <= s.commits
    keys = [r["record_key"] for r in _lake.rows(tmp_path, "records")]
    assert len(keys) == len(set(keys)) == len(_transcript_frames(catalog)) == 456
    # Each batch's raw blob is its transcript member, byte for byte (the worker hands the member itself to
    # store_raw; tests/store/test_raw_once.py shows store_raw keeps it as it is).
    members = b"".join(p.read_bytes() for p in transcript_files(transcripts_dir(catalog), "binance_usdm"))
    blobs = [catalog.layout.raw_blob(m.inputs[0]).read_bytes() for m in batches]
    assert blobs and all(blob in members for blob in blobs)


def test_the_worker_dying_stops_the_capture_with_an_error_and_the_next_capture_commits_its_leftovers(tmp_path):
    async def main() -> tuple[StoreError, int]:
        feed = Feed.from_file("binance_usdm", BINANCE_0817, rate=150)
        async with ReplayServer([feed], speed=1.0) as server:
            opts = options(urls={"binance_usdm": server.url("binance_usdm")})
            cap = Capture(Catalog(tmp_path), ["binance_usdm"], opts)
            task = asyncio.create_task(cap.run(asyncio.Event()))
            while cap.stats["binance_usdm"].commits < 3:
                assert not task.done()
                await asyncio.sleep(0.01)
            pid = cap.worker_pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            with pytest.raises(StoreError) as caught:
                await asyncio.wait_for(task, 10)  # an error, not a hang
            assert time.monotonic() - t0 < 5
            # The next capture's worker commits what the dead one fsynced but never committed.
            again = await Capture(Catalog(tmp_path), ["binance_usdm"], opts).run(duration=0.5)
            return caught.value, again.resumed["binance_usdm"]

    err, resumed = asyncio.run(asyncio.wait_for(main(), 60))
    assert "capture commit worker" in str(err) and "was killed by SIGKILL" in str(err)
    frames = _transcript_frames(Catalog(tmp_path))
    keys = [r["record_key"] for r in _lake.rows(tmp_path, "records")]
    assert len(keys) == len(set(keys)) == len(frames)  # every fsynced frame in the lake, once
    assert resumed >= 0
    # What reached the transcripts is what the lake counts: every frame a distinct real liquidation.
    assert totals(Catalog(tmp_path))["events"] == len(set(frames)) <= 456
    torn = [read_transcript(p)[1] for p in transcript_files(transcripts_dir(Catalog(tmp_path)), "binance_usdm")]
    assert Counter(torn)[True] <= 1  # at most the member the kill cut short


def test_rollups_merge_the_small_batches_as_the_capture_goes_and_change_no_result(tmp_path):
    # 456 frames at 100 frames/s, a commit every 0.1 s: dozens of commits (even if the worker takes seconds to
    # start on a loaded machine), merged 4 at a time, retired at once.
    catalog = Catalog(tmp_path)
    feed = Feed.from_file("binance_usdm", BINANCE_0817, rate=100)
    result, _ = run(capture_through(catalog, [feed], speed=1.0, expect={"binance_usdm": 456},
                                    opts=options(rollup_fanout=4, rollup_grace_s=0.0)))
    s = result.venues["binance_usdm"]
    live = Catalog(tmp_path).manifests()
    levels = Counter(m.meta.get("rollup_level", "0") for m in live)
    retired = [msgspec.json.decode(p.read_bytes(), type=Manifest)
               for p in (tmp_path / "replaced_batches").glob("*.json")]
    # Fewer than 4 batches of any level are left unmerged, and each retired batch was merged by one rollup.
    assert s.commits >= 8 and set(levels) - {"0"} and all(n < 4 for n in levels.values()), (s.commits, levels)
    rollups = [m for m in [*live, *retired] if "rollup_level" in m.meta]
    assert sum(int(m.meta["merged_batches"]) for m in rollups) == len(retired) > 0
    assert all(m.meta["kind"] == "capture" for m in live)
    # Nothing lost or doubled, nothing left on disk that no batch lists, the same report.
    keys = [r["record_key"] for r in _lake.rows(tmp_path, "records")]
    assert len(keys) == len(set(keys)) == len(_transcript_frames(catalog)) == 456
    assert _lake.leftovers(tmp_path) == []
    assert (totals(catalog)["total_usd"], totals(catalog)["events"]) == PROVENANCE
    # The rollups' inputs still name every transcript member: a restart finds nothing to resume.
    again = run(Capture(Catalog(tmp_path), ["binance_usdm"], options(urls={"binance_usdm": "ws://127.0.0.1:9/"}))
                .run(duration=0.2))
    assert again.resumed == {"binance_usdm": 0}



@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
def test_the_rollup_thread_yields_the_cpu_to_the_group_commits(tmp_path):
    # A level-1 merge is a burst of CPU; the thread that runs it is niced 10 above the worker, so the commit
    # path (frame-to-queryable latency) is not delayed by it (bench: live p99 205 ms median of 5, 253 ms before).
    from liqscope.capture._committer import _ROLLUP_NICE, _Merger
    from liqscope.capture._rollup import Rollup

    merger = _Merger(Rollup(Catalog(tmp_path), fanout=4, grace_s=0.0))
    try:
        merger.put([])
        deadline = time.monotonic() + 10
        while not merger._todo.empty() and time.monotonic() < deadline:  # taken: its priority was set before
            time.sleep(0.01)
        tid = merger._thread.native_id
        assert tid is not None and merger._todo.empty()
        assert os.getpriority(os.PRIO_PROCESS, tid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + _ROLLUP_NICE)
    finally:
        merger.close()

def test_under_load_a_commit_starts_once_flush_frames_wait_not_after_the_whole_window(tmp_path):
    """With a 60 s window, 456 frames arriving over ~3 s are still committed as they come, in batches of at
    least `flush_frames` (the last one aside), instead of all at once when the capture stops."""
    catalog = Catalog(tmp_path)
    feed = Feed.from_file("binance_usdm", BINANCE_0817, rate=150.0)  # 456 frames over ~3 s
    result, _ = run(capture_through(catalog, [feed], expect={"binance_usdm": 456},
                                    opts=options(flush_s=60.0, flush_frames=100), speed=1.0))
    s = result.venues["binance_usdm"]
    assert (s.events, s.duplicate_events, s.quarantined) == (456, 0, 0)
    assert (totals(catalog)["total_usd"], totals(catalog)["events"]) == PROVENANCE
    batches = sorted((m for m in _lake.manifests(tmp_path) if m.meta.get("kind") == "capture"),
                     key=lambda m: int(m.meta["first_line"]))
    sizes = [sum(1 for r in _lake.rows(tmp_path, "records") if r["raw_ref"].startswith(m.inputs[0])) for m in batches]
    assert sum(sizes) == 456 and len(batches) >= 3  # one window would have given at most 2 (start, stop)
    assert all(n >= 100 for n in sizes[1:-1])  # no batch is cut smaller than flush_frames mid-stream


def _native_libraries(pid: int) -> set[Path]:
    # The shared objects mapped into a running process (none once it has exited: a zombie maps nothing).
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {Path(line.split()[-1]) for line in maps.splitlines() if ".so" in line}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the Linux process memory map")
def test_the_worker_has_done_its_imports_before_the_first_connection_is_accepted(tmp_path):
    """The worker's ~1 s interpreter start is paid before a recorder connects, not by the first frames: when
    the loopback server accepts the first connection, the worker is running with DuckDB's and Arrow's native
    libraries already loaded (its imports done), and nothing it received is lost."""
    frames = Feed.from_file("binance_usdm", BINANCE_0817).frames
    capture: list[Capture] = []
    at_accept: list[tuple[int | None, set[Path]]] = []

    async def handle(ws: Any) -> None:
        pid = capture[0].worker_pid
        at_accept.append((pid, _native_libraries(pid) if pid is not None else set()))
        for f in frames:
            await ws.send(f.decode())
        await ws.wait_closed()

    async def main() -> CaptureResult:
        async with ws_server.serve(handle, "127.0.0.1", 0) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws/!forceOrder@arr"
            capture.append(cap := Capture(Catalog(tmp_path), ["binance_usdm"], options(urls={"binance_usdm": url})))
            stop = asyncio.Event()
            task = asyncio.create_task(cap.run(stop))
            while cap.stats["binance_usdm"].data_frames < len(frames) and not task.done():
                await asyncio.sleep(0.01)
            stop.set()
            return await task

    result = run(main())
    (pid, libraries), *_ = at_accept
    assert pid is not None
    # The extension modules of DuckDB and Arrow, as this process loaded them: most of the import time.
    native = {Path(sys.modules[duckdb.DuckDBPyConnection.__module__].__file__ or ""), Path(pyarrow.lib.__file__)}
    assert native <= libraries, (native, libraries)
    assert result.venues["binance_usdm"].events == len(frames) == 456
    assert (totals(Catalog(tmp_path))["total_usd"], totals(Catalog(tmp_path))["events"]) == PROVENANCE


def test_a_worker_that_dies_while_starting_fails_the_capture_before_any_connection(tmp_path):
    """Killed before it could say "started", the worker fails the run with the usual error, no recorder
    ever connects, and the venue lock is released (the next capture of the data dir runs)."""

    async def main() -> tuple[StoreError, int, CaptureResult]:
        feed = Feed.from_file("binance_usdm", BINANCE_0817)
        async with ReplayServer([feed], speed=0) as server:
            opts = options(urls={"binance_usdm": server.url("binance_usdm")})
            cap = Capture(Catalog(tmp_path), ["binance_usdm"], opts)
            task = asyncio.create_task(cap.run(asyncio.Event(), duration=60))
            while cap.worker_pid is None:  # the worker has just been exec'd: it is still importing
                assert not task.done()
                await asyncio.sleep(0.001)
            os.kill(cap.worker_pid, signal.SIGKILL)
            with pytest.raises(StoreError) as caught:
                await asyncio.wait_for(task, 10)
            connections = server.connections("binance_usdm")
            again = await Capture(Catalog(tmp_path), ["binance_usdm"], opts).run(duration=0.2)
            return caught.value, connections, again

    err, connections, again = run(main())
    assert "capture commit worker" in str(err) and "was killed by SIGKILL" in str(err)
    assert connections == 0
    assert again.resumed == {"binance_usdm": 0}
