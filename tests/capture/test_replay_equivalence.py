"""The real capture client against the real replay server on loopback reproduces offline ingest exactly.

Every test here opens real sockets; none mocks anything. Totals are compared with an offline ingest of the
same frames and, for Binance, with the PROVENANCE figures of the recording.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.capture import Fault, Feed, coverage, get_stream, stream_venues
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.store.transcript import Marker
from liqscope.venues import venues
from tests._data import BINANCE_RIFTFERN
from tests.capture._live import capture_through, offline, options, run, totals, transcript

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venues"


def _notional(frame: bytes) -> Decimal:
    o = json.loads(frame)["o"]
    return Decimal(o["z"]) * Decimal(o["ap"])


def test_binance_recording_through_drops_bursts_and_a_malformed_frame_matches_provenance(tmp_path):
    """2,045 real frames, two injected drops (3-frame resend after each) and a torn frame: same totals."""
    feed = Feed.from_file("binance_usdm", BINANCE_RIFTFERN)
    faults = {"binance_usdm": [Fault("drop", 400), Fault("malformed", 700), Fault("drop", 1200)]}
    catalog = Catalog(tmp_path / "live")
    result, server = run(capture_through(catalog, [feed], expect={"binance_usdm": 2045 + 2 * 3 + 1},
                                         faults=faults, burst=3))
    stats = result.venues["binance_usdm"]
    assert (stats.connections, stats.disconnects, stats.quarantined) == (3, 3, 1)
    assert server.connections("binance_usdm") == 3

    live = totals(catalog)
    ref_catalog, _ = offline(tmp_path / "offline", "binance_usdm", [BINANCE_RIFTFERN])
    assert live == totals(ref_catalog)
    # PROVENANCE.md: 880 long ($544,020) + 1,165 short ($1,507,010) = $2,051,029 (exact sums of z x ap)
    assert (live["long_events"], live["short_events"]) == (880, 1165)
    assert live["total_usd"] == Decimal("2051029.33492100")

    # Every copy is stored: counting every copy adds exactly the six resent frames' z x ap.
    raw = gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()
    resent = sum(_notional(f) for f in raw[397:400] + raw[1197:1200])
    every_copy = totals(catalog, "every-copy")
    assert (every_copy["total_usd"], every_copy["events"]) == (live["total_usd"] + resent, 2045 + 6)

    # The torn frame is quarantined with its bytes, not dropped and not counted.
    qfiles = list((tmp_path / "live" / "quarantine").glob("*.jsonl"))
    bad = [json.loads(line) for q in qfiles for line in q.read_text().splitlines()]
    assert [b["raw"] for b in bad] == [raw[700][: len(raw[700]) // 2].decode()]
    assert bad[0]["format"] == "transcript" and bad[0]["code"] == "truncated_json"

    # Coverage: each injected drop is one gap, from its DISCONNECT to the next CONNECT.
    lines = transcript(catalog, "binance_usdm")
    connects = [ln.ts for ln in lines if ln.marker is Marker.CONNECT]
    disconnects = [ln.ts for ln in lines if ln.marker is Marker.DISCONNECT]
    cov = coverage(catalog, ["binance_usdm"], connects[0], disconnects[-1])["binance_usdm"]
    assert [(g.start_ns, g.end_ns) for g in cov.gaps] == list(zip(disconnects[:2], connects[1:], strict=True))
    assert {g.reason for g in cov.gaps} == {"disconnected: connection lost (no close frame)"}
    expected_ns = disconnects[-1] - connects[0] - sum(c - d for d, c in zip(disconnects, connects[1:], strict=False))
    assert cov.covered_seconds == round(expected_ns / 1e9, 3)
    assert sum(1 for ln in lines if ln.payload is not None) == 2045 + 6 + 1


def test_captured_transcript_reingests_to_the_same_totals_and_replays_as_recorded(tmp_path):
    feed = Feed.from_file("binance_usdm", BINANCE_RIFTFERN)
    catalog = Catalog(tmp_path / "live")
    run(capture_through(catalog, [feed], expect={"binance_usdm": 2045},
                        faults={"binance_usdm": [Fault("drop", 1000)]}))
    (path,) = sorted((tmp_path / "live" / "transcripts").rglob("*.tsv.gz"))
    again = ingest_file(catalog, "binance_usdm", path)  # detected as a transcript by its header line
    assert (again.format, again.records, again.already_present, again.accepted) == ("transcript", 2045, 2045, 0)
    fresh = Catalog(tmp_path / "fresh")
    res = ingest_file(fresh, "binance_usdm", path, "transcript")
    assert (res.records, res.accepted, res.quarantined) == (2045, 2045, 0)
    rebuilt = totals(fresh)
    assert rebuilt == totals(catalog)
    assert rebuilt["total_usd"] == Decimal("2051029.33492100")
    # The transcript is itself a replay feed: the recorded frames, in order, timed by their receipt times.
    again = Feed.from_file("binance_usdm", path)
    frames = [ln for ln in transcript(catalog, "binance_usdm") if ln.payload is not None]
    assert again.frames == feed.frames == [ln.payload for ln in frames]
    assert again.times == [ln.ts for ln in frames]


def _venue_fixture_files() -> dict[str, list[Path]]:
    out = {}
    for venue in stream_venues():
        files = sorted(f for f in (FIXTURES / venue).glob("ws_*.jsonl") if not f.name.endswith(".expected.jsonl"))
        control = get_stream(venue).control
        if sum(1 for f in files for ln in f.read_bytes().splitlines() if ln.strip() and not control(ln)):
            out[venue] = files
    return out


def _with_receipt_time(venue: str, path: Path, tmp: Path) -> Path:
    # A timeless venue's frames (BitMEX) are refused from a file without receipt times: offline, they are read
    # as an archive keeps them, Tardis raw-data lines with a receipt stamp each (any time in the window).
    if venues()[venue].venue_time:
        return path
    out = tmp / f"{venue}-{path.stem}.tardis.txt"
    out.write_bytes(b"".join(b"2026-01-02T03:04:05.0000000Z " + ln + b"\n" for ln in path.read_bytes().splitlines()
                             if ln.strip()))
    return out


def test_every_venue_captured_at_once_across_drops_matches_offline_ingest(tmp_path):
    """Real frames of every venue with a stream (quarantined ones too), all at once, each venue through its
    own subscribe dialect and a drop halfway."""
    venue_files = _venue_fixture_files()
    assert set(venue_files) >= {"binance_usdm", "binance_coinm", "bybit_linear", "bybit_inverse", "okx_swap",
                                "bitmex", "deribit", "dydx_v4"}
    feeds, faults = [], {}
    for venue, files in venue_files.items():
        merged = tmp_path / f"{venue}.jsonl"
        merged.write_bytes(b"".join(f.read_bytes().rstrip(b"\n") + b"\n" for f in files))
        feeds.append(Feed.from_file(venue, merged))
        faults[venue] = [Fault("drop", len(feeds[-1].frames) // 2)] if len(feeds[-1].frames) >= 2 else []
    catalog = Catalog(tmp_path / "live")
    result, _ = run(capture_through(catalog, feeds, expect={f.venue: len(f.frames) for f in feeds}, faults=faults))
    ref_catalog = Catalog(tmp_path / "offline")
    ref = {v: [ingest_file(ref_catalog, v, _with_receipt_time(v, f, tmp_path)) for f in files]
           for v, files in venue_files.items()}
    live = totals(catalog)
    assert live == totals(ref_catalog)
    assert set(live["by_venue"]) == set(venue_files)
    for venue, results in ref.items():
        stats = result.venues[venue]
        assert live["by_venue"][venue][1] == sum(r.accepted for r in results) > 0, venue
        assert stats.quarantined == sum(r.quarantined for r in results), venue
        assert stats.connections == 1 + len(faults[venue]), venue


def test_okx_resend_after_reconnect_never_counts_twice_under_standard(tmp_path):
    """OKX resends recent liquidations on subscribe: stored twice, counted once (identity dedupe)."""
    path = FIXTURES / "okx_swap" / "ws_liquidation_orders.jsonl"
    feed = Feed.from_file("okx_swap", path)  # 3 data frames; the recorded pong and ack are left out
    assert len(feed.frames) == 3
    catalog = Catalog(tmp_path / "live")
    result, _ = run(capture_through(catalog, [feed], expect={"okx_swap": 3 + 2},
                                    faults={"okx_swap": [Fault("drop", 2)]}, burst=2))
    assert result.venues["okx_swap"].duplicate_events == 2
    ref_catalog, _ = offline(tmp_path / "offline", "okx_swap", [path])
    standard = totals(catalog)
    assert standard == totals(ref_catalog)
    golden = [json.loads(line) for line in path.with_name(path.name + ".expected.jsonl").read_text().splitlines()]
    resent = [e for row in golden[:1] + golden[3:4] for e in row["events"]]  # the first two data frames
    every_copy = totals(catalog, "every-copy")
    assert every_copy["total_usd"] == standard["total_usd"] + sum(Decimal(e["notional_usd"]) for e in resent)
    assert every_copy["events"] == standard["events"] + 2


def test_stall_trips_the_watchdog_and_is_recorded_as_a_gap(tmp_path):
    """The server stops sending (socket open, pings answered): SILENT, reconnect, resume; totals exact."""
    path = FIXTURES / "binance_usdm" / "ws_force_order.jsonl"
    feed = Feed.from_file("binance_usdm", path)
    catalog = Catalog(tmp_path / "live")
    result, _ = run(capture_through(catalog, [feed], expect={"binance_usdm": 43},
                                    faults={"binance_usdm": [Fault("stall", 20)]}, opts=options(silence_s=0.5)))
    assert result.venues["binance_usdm"].silences == 1
    ref_catalog, _ = offline(tmp_path / "offline", "binance_usdm", [path])
    assert totals(catalog) == totals(ref_catalog)

    lines = transcript(catalog, "binance_usdm")
    frames = [ln for ln in lines if ln.payload is not None]
    (silent,) = [ln for ln in lines if ln.marker is Marker.SILENT]
    assert silent.detail["since_ns"] == frames[19].ts  # the last frame before the stall
    reconnect = [ln.ts for ln in lines if ln.marker is Marker.CONNECT][1]
    cov = coverage(catalog, ["binance_usdm"], lines[0].ts, lines[-1].ts)["binance_usdm"]
    assert [g.reason.split(":")[0] for g in cov.gaps] == ["silent", "disconnected"]
    assert (cov.gaps[0].start_ns, cov.gaps[0].end_ns, cov.gaps[1].end_ns) == (frames[19].ts, silent.ts, reconnect)
    assert cov.gaps[0].seconds >= 0.5
    assert cov.gaps[1].reason == "disconnected: watchdog: no market data for 0.5 s"


@pytest.mark.parametrize("venue", ["binance_usdm", "okx_swap"])
def test_a_feed_that_acks_and_then_sends_nothing_is_silent_not_quiet(tmp_path, venue):
    """A geo-blocked Binance completes the handshake and sends nothing: no second counts as covered,
    even when application pongs keep arriving (OKX)."""
    files = {"binance_usdm": "ws_force_order.jsonl", "okx_swap": "ws_liquidation_orders.jsonl"}
    feed = Feed.from_file(venue, FIXTURES / venue / files[venue])
    catalog = Catalog(tmp_path)
    result, _ = run(capture_through(catalog, [feed], expect={}, faults={venue: [Fault("mute", 0)]},
                                    linger_s=1.0, opts=options(silence_s=0.25, ping_s=0.05)))
    stats = result.venues[venue]
    assert stats.silences >= 2 and stats.connections >= 2 and stats.data_frames == 0
    lines = transcript(catalog, venue)
    cov = coverage(catalog, [venue], lines[0].ts, lines[-1].ts)[venue]
    assert cov.covered_seconds == 0.0
    assert cov.silences == stats.silences
    assert totals(catalog)["events"] == 0
    if venue == "okx_swap":
        pongs = [ln for ln in lines if ln.payload == b"pong"]
        assert len(pongs) >= 3  # the connection was alive the whole time; the feed was not


def test_deribit_heartbeats_are_answered_so_the_server_keeps_the_connection(tmp_path):
    """The server sends a test_request every 0.25 s and hangs up on one left unanswered."""
    path = FIXTURES / "deribit" / "ws_trades.jsonl"
    feed = Feed.from_file("deribit", path)
    catalog = Catalog(tmp_path / "live")
    result, server = run(capture_through(catalog, [feed], expect={"deribit": len(feed.frames)}, heartbeat_s=0.25,
                                         linger_s=1.6))
    assert server.connections("deribit") == 1 and result.venues["deribit"].disconnects == 1
    lines = transcript(catalog, "deribit")
    payloads = [json.loads(ln.payload) for ln in lines if ln.payload is not None]
    requests = [p for p in payloads if p.get("method") == "heartbeat"]
    answers = [p for p in payloads if p.get("id") == 9001]  # replies to our public/test
    assert len(requests) >= 4 and len(answers) in (len(requests), len(requests) - 1)
    assert [ln.detail["reason"] for ln in lines if ln.marker is Marker.DISCONNECT] == ["stopped"]
    ref_catalog, _ = offline(tmp_path / "offline", "deribit", [path])
    assert totals(catalog) == totals(ref_catalog)

