"""SIGKILL a real ``liqscope capture`` process >= 20 times while it records from the real replay server.

One ``liqscope replay-server`` process serves the real 2024-08-17 Binance recording (456 frames) over a
loopback websocket and, after each reconnect, first resends every frame sent so far (``--burst 456``; OKX
resends recent liquidations the same way), so what a kill cut off in flight is delivered again. A
``liqscope capture`` process is started against it and SIGKILLed, over and over: half the time after a
random delay, half the time at a random crash point of its lake commits (``LIQSCOPE_CRASH_AT``; the
commits run in the capture's commit worker process, so the hook kills the worker and the capture stops
with an error saying so; a timer kill leaves the worker orphaned: it finishes its batch and exits, and the
next capture's worker waits for it before resuming). After
every kill the lake is read as a reader sees it: each committed batch is complete (its records are
exactly the frames of the transcript chunk it committed). A last capture runs until every frame has
arrived (stopping by itself). Each restarted capture first commits what the killed one left flushed but
uncommitted, so the lake already holds every transcript frame; re-ingesting the transcripts
(``--format transcript``) afterwards adds nothing.

What it proves: every frame in a transcript is in the lake exactly once (nothing accepted is lost or
stored twice); the standard report equals a clean ingest of the recording and its PROVENANCE figure
(the burst re-delivers what a kill cut off in flight; copies count once); and every-copy equals the sum
of z x ap over every transcript frame, computed here with json and Decimal.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope._time import parse_iso_ns
from liqscope.capture import transcripts_dir
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.store.transcript import iter_lines, read_transcript, transcript_files
from tests._data import BINANCE_0817
from tests.reliability import _lake

pytest.importorskip("websockets")  # the replay server and capture speak real websockets (extra `live`)

SEED = 4242
MIN_KILLS = 20
ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _liqscope(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "liqscope", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or ENV)


def _read_json(proc: subprocess.Popen[str]) -> dict:
    text = ""
    assert proc.stdout is not None
    while line := proc.stdout.readline():
        text += line
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"no JSON on stdout; stderr: {proc.stderr.read() if proc.stderr else ''}")


def _frames(root: Path) -> tuple[list[bytes], int]:
    """Every data frame in the transcripts (torn tails dropped), and how many tails were torn."""
    frames, torn = [], 0
    for path in transcript_files(transcripts_dir(Catalog(root)), "binance_usdm"):
        data, cut = read_transcript(path)
        torn += cut
        frames += [ln.payload for ln in iter_lines(data, name=str(path)) if ln.payload is not None]
    return frames, torn


def _check_batches_are_whole(root: Path) -> None:
    records = Counter(r["raw_ref"].split(":")[0] for r in _lake.rows(root, "records"))  # reads every file
    for m in _lake.manifests(root):
        for sha in m.inputs:
            blob = gzip.decompress((root / "raw" / sha[:2] / f"{sha}.gz").read_bytes())
            frames = sum(1 for ln in iter_lines(blob) if ln.payload is not None)
            assert records[sha] == frames, f"batch {m.batch}: {records[sha]} records for {frames} frames"


def test_sigkilled_capture_loses_no_transcript_frame_and_counts_none_twice(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()))
    root = tmp_path / "live"
    server = _liqscope("replay-server", "--feed", f"binance_usdm={feed}", "--rate", "80", "--burst", "456", "--json")
    rng = random.Random(SEED)
    kills: list[str] = []
    try:
        url = _read_json(server)["urls"]["binance_usdm"]
        argv = ["capture", "--venue", "binance_usdm", "--url-override", f"binance_usdm={url}", "--data-dir",
                str(root), "--no-refresh-instruments", "--flush", "0.2", "--json"]
        while len(kills) < MIN_KILLS:
            log = tmp_path / f"points-{len(kills)}.log"
            env = {**ENV, "LIQSCOPE_CRASH_LOG": str(log)}
            hook = len(kills) % 2 == 1
            if hook:
                env["LIQSCOPE_CRASH_AT"] = str(rng.randint(1, 24))
            cap = _liqscope(*argv, env=env)
            try:
                cap.wait(timeout=8.0 if hook else rng.uniform(0.5, 1.8))
            except subprocess.TimeoutExpired:
                cap.send_signal(signal.SIGKILL)  # a hook not reached (feed done) is a timer kill
            _, err = cap.communicate()
            passed = log.read_text().splitlines() if log.exists() else []
            if cap.returncode == 1:  # the hook killed the commit worker: the capture stops and says so
                assert hook and passed and "was killed by SIGKILL" in " ".join(err.split()), err[-2000:]
            else:
                assert cap.returncode == -signal.SIGKILL, f"capture exited {cap.returncode}: {err[-2000:]}"
            kills.append(passed[-1].split(" ", 2)[2] if passed and hook else "timer")
            _check_batches_are_whole(root)
        # Undisturbed captures (stopping by themselves) until every frame has reached a transcript.
        for _ in range(10):
            cap = _liqscope(*argv, "--duration", "3")
            _, err = cap.communicate(timeout=120)
            assert cap.returncode == 0, err[-2000:]
            if len(set(_frames(root)[0])) == 456:
                break
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)

    # Restarts committed what each kill left flushed but uncommitted; the re-ingest finds nothing to add.
    catalog = Catalog(root)
    live_records = len(_lake.rows(root, "records"))
    assert live_records == len(_frames(root)[0]), "a restarted capture left a flushed frame uncommitted"
    for path in transcript_files(transcripts_dir(catalog), "binance_usdm"):
        ingest_file(catalog, "binance_usdm", path, "transcript")
    frames, torn = _frames(root)
    keys = [r["record_key"] for r in _lake.rows(root, "records")]
    assert len(keys) == len(set(keys)) == len(frames), "a transcript frame is missing from the lake or doubled"
    assert set(frames) == set(feed.read_bytes().splitlines()), "a frame of the recording never arrived"

    clean = Catalog(tmp_path / "clean")
    ingest_file(clean, "binance_usdm", feed)
    std, want = report(counted(Catalog(root), load("standard"), *ALL)), report(counted(clean, load("standard"), *ALL))
    assert (std.total_usd, std.long_usd, std.short_usd, std.events, std.by_asset) == (
        want.total_usd, want.long_usd, want.short_usd, want.events, want.by_asset)
    assert std.total_usd == Decimal("442310.62914008") and std.events == 456  # PROVENANCE.md
    every = report(counted(Catalog(root), load("every-copy"), *ALL))
    by_hand = sum(Decimal(json.loads(f)["o"]["z"]) * Decimal(json.loads(f)["o"]["ap"]) for f in frames)
    assert every.total_usd == by_hand and every.events == len(frames)
    print(f"\ncapture kills survived: {len(kills)} ({Counter(kills)}); transcript frames {len(frames)} for 456 "
          f"sent; copies from reconnect bursts {len(frames) - 456}; committed only by the re-ingest "
          f"{len(frames) - live_records}; torn transcript tails dropped {torn}")
