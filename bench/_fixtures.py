"""Benchmark inputs for venues without a simulator: their real recorded frames, replicated.

The base frames are every line of ``tests/fixtures/venues/<venue>/ws_*.jsonl`` that the venue's reference
path (``normalize_batch(..., fast=False)``) turns into at least one event, except frames Tardis generated
from REST polling (``"generated":true``: the venue never sent them on its websocket). Replica ``k`` of a
base frame has every time field shifted by ``k`` seconds and every venue id (BitMEX ``orderID``, dYdX
trade ``id``, Deribit ``trade_id``, Kraken ``uid``) moved by ``k``, so every frame of the file is a distinct
liquidation: identical bytes would let a cache or a dictionary encoding look ~10x faster than it is.
``bench_normalize`` checks that the event ids of every file it times are distinct.

Files are cached in bench/out/inputs, like the simulator's (``_common.frames_file``).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable
from pathlib import Path

from bench._common import OUT, frames_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "venues"
STEP_MS = 1_000  # replica k is k seconds later: 200k replicas span ~2.3 days
_RECV = 1_790_000_000_000_000_000  # a receipt time after every shifted base frame (2026-09-21)

_Shift = Callable[[bytes, int], bytes]


def _ms(m: re.Match[bytes], k: int) -> bytes:  # epoch ms, written as a number or a digit string
    return m.group(1) + b"%d" % (int(m.group(2)) + k * STEP_MS) + m.group(3)


def _s(m: re.Match[bytes], k: int) -> bytes:  # epoch seconds (Gate's envelope "time")
    return m.group(1) + b"%d" % (int(m.group(2)) + k * STEP_MS // 1000) + m.group(3)


def _iso(m: re.Match[bytes], k: int) -> bytes:  # ISO-8601 UTC with milliseconds and Z (dYdX createdAt)
    t = dt.datetime.fromisoformat(m.group(2).decode().replace("Z", "+00:00")) + dt.timedelta(milliseconds=k * STEP_MS)
    return m.group(1) + t.strftime("%Y-%m-%dT%H:%M:%S.").encode() + b"%03dZ" % (t.microsecond // 1000) + m.group(3)


def _int_id(m: re.Match[bytes], k: int) -> bytes:  # a decimal id or sequence number: k billion further
    return m.group(1) + b"%d" % (int(m.group(2)) + k * 1_000_000_000) + m.group(3)


def _uuid(m: re.Match[bytes], k: int) -> bytes:  # a UUID: its last group (48 bits) moved by k
    head, last = m.group(2)[:-12], int(m.group(2)[-12:], 16)
    return m.group(1) + head + b"%012x" % ((last + k) % 2**48) + m.group(3)


def _dydx_id(m: re.Match[bytes], k: int) -> bytes:  # 24 hex digits, block height first: k blocks later
    return m.group(1) + b"%024x" % (int(m.group(2), 16) + (k << 64)) + m.group(3)


def _rule(key: str, value: str, fn: Callable[[re.Match[bytes], int], bytes]) -> tuple[re.Pattern[bytes], Callable]:
    return re.compile(rb'("' + key.encode() + rb'":"?)(' + value.encode() + rb')("?)'), fn


_MS, _INT, _HEX = r"\d{13}", r"\d+", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Per venue: the fields a replica moves (times always; ids where the venue's event id is its own id).
RULES: dict[str, list[tuple[re.Pattern[bytes], Callable]]] = {
    "bitget_futures": [_rule("ts", _MS, _ms)],
    "bitmex": [_rule("orderID", _HEX, _uuid)],  # the table has no time: ts_event is the receipt time
    "bybit_inverse": [_rule(k, _MS, _ms) for k in ("time", "updatedTime", "ts", "T")],
    "deribit": [_rule("timestamp", _MS, _ms), _rule("trade_id", _INT, _int_id), _rule("trade_seq", _INT, _int_id)],
    "dydx_v4": [_rule("createdAt", r"[0-9T:.-]+Z", _iso), _rule("id", "[0-9a-f]{24}", _dydx_id),
                _rule("message_id", _INT, _int_id)],
    "gate_futures": [_rule("time_ms", _MS, _ms), _rule("time", r"\d{10}", _s)],
    "kraken_futures": [_rule("time", _MS, _ms), _rule("uid", _HEX, _uuid), _rule("seq", _INT, _int_id)],
    "okx_futures": [_rule("ts", _MS, _ms)],
}


def base_frames(venue: str) -> list[bytes]:
    """The venue's real recorded frames its reference path turns into events (see the module docstring)."""
    from liqscope.events import Source
    from liqscope.normalize import normalize_batch
    from liqscope.venues import get_venue

    spec = get_venue(venue)
    lines = [line for f in sorted((FIXTURES / venue).glob("ws_*.jsonl")) if not f.name.endswith(".expected.jsonl")
             for line in f.read_bytes().splitlines() if line.strip() and b'"generated":true' not in line]
    n = len(lines)
    batch = normalize_batch(spec.decode, spec.parse, lines, [_RECV] * n, [f"fixture:{i}" for i in range(n)],
                            [""] * n, source=Source.WS, fast=False)
    return [line for line, count in zip(lines, batch.counts, strict=True) if count > 0]


def replicate(venue: str, frame: bytes, k: int) -> bytes:
    for pattern, fn in RULES[venue]:
        frame = pattern.sub(lambda m, fn=fn: fn(m, k), frame)
    return frame


@functools.cache
def fixture_frames_file(venue: str, frames: int) -> Path:
    """``frames`` frames: the venue's real base frames, replica after replica (cached in bench/out/inputs)."""
    out = OUT / "inputs" / f"{venue}-fixtures-{frames}"
    path, marker = out / f"{venue}.jsonl", out / "done"
    if marker.exists():
        return path
    base = base_frames(venue)
    if not base:
        raise RuntimeError(f"{venue}: no frame of tests/fixtures/venues/{venue}/ws_*.jsonl normalizes to an event")
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for i in range(frames):
            k, j = divmod(i, len(base))
            f.write(replicate(venue, base[j], k) + b"\n")
    os.replace(tmp, path)
    marker.write_text("ok")
    return path


def input_file(venue: str, frames: int) -> tuple[Path, str]:
    """The benchmark input of a venue and what it is: the simulator's where one exists, else its real frames."""
    from liqscope.simulate import simulated_venues

    if venue in simulated_venues():
        return frames_file(venue, frames), "simulated (liqscope simulate)"
    if venue not in RULES:
        raise RuntimeError(f"{venue}: no simulator and no replica rule in bench/_fixtures.py")
    return fixture_frames_file(venue, frames), (f"{len(base_frames(venue))} real frame(s) of tests/fixtures, "
                                                "replicated with times and ids shifted")
