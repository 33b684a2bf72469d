"""Invariants of the counted relation, as properties: on real recordings and on a simulated lake, with
random anchors, for every built-in methodology and for random user methodologies.

- timeline sum = by_asset sum = by_venue sum = long + short + side-less = total, in exact decimals, and
  the timeline's event count is the report's;
- under ``floor`` estimation the events listing, summed row by row, is the total;
- under ``throttle_adjusted`` every aggregate includes the estimate and is marked so, while the largest
  board and the event list show observed notional (never above the observed floor's rows);
- on the real riftfern recording, a fixed window's total equals the hand sum of its raw frames.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import Counting, Coverage, Estimation, Methodology, Valuation, Window, builtin_names, load
from liqscope.metrics import counted, events, report, timeline
from liqscope.simulate import Params, simulate
from liqscope.store import Catalog
from tests.metrics.conftest import fill_usd, riftfern_orders

_ZERO = Decimal(0)
MINUTE = 60 * 10**9
# The real lake's busiest span (riftfern: 2025-12-27 14:31 .. 12-28 20:43 UTC), with a margin either side.
REAL_SPAN = (parse_iso_ns("2025-12-27T12:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
SIM_START = parse_iso_ns("2026-01-10T23:00:00Z")  # the simulated hours straddle a UTC (and UTC+8) midnight...
SIM_SPAN = (SIM_START - 30 * MINUTE, SIM_START + 150 * MINUTE)
SIM_VENUES = ("binance_usdm", "bybit_linear", "hyperliquid", "okx_swap")
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="session")
def sim_lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A lake of simulator output (synthetic rows), plus a second 'recorder' holding part of one feed."""
    root = tmp_path_factory.mktemp("sim-lake")
    catalog = Catalog(root / "lake")
    for i, venue in enumerate(SIM_VENUES):
        sim = simulate(venue, root / "sim", start_ns=SIM_START, seconds=2 * 3600, params=Params(rate=1.5), seed=11 + i)
        ingest_file(catalog, venue, Path(sim.output))
        if venue == "binance_usdm":
            lines = Path(sim.output).read_bytes().splitlines()
            second = root / "second.jsonl"
            second.write_bytes(b"\n".join([lines[0], *lines[100:400]]) + b"\n")  # marker line first
            ingest_file(catalog, venue, second)
    return catalog


def _synthetic(m: Methodology) -> Methodology:
    return msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, include_synthetic=True))


def methodologies(venues: tuple[str, ...]) -> st.SearchStrategy[Methodology]:
    """Random user methodologies over every dimension (valid by construction)."""
    kinds = st.sampled_from(["perpetual", "dated_future", "account"])
    liq = st.sampled_from(["market", "backstop", "adl"])
    window = st.one_of(
        st.just(Window()),
        st.builds(Window, kind=st.just("calendar_day"), timezone=st.sampled_from(["UTC", "UTC+8", "UTC-05:30",
                                                                                    "America/New_York"])),
        st.builds(Window, kind=st.just("rolling"), hours=st.integers(1, 30)),
        st.builds(Window, kind=st.just("event_segment"), segment=st.sampled_from(["largest", "first", "last"])),
    )
    return st.builds(
        Methodology,
        name=st.just("random"),
        coverage=st.builds(Coverage, venues=st.lists(st.sampled_from(venues), unique=True).map(tuple),
                           instrument_kinds=st.lists(kinds, min_size=1, unique=True).map(tuple),
                           assets=st.one_of(st.just(()), st.just(("BTC",)), st.just(("BTC", "ETH", "SOL"))),
                           liquidation_kinds=st.lists(liq, min_size=1, unique=True).map(tuple),
                           include_synthetic=st.booleans()),
        window=window,
        counting=st.builds(Counting, dedupe=st.sampled_from(["every_copy", "identity", "account"]),
                           min_notional_usd=st.sampled_from([Decimal(0), Decimal(100), Decimal("2500.5")])),
        valuation=st.builds(Valuation, price=st.sampled_from(["fill", "order"])),
        estimation=st.builds(Estimation, mode=st.sampled_from(["floor", "throttle_adjusted"])),
    )


def anchors(span: tuple[int, int]) -> st.SearchStrategy[tuple[int, int]]:
    """Random anchors inside ``span``: whole minutes, 1 minute to 30 hours long."""
    lo, hi = span
    return st.tuples(st.integers(0, (hi - lo) // MINUTE - 1), st.integers(1, 30 * 60)).map(
        lambda t: (lo + t[0] * MINUTE, min(lo + (t[0] + t[1]) * MINUTE, hi)))


def check_invariants(c) -> None:
    """Every face of one Counted agrees with every other, exactly."""
    r = report(c, largest_n=25)
    assert sum((t.total_usd for t in r.by_asset), _ZERO) == r.total_usd
    assert sum((t.total_usd for t in r.by_venue), _ZERO) == r.total_usd
    for ranking in (r.by_asset, r.by_venue):  # ordered arrays: largest first, each with its share of the total
        assert [(-t.total_usd, t.name) for t in ranking] == sorted((-t.total_usd, t.name) for t in ranking)
        assert all(t.share == ((t.total_usd / r.total_usd).quantize(Decimal("0.000001")) if r.total_usd else 0)
                   for t in ranking)
    assert r.long_usd + r.short_usd + r.unknown_side_usd == r.total_usd
    assert sum(t.events for t in r.by_venue) == r.events
    span = c.end_ns - c.start_ns
    bucket = "1m" if span <= 6 * 3600 * 10**9 else "15m" if span <= 48 * 3600 * 10**9 else "1d"
    tl = timeline(c, bucket=bucket)
    assert sum((b.total_usd for b in tl.buckets), _ZERO) == tl.total_usd == r.total_usd
    assert tl.events == r.events
    assert (tl.start, tl.end) == (r.start, r.end) == (c.window.start, c.window.end)
    page = events(c, limit=1_000_000, order="usd_desc")
    observed = sum((e.notional_usd for e in page.events), _ZERO)
    assert observed == page.matched_usd
    assert [x.event_id for x in r.largest] == [e.event_id for e in page.events[:25]]
    assert [x.notional_usd for x in r.largest] == [e.notional_usd for e in page.events[:25]]
    if c.estimating:
        assert r.estimate is not None and r.estimate.floor_usd == observed <= r.total_usd
        assert r.estimated == (r.total_usd != observed) == tl.estimated
        assert any(t.estimated for t in r.by_venue) == r.estimated
    else:
        assert observed == r.total_usd and not r.estimated and not tl.estimated
        assert {t.name: t.total_usd for t in r.by_venue} == {
            t.name: sum((e.notional_usd for e in page.events if e.venue == t.name), _ZERO) for t in r.by_venue}


@pytest.mark.parametrize("name", builtin_names())
@SETTINGS
@given(anchor=anchors(REAL_SPAN))
def test_every_builtin_on_the_real_recordings(lake, name, anchor):
    check_invariants(counted(lake, load(name), *anchor))


@pytest.mark.parametrize("name", builtin_names())
@SETTINGS
@given(anchor=anchors(SIM_SPAN))
def test_every_builtin_on_a_simulated_lake(sim_lake, name, anchor):
    check_invariants(counted(sim_lake, _synthetic(load(name)), *anchor))


@settings(SETTINGS, max_examples=25)
@given(m=methodologies(("binance_usdm", "binance_coinm", "hyperliquid")), anchor=anchors(REAL_SPAN))
def test_random_user_methodologies_on_the_real_recordings(lake, m, anchor):
    check_invariants(counted(lake, m, *anchor))


@settings(SETTINGS, max_examples=25)
@given(m=methodologies(SIM_VENUES), anchor=anchors(SIM_SPAN), only=st.lists(st.sampled_from(SIM_VENUES),
                                                                                unique=True))
def test_random_user_methodologies_on_a_simulated_lake(sim_lake, m, anchor, only):
    c = counted(sim_lake, m, *anchor, venues=only)
    check_invariants(c)
    if not c.coverage.covered:
        assert report(c).total_usd == 0 and c.coverage.note == "not covered by this methodology"


@SETTINGS
@given(anchor=anchors(REAL_SPAN))
def test_a_fixed_window_counts_exactly_the_raw_frames_inside_it(lake, anchor):
    """Independent of liqscope: the riftfern frames' fill notional (z x ap) with T in the anchor."""
    lo, hi = (t // 10**6 for t in anchor)
    inside = [o for o in riftfern_orders() if lo <= o["T"] < hi]
    c = counted(lake, load("standard"), *anchor, venues=("binance_usdm",))
    r = report(c)
    assert (r.total_usd, r.events) == (sum((fill_usd(o) for o in inside), _ZERO), len(inside))


@pytest.mark.parametrize(("name", "kind"), [("all-venues-rolling-24h", "rolling"), ("utc8-day", "calendar_day")])
def test_the_timeline_counts_the_window_the_methodology_resolves(lake, name, kind):
    """The bug the issue measured: the timeline ignored the rolling window and the UTC+8 day."""
    c = counted(lake, load(name), parse_iso_ns("2025-12-28T00:00:00Z"), parse_iso_ns("2025-12-28T12:00:00Z"))
    assert c.window.kind == kind
    lo, hi = c.start_ns // 10**6, c.end_ns // 10**6
    expected = sum((fill_usd(o) for o in riftfern_orders() if lo <= o["T"] < hi), _ZERO)
    assert timeline(c, bucket="1h").total_usd == report(c).total_usd == expected


def test_throttle_adjusted_shows_observed_orders_and_estimated_aggregates(lake):
    """The largest board and the event list never show an estimate; every aggregate sums to the headline."""
    anchor = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
    c = counted(lake, load("throttle-adjusted"), *anchor)
    r = report(c)
    top = max(riftfern_orders(), key=fill_usd)
    assert r.largest[0].notional_usd == fill_usd(top) == Decimal("126380.2519001")
    assert r.estimated and r.estimate is not None and r.estimate.floor_usd == Decimal("2051029.334921")
    assert timeline(c, bucket="1h").total_usd == r.total_usd > r.estimate.floor_usd
    assert r.venue("binance_usdm").estimated


def test_calendar_days_in_a_zone_with_daylight_saving_are_whole_local_days(lake):
    c = counted(lake, msgspec.structs.replace(load("utc8-day"), window=Window(kind="calendar_day",
                                                                                  timezone="America/New_York")),
                parse_iso_ns("2025-12-27"), parse_iso_ns("2025-12-28"))
    assert dt.datetime.fromisoformat(c.window.start).hour == 5  # midnight in New York (EST) is 05:00 UTC
    check_invariants(c)
