"""A restarted capture commits what the killed one flushed to its transcript but never committed.

A real ``liqscope capture`` process records the real 2024-08-17 Binance recording (456 frames) from a real
``liqscope replay-server`` on loopback; its commit worker is SIGKILLed inside its first lake commit
(``LIQSCOPE_CRASH_AT=1``: the transcript member is fsynced, the batch is not committed) and the capture stops
with an error naming the worker. The next ``capture`` of the same data dir
first commits that member, then records on (the server resends every frame sent so far after a reconnect,
``--burst 456``, so what the kill cut off in flight arrives again), and no ``ingest`` is run in between.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from liqscope.capture import Capture, transcripts_dir
from liqscope.capture._resume import commit_uncommitted
from liqscope.errors import ConfigError
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.store.transcript import iter_lines, read_transcript, transcript_files
from tests._data import BINANCE_0817
from tests.capture._live import FAST, WIDE
from tests.reliability import _lake
from tests.reliability.test_kill_capture import _read_json

pytest.importorskip("websockets")

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _liqscope(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "liqscope", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or ENV)


def _frames(root, session: str | None = None) -> list[bytes]:
    out = []
    for path in transcript_files(transcripts_dir(Catalog(root)), "binance_usdm"):
        if session is None or path.name.endswith(f"-{session}.tsv.gz"):
            data, _ = read_transcript(path)
            out += [ln.payload for ln in iter_lines(data, name=str(path)) if ln.payload is not None]
    return out


def _sessions(root) -> list[str]:
    paths = transcript_files(transcripts_dir(Catalog(root)), "binance_usdm")
    return sorted({p.name.removesuffix(".tsv.gz").split("-", 1)[1] for p in paths})


def _events_without_raw_ref(root) -> Counter[tuple]:
    return Counter(tuple(sorted((k, v) for k, v in r.items() if k != "raw_ref")) for r in _lake.rows(root, "events"))


def test_a_capture_killed_before_its_commit_is_completed_by_the_next_capture(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()))
    root = tmp_path / "live"
    server = _liqscope("replay-server", "--feed", f"binance_usdm={feed}", "--rate", "150", "--burst", "456", "--json")
    try:
        url = _read_json(server)["urls"]["binance_usdm"]
        argv = ["capture", "--venue", "binance_usdm", "--url-override", f"binance_usdm={url}", "--data-dir",
                str(root), "--no-refresh-instruments", "--flush", "0.2", "--json"]
        log = tmp_path / "crash.log"
        killed = _liqscope(*argv, env={**ENV, "LIQSCOPE_CRASH_AT": "1", "LIQSCOPE_CRASH_LOG": str(log)})
        _, err = killed.communicate(timeout=60)
        # The hook killed the commit worker inside its first commit (transcript fsynced, batch not committed);
        # the capture stops with an error that says so, instead of hanging or going on without a committer.
        worker_pid, _, point = log.read_text().split()
        assert point == "raw:tmp-written"
        assert killed.returncode == 1
        assert f"capture commit worker (pid {worker_pid}) was killed by SIGKILL" in " ".join(err.split())
        (first,) = _sessions(root)
        flushed = _frames(root, first)
        assert flushed and not _lake.manifests(root)  # frames on disk, nothing in the lake

        resumed = []
        for _ in range(10):  # restarted captures, until every recorded frame has reached a transcript
            cap = _liqscope(*argv, "--duration", "3")
            out, err = cap.communicate(timeout=120)
            assert cap.returncode == 0, err[-2000:]
            resumed.append(json.loads(out)["resumed"]["binance_usdm"])
            if len(set(_frames(root))) == 456:
                break
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)

    assert resumed[0] == len(flushed)  # the first restart committed exactly the killed session's frames
    assert resumed[1:] == [0] * (len(resumed) - 1)  # clean stops leave nothing behind
    frames = _frames(root)
    keys = [r["record_key"] for r in _lake.rows(root, "records")]
    assert len(keys) == len(set(keys)) == len(frames)  # every transcript frame in the lake, once, no ingest run

    # The lake equals a clean rebuild of the same transcripts into an empty lake (raw_ref names other blobs).
    clean = Catalog(tmp_path / "rebuilt")
    for path in transcript_files(transcripts_dir(Catalog(root)), "binance_usdm"):
        ingest_file(clean, "binance_usdm", path, "transcript")
    assert sorted(keys) == sorted(r["record_key"] for r in _lake.rows(clean.root, "records"))
    assert _events_without_raw_ref(root) == _events_without_raw_ref(clean.root)
    # ... and counts what an offline ingest of the recording counts (PROVENANCE.md: $442,310.62914008, 456).
    std = report(counted(Catalog(root), load("standard"), *WIDE))
    assert (std.total_usd, std.events) == (Decimal("442310.62914008"), 456)


def test_a_second_capture_of_the_same_venue_and_data_dir_is_refused(tmp_path):
    async def main() -> None:
        catalog = Catalog(tmp_path)
        stop = asyncio.Event()
        opts = FAST.__class__(**{**{k: getattr(FAST, k) for k in FAST.__dataclass_fields__},
                                 "urls": {"binance_usdm": "ws://127.0.0.1:9/ws"}})
        first = asyncio.create_task(Capture(catalog, ["binance_usdm"], opts).run(stop))
        await asyncio.sleep(0.3)
        with pytest.raises(ConfigError, match="another `liqscope capture` is recording binance_usdm"):
            await Capture(catalog, ["binance_usdm"], opts).run(asyncio.Event())
        stop.set()
        await first
        result = await Capture(catalog, ["binance_usdm"], opts).run(duration=0.1)  # the lock was released
        assert result.resumed == {"binance_usdm": 0}

    asyncio.run(asyncio.wait_for(main(), 30))


def test_resuming_a_lake_with_nothing_uncommitted_adds_nothing(tmp_path):
    result = commit_uncommitted(Catalog(tmp_path), "binance_usdm", session="s")
    assert (result.records, result.accepted) == (0, 0) and not _lake.manifests(tmp_path)
