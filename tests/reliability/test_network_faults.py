"""Network faults injected by the real replay server on loopback, survived by the real capture client.

Each fault is checked for its totals (against an offline ingest of the same real frames and, for the
2025-12-27/28 Binance recording, the PROVENANCE figures) and for its gap markers (coverage from the
transcript). Drops, resend bursts, a torn frame, a stall past the watchdog and a muted feed are covered in
tests/capture/test_replay_equivalence.py; this file adds slow senders (below and above the watchdog), a
stall that resumes below it, out-of-order venue times and a skewed venue clock.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.capture import Fault, Feed, coverage
from liqscope.store import Catalog
from liqscope.store.transcript import Marker, TranscriptLine
from tests._data import BINANCE_RIFTFERN
from tests.capture._live import capture_through, offline, options, run, totals, transcript

FIXTURE = Path(__file__).parent.parent / "fixtures" / "venues" / "binance_usdm" / "ws_force_order.jsonl"
VENUE = "binance_usdm"
NS = 1_000_000_000


def _fixture_frames() -> list[bytes]:
    return [ln for ln in FIXTURE.read_bytes().splitlines() if ln.strip()]


def _data(lines: list[TranscriptLine]) -> list[TranscriptLine]:
    return [ln for ln in lines if ln.payload is not None]


def _session_coverage(catalog: Catalog, lines: list[TranscriptLine]):
    return coverage(catalog, [VENUE], lines[0].ts, lines[-1].ts)[VENUE]


@pytest.mark.parametrize(("fault", "slow_from", "pause_s"), [
    (Fault("slow", 30, 0.15), 30, 0.15),    # frames 30..42 trickle, one every 0.15 s
    (Fault("stall", 20, 0.3), 20, 0.3),     # one pause of 0.3 s before frame 20, then full speed
])
def test_a_sender_slower_than_usual_but_within_the_watchdog_is_no_gap(tmp_path, fault, slow_from, pause_s):
    """Watchdog 0.8 s: pauses of 0.15 s / 0.3 s are a quiet market, covered, on one connection."""
    frames = _fixture_frames()
    catalog = Catalog(tmp_path / "live")
    result, server = run(capture_through(catalog, [Feed(VENUE, frames)], expect={VENUE: len(frames)},
                                         faults={VENUE: [fault]}, opts=options(silence_s=0.8)))
    stats = result.venues[VENUE]
    assert (stats.connections, stats.disconnects, stats.silences) == (1, 1, 0)
    assert server.connections(VENUE) == 1

    lines = transcript(catalog, VENUE)
    got = _data(lines)
    assert [ln.payload for ln in got] == frames  # every frame, once, in order
    arrivals = [b.ts - a.ts for a, b in itertools.pairwise(got)]
    slowed = arrivals[slow_from - 1:] if fault.kind == "slow" else arrivals[slow_from - 1:slow_from]
    assert min(slowed) >= (pause_s - 0.02) * NS  # the sender really was slow (asyncio sleeps may wake ~ms early)
    assert max(arrivals) < 0.8 * NS              # ... and never as slow as the watchdog
    cov = _session_coverage(catalog, lines)
    assert cov.gaps == [] and cov.silences == 0
    assert cov.covered_seconds == cov.window_seconds
    assert [ln.marker for ln in lines if ln.marker is not None][-1] is Marker.DISCONNECT

    ref, _ = offline(tmp_path / "offline", VENUE, [FIXTURE])
    assert totals(catalog) == totals(ref)


def test_a_sender_slower_than_the_watchdog_is_silent_and_never_read_as_a_quiet_market(tmp_path):
    """One frame per 0.5 s against a 0.25 s watchdog: every connection trips it before its next frame
    arrives, so from frame 30 on nothing is covered and nothing slow is counted (the watchdog must sit
    above a venue's slowest legitimate pace: see docs/capture.md, per-venue watchdogs)."""
    frames = _fixture_frames()
    catalog = Catalog(tmp_path / "live")
    result, _ = run(capture_through(catalog, [Feed(VENUE, frames)], expect={VENUE: 30},
                                    faults={VENUE: [Fault("slow", 30, 0.5)]}, linger_s=1.5,
                                    opts=options(silence_s=0.25)))
    stats = result.venues[VENUE]
    assert stats.data_frames == 30
    assert stats.silences >= 2 and stats.connections >= 2

    lines = transcript(catalog, VENUE)
    got = _data(lines)
    assert [ln.payload for ln in got] == frames[:30]
    silents = [ln for ln in lines if ln.marker is Marker.SILENT]
    assert silents[0].detail["since_ns"] == got[29].ts  # silent since the last frame before the trickle
    # Later connections never delivered data: each is silent from its own CONNECT.
    connects = [ln.ts for ln in lines if ln.marker is Marker.CONNECT]
    assert [s.detail["since_ns"] for s in silents[1:]] == connects[1:len(silents)]
    cov = _session_coverage(catalog, lines)
    assert cov.gaps[0].start_ns == got[29].ts and cov.gaps[0].reason.startswith("silent")
    # Nothing after frame 30 is covered: every stretch after it is a gap.
    covered_after = (lines[-1].ts - got[29].ts) / NS - sum(g.seconds for g in cov.gaps)
    assert covered_after < 0.01 * (len(cov.gaps) + 1)  # ms rounding per gap only

    first30 = tmp_path / "first30.jsonl"
    first30.write_bytes(b"\n".join(frames[:30]) + b"\n")
    ref, _ = offline(tmp_path / "offline", VENUE, [first30])
    assert totals(catalog) == totals(ref)


def test_out_of_order_venue_times_change_no_total_and_drop_nothing(tmp_path):
    """2,045 real frames; two spans (50 and 200 frames) sent back to front: venue times go backwards
    inside the stream. Totals equal the recording's PROVENANCE figures, nothing quarantined, no gap."""
    feed = Feed.from_file(VENUE, BINANCE_RIFTFERN)
    frames = feed.frames
    assert len(frames) == 2045
    catalog = Catalog(tmp_path / "live")
    faults = {VENUE: [Fault("reorder", 100, 50), Fault("reorder", 1000, 200)]}
    result, _ = run(capture_through(catalog, [feed], expect={VENUE: 2045}, faults=faults))
    stats = result.venues[VENUE]
    assert (stats.connections, stats.silences, stats.quarantined, stats.events) == (1, 0, 0, 2045)

    expected = frames[:100] + frames[100:150][::-1] + frames[150:1000] + frames[1000:1200][::-1] + frames[1200:]
    lines = transcript(catalog, VENUE)
    got = [ln.payload for ln in _data(lines)]
    assert got == expected

    def backwards(seq: list[bytes]) -> int:
        times = [json.loads(f)["E"] for f in seq]
        return sum(b < a for a, b in itertools.pairwise(times))

    # The recording itself is in venue-time order; as received, venue time went backwards many times.
    assert backwards(frames) == 0
    assert backwards(got) >= 200

    with catalog.connect() as con:
        rows = con.execute(f"SELECT ts_event, ts_recv FROM {catalog.relation_sql(catalog.event_files())} "
                           "ORDER BY ts_recv, ts_event DESC").fetchall()
    assert len(rows) == 2045
    assert sum(b[0] < a[0] for a, b in itertools.pairwise(rows)) >= 200  # kept as received

    live = totals(catalog)
    assert (live["long_events"], live["short_events"]) == (880, 1165)
    assert live["total_usd"] == Decimal("2051029.33492100")
    assert _session_coverage(catalog, lines).gaps == []


@pytest.mark.parametrize("skew_s", [5.0, -30.0])
def test_a_skewed_venue_clock_keeps_every_event_with_both_times(tmp_path, skew_s):
    """Every epoch-ms timestamp of the 43 real frames is rewritten to the send time + skew: events keep
    the venue time and the receipt time, their difference is the skew, totals are unchanged, and the
    report (which windows on venue time) moves them by the skew; coverage (receipt time) has no gap."""
    frames = _fixture_frames()
    catalog = Catalog(tmp_path / "live")
    result, _ = run(capture_through(catalog, [Feed(VENUE, frames)], expect={VENUE: len(frames)},
                                    faults={VENUE: [Fault("skew", 0, skew_s)]}))
    assert result.venues[VENUE].quarantined == 0
    lines = transcript(catalog, VENUE)
    got = _data(lines)
    assert len(got) == len(frames)
    for sent, rec in zip(frames, got, strict=True):
        orig, new = json.loads(sent), json.loads(rec.payload)
        # Only the timestamps changed, and by one offset per frame.
        assert {**new, "E": 0, "o": {**new["o"], "T": 0}} == {**orig, "E": 0, "o": {**orig["o"], "T": 0}}
        assert new["E"] - new["o"]["T"] == orig["E"] - orig["o"]["T"]
        # The venue clock reads receipt time + skew, less the loopback latency (and ms truncation).
        lag = rec.ts + int(skew_s * NS) - new["E"] * 1_000_000
        assert 0 <= lag < NS // 2

    with catalog.connect() as con:
        rows = con.execute(f"SELECT ts_event, ts_recv FROM {catalog.relation_sql(catalog.event_files())}").fetchall()
    skews = sorted((ev - rv) / NS for ev, rv in rows)
    assert len(rows) == 43
    assert skew_s - 0.5 < skews[0] <= skews[-1] <= skew_s  # measured skew per event: the injected one

    ref, _ = offline(tmp_path / "offline", VENUE, [FIXTURE])
    expected = totals(ref)
    live = totals(catalog)
    assert {k: live[k] for k in ("total_usd", "events", "long_events", "short_events", "by_venue")} == \
           {k: expected[k] for k in ("total_usd", "events", "long_events", "short_events", "by_venue")}
    # The report windows on venue time: over the capture session in receipt time it sees none of them
    # (all are `skew` seconds away), over the session shifted by the skew it sees all of them.
    start, end = lines[0].ts, lines[-1].ts + 1
    assert totals(catalog, window=(start, end))["events"] == 0
    shifted = totals(catalog, window=(start + int(skew_s * NS) - NS, end + int(skew_s * NS)))
    assert (shifted["events"], shifted["total_usd"]) == (expected["events"], expected["total_usd"])
    assert _session_coverage(catalog, lines).gaps == []


def test_new_fault_syntax_is_strict():
    assert Fault.parse("slow@10:0.5") == Fault("slow", 10, 0.5)
    assert Fault.parse("reorder@3:7") == Fault("reorder", 3, 7.0)
    assert Fault.parse("skew@0:-30") == Fault("skew", 0, -30.0)
    from liqscope.errors import ConfigError

    for bad in ("slow@10", "reorder@3", "reorder@3:1", "reorder@3:2.5", "skew@0", "slow@1:-1", "skew@0:nan",
                "drop@3:2"):
        with pytest.raises(ConfigError):
            Fault.parse(bad)

