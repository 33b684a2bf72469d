"""Coverage that admits its holes (issue 15, item 1): ``coverage.gaps`` and the observed share per venue.

The riftfern recording has events in only 28 of the 576 five-minute buckets of 2025-12-27/28: the
inferred gaps on that real data are checked against a plain loop over the fixture's own event times.
"""

from __future__ import annotations

import gzip
import itertools
import json
from decimal import Decimal

import msgspec
import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import SilenceRule, load
from liqscope.metrics import counted, report, timeline
from liqscope.metrics.gaps import coverage_gaps
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN, HL_OFFICIAL
from tests.capture.test_coverage import T0, _session

S = 10**9
START, END = parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z")
STANDARD = load("standard")


def _times() -> list[int]:
    """Every liquidation's trade time in the recording, ns, read with json (not liqscope)."""
    return sorted(json.loads(x)["o"]["T"] * 1_000_000
                  for x in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines())


def _expected_gaps(times: list[int], start: int, end: int, hole_s: int) -> list[tuple[int, int]]:
    edges = [start, *times, end]
    return [(a, b) for a, b in itertools.pairwise(edges) if b - a >= hole_s * S]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("gaps"))
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    ingest_file(cat, "hyperliquid", HL_OFFICIAL, "hyperliquid-official")
    return cat


def test_the_recording_fills_28_of_576_buckets_and_its_silences_are_inferred_gaps(lake):
    times = _times()
    buckets = {t // (300 * S) for t in times}
    assert (len(buckets), (END - START) // (300 * S)) == (28, 576)
    expected = _expected_gaps(times, START, END, 600)
    # The recorder's three offs and the window's ends; the 404 s quiet spell inside a session is not a hole.
    assert [round((b - a) / S, 3) for a, b in expected] == [52283.281, 20596.181, 80420.693, 11772.794]
    observed = (END - START - sum(b - a for a, b in expected)) / (END - START)

    r = report(counted(lake, STANDARD, START, END, venues=["binance_usdm"]))
    assert (round(r.total_usd, 2), r.events) == (Decimal("2051029.33"), 2045)
    assert [(g.venue, g.start_ns, g.end_ns, g.source) for g in r.coverage.gaps] == [
        ("binance_usdm", a, b, "inferred") for a, b in expected]
    assert [g.seconds for g in r.coverage.gaps] == [round((b - a) / S, 3) for a, b in expected]
    [o] = r.coverage.observed
    assert (o.venue, o.source, o.hole_seconds, o.gaps) == ("binance_usdm", "inferred", 600, 4)
    assert o.observed_fraction == round(observed, 6) == 0.044717
    assert r.coverage.per_venue[0].observed_fraction == o.observed_fraction
    assert "binance_usdm: observed 4.5% of the window; 4 gaps" in " ".join(r.coverage.notes)

    t = timeline(counted(lake, STANDARD, START, END, venues=["binance_usdm"]), bucket="5m")
    assert sum(1 for b in t.buckets if b.events) == 28 and len(t.buckets) == 576
    assert t.gaps == r.coverage.gaps and t.observed == r.coverage.observed



@pytest.mark.parametrize("hole", ["exact", 1, 7, 404, 600, 86_400])
def test_the_silences_are_every_consecutive_pair_at_least_the_hole_apart(lake, hole):
    """The bucketed silences equal the pairwise ones, computed here from the recording with json: each pair of
    consecutive liquidations at least the hole apart, and each venue's first, last and count. "exact": the
    hole is the recording's largest gap to the nanosecond, so a pair exactly the hole apart is one."""
    from liqscope.methodology import compile_silences

    times = _times()
    hole_ns = max(b - a for a, b in itertools.pairwise(times)) if hole == "exact" else hole * S
    expected = [(a, b) for a, b in itertools.pairwise(times) if b - a >= hole_ns]
    c = counted(lake, STANDARD, START, END, venues=["binance_usdm"])
    q = compile_silences(STANDARD, lake.relation_sql(list(c.files)), START, END, hole_ns)
    con = lake.connect()
    try:
        rows = con.execute(q.sql, q.params).fetchall()
    finally:
        con.close()
    mine = [r for r in rows if r[0] == "binance_usdm"]
    assert [(lo, hi) for _, lo, hi, n in mine if n is None] == expected
    assert [(lo, hi, n) for _, lo, hi, n in mine if n is not None] == [(times[0], times[-1], len(times))]
    if hole == "exact":
        assert len(expected) == 1 and expected[0][1] - expected[0][0] == hole_ns

def test_the_rule_is_declared_and_fingerprinted(lake):
    times = _times()
    assert STANDARD.coverage.silence == (SilenceRule(venue="binance_usdm", hole_seconds=600),)
    assert list(STANDARD.rules()["coverage"]["silence"]) == [{"venue": "binance_usdm", "hole_seconds": 600}]
    tighter = msgspec.structs.replace(STANDARD, coverage=msgspec.structs.replace(
        STANDARD.coverage, silence=(SilenceRule(venue="binance_usdm", hole_seconds=300),)))
    assert tighter.fingerprint() != STANDARD.fingerprint()
    got = coverage_gaps(counted(lake, tighter, START, END, venues=["binance_usdm"]))
    expected = _expected_gaps(times, START, END, 300)
    assert len(expected) == 5  # + the 404 s silence of 2025-12-27 21:39:44 .. 21:46:28
    assert [(g.start_ns, g.end_ns) for g in got.gaps] == expected


def test_a_methodology_that_counts_fewer_does_not_invent_holes(lake):
    """Silences are measured on every liquidation of the venue, not on the counted subset."""
    big_only = msgspec.structs.replace(STANDARD, counting=msgspec.structs.replace(
        STANDARD.counting, min_notional_usd=10_000))
    r = report(counted(lake, big_only, START, END, venues=["binance_usdm"]))
    assert r.events < 2045
    assert [(g.start_ns, g.end_ns) for g in r.coverage.gaps] == _expected_gaps(_times(), START, END, 600)


def test_a_venue_without_a_rule_has_an_unknown_share_not_full_coverage(lake):
    start, end = parse_iso_ns("2023-02-28T00:00:00Z"), parse_iso_ns("2023-04-01T00:00:00Z")
    r = report(counted(lake, STANDARD, start, end))
    assert r.events == 17 and r.coverage.gaps == []
    [o] = r.coverage.observed
    assert (o.venue, o.observed_fraction, o.observed_seconds, o.source) == ("hyperliquid", None, None, None)
    assert "no coverage.silence rule" in (o.note or "")
    assert r.coverage.per_venue[0].observed_fraction is None


def test_a_requested_venue_with_a_rule_and_no_liquidation_is_one_whole_window_gap(lake):
    start, end = parse_iso_ns("2025-11-01T00:00:00Z"), parse_iso_ns("2025-11-02T00:00:00Z")
    got = coverage_gaps(counted(lake, STANDARD, start, end, venues=["binance_usdm"]))
    assert [(g.start_ns, g.end_ns, g.seconds) for g in got.gaps] == [(start, end, 86_400.0)]
    assert got.observed[0].observed_fraction == 0.0


def test_a_captured_venue_takes_its_gaps_from_the_transcript_markers(tmp_path):
    catalog = Catalog(tmp_path)
    _session(catalog)  # okx_swap: connected 0..10, 12..25 (silent from 15), 26..28 (then a crash)
    r = report(counted(catalog, STANDARD, T0 - 5 * S, T0 + 30 * S))
    assert [((g.start_ns - T0) // S, (g.end_ns - T0) // S, g.source, g.reason) for g in r.coverage.gaps] == [
        (-5, 0, "capture", "not capturing"),
        (10, 12, "capture", "disconnected: x"),
        (15, 25, "capture", "silent: watchdog: no market data for 10 s"),
        (25, 26, "capture", "not capturing"),
        (28, 30, "capture", "not capturing"),
    ]
    [o] = r.coverage.observed
    assert (o.venue, o.source, o.observed_seconds, o.observed_fraction) == (
        "okx_swap", "capture", 15, round(15 / 35, 6))
