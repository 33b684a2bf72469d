"""Hyperliquid live capture tails a node's node_fills_by_block directory while the node writes it."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from decimal import Decimal

from liqscope.capture import Capture, coverage
from liqscope.capture._node_tail import block_time_ns, hour_files
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.store.transcript import Marker
from tests._data import HL_BLOCKS
from tests.capture._live import options, totals, transcript

LINES = gzip.decompress(HL_BLOCKS.read_bytes()).splitlines()  # 1,000 consecutive real blocks
MISSING = range(500, 510)  # blocks the "node" never writes


def _write_like_a_node(node_dir, lines) -> None:
    # The node appends to hourly/<YYYYMMDD>/<H> by block time, sometimes flushing half a line.
    for i, line in enumerate(lines):
        bt = json.loads(line)["block_time"]
        path = node_dir / "hourly" / bt[:10].replace("-", "") / str(int(bt[11:13]))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as f:
            if i % 97 == 0:
                f.write(line[:50])
                f.flush()
                f.write(line[50:] + b"\n")
            else:
                f.write(line + b"\n")


async def _tail(catalog, node_dir, written):
    cap = Capture(catalog, ["hyperliquid"], options(node_dir=node_dir, poll_s=0.02, silence_s=30.0))
    stop = asyncio.Event()
    task = asyncio.create_task(cap.run(stop))
    while cap.stats["hyperliquid"].data_frames < 3:  # the tail (once the commit worker has started) reads hour 16
        assert not task.done()
        await asyncio.sleep(0.01)
    _write_like_a_node(node_dir, written[3:600])  # the next hour's file appears while we tail the first
    await asyncio.sleep(0.05)
    _write_like_a_node(node_dir, written[600:])
    deadline = time.monotonic() + 20
    while cap.stats["hyperliquid"].data_frames < len(written) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    stop.set()
    return await task


def test_tailing_the_node_captures_every_written_block_and_records_missing_blocks(tmp_path):
    node_dir = tmp_path / "node_fills_by_block"
    written = [ln for i, ln in enumerate(LINES) if i not in MISSING]
    _write_like_a_node(node_dir, written[:3])  # 16:59:59, the last seconds of hour 16
    catalog = Catalog(tmp_path / "live")
    result = asyncio.run(asyncio.wait_for(_tail(catalog, node_dir, written), 60))
    assert [p.name for p in hour_files(node_dir)] == ["16", "17"]
    stats = result.venues["hyperliquid"]
    assert (stats.data_frames, stats.quarantined) == (990, 0)

    reference = tmp_path / "written.jsonl"
    reference.write_bytes(b"\n".join(written) + b"\n")
    ref_catalog = Catalog(tmp_path / "offline")
    ingest_file(ref_catalog, "hyperliquid", reference)
    live = totals(catalog)
    assert live == totals(ref_catalog)
    # PROVENANCE: the sample's one liquidation, WLFI 890 @ 0.15327 = $136.41, a SHORT
    assert (live["events"], live["short_usd"]) == (1, Decimal("136.4103"))

    lines = transcript(catalog, "hyperliquid")
    (gap,) = [ln for ln in lines if ln.marker is Marker.GAP]
    first = json.loads(LINES[0])["block_number"]
    assert (gap.detail["from_block"], gap.detail["to_block"]) == (first + 500, first + 509)
    before, after = (block_time_ns(json.loads(LINES[i])["block_time"]) for i in (499, 510))
    assert (gap.detail["from_ns"], gap.detail["to_ns"]) == (before, after)
    # Block gaps are in block time; here the node's hours are replayed long after, so the window spans both.
    cov = coverage(catalog, ["hyperliquid"], before - 10**9, time.time_ns())["hyperliquid"]
    assert (before, after, f"missing blocks {first + 500}..{first + 509}") in [
        (g.start_ns, g.end_ns, g.reason) for g in cov.gaps]


def test_block_time_is_read_as_utc_to_the_nanosecond():
    assert block_time_ns("2025-10-27T17:00:01.869130412") == 1_761_584_401_869_130_412
    assert block_time_ns("2025-10-27T17:00:01") == 1_761_584_401_000_000_000
