"""Coverage is computed from transcript markers: covered seconds and labelled gaps, by hand."""

from __future__ import annotations

from pathlib import Path

from liqscope.capture import coverage, transcripts_dir
from liqscope.store import Catalog
from liqscope.store.transcript import Marker, TranscriptWriter

S = 10**9
T0 = 1_766_880_000 * S - 5 * S  # 2025-12-27T23:59:55Z: the session crosses midnight
FRAME = (Path(__file__).parent.parent / "fixtures" / "venues" / "okx_swap" / "ws_liquidation_orders.jsonl"
         ).read_bytes().splitlines()[0]


def _session(catalog: Catalog) -> None:
    w = TranscriptWriter(transcripts_dir(catalog), "okx_swap", "s")
    w.marker(T0, "s.1", Marker.CONNECT)
    w.frame(T0 + 1 * S, "s.1", FRAME)
    w.marker(T0 + 10 * S, "s.1", Marker.DISCONNECT, reason="closed by peer")
    w.marker(T0 + 12 * S, "s.2", Marker.CONNECT)
    w.marker(T0 + 12 * S, "s.2", Marker.GAP, from_ns=T0 + 10 * S, to_ns=T0 + 12 * S, reason="disconnected: x")
    w.frame(T0 + 15 * S, "s.2", FRAME)
    w.flush(T0 + 16 * S)  # past midnight: a new day's file, s.2 re-announced
    w.marker(T0 + 25 * S, "s.2", Marker.SILENT, since_ns=T0 + 15 * S, reason="watchdog: no market data for 10 s")
    w.marker(T0 + 25 * S, "s.2", Marker.DISCONNECT, reason="watchdog")
    w.marker(T0 + 26 * S, "s.3", Marker.CONNECT)
    w.frame(T0 + 28 * S, "s.3", FRAME)  # then the process dies: no DISCONNECT
    w.flush()


def test_covered_seconds_and_every_gap_with_its_reason(tmp_path):
    catalog = Catalog(tmp_path)
    _session(catalog)
    cov = coverage(catalog, None, T0 - 5 * S, T0 + 30 * S)["okx_swap"]
    # connected 0..10, 12..25 (silent from 15), 26..28 (last line before the crash)
    assert cov.covered_seconds == 10 + 3 + 2
    assert cov.window_seconds == 35
    assert [((g.start_ns - T0) // S, (g.end_ns - T0) // S, g.reason) for g in cov.gaps] == [
        (-5, 0, "not capturing"),
        (10, 12, "disconnected: x"),
        (15, 25, "silent: watchdog: no market data for 10 s"),
        (25, 26, "not capturing"),
        (28, 30, "not capturing"),
    ]
    assert (cov.connections, cov.silences) == (3, 1)
    assert sum(g.seconds for g in cov.gaps) + cov.covered_seconds == cov.window_seconds


def test_one_day_is_enough_for_that_days_coverage(tmp_path):
    """The second day's file alone knows s.1 has been up since before midnight (it is re-announced)."""
    catalog = Catalog(tmp_path)
    _session(catalog)
    midnight = T0 + 5 * S
    cov = coverage(catalog, ["okx_swap"], midnight, midnight + 10 * S)["okx_swap"]
    assert cov.covered_seconds == 5 + 3  # s.1 until 00:00:05, s.2 from 00:00:07 to its silence at 00:00:10
    assert [((g.start_ns - midnight) // S, (g.end_ns - midnight) // S, g.reason) for g in cov.gaps] == [
        (5, 7, "disconnected: x")]


def test_a_venue_never_captured_is_absent_not_zero(tmp_path):
    catalog = Catalog(tmp_path)
    assert coverage(catalog, None, T0, T0 + S) == {}
    _session(catalog)
    assert set(coverage(catalog, ["okx_swap", "bitmex"], T0, T0 + S)) == {"okx_swap"}
    before = coverage(catalog, ["okx_swap"], T0 - 100 * S, T0 - 50 * S)["okx_swap"]
    assert before.covered_seconds == 0 and [g.reason for g in before.gaps] == ["not capturing"]
