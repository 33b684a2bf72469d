"""The throttle-aware estimate recovers the truth, within its interval at the stated rate, where the truth
is known: real recordings taken as complete at a coarser scale, and SIMULATED complete feeds (labelled)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import Estimation, load
from liqscope.metrics import counted, report
from liqscope.metrics._feedsim import simulate_complete_feed
from liqscope.metrics.estimate import (
    calibrate,
    hidden_by_window,
    interval,
    measure_coverage,
    sample_like_binance,
)
from liqscope.store import Catalog
from tests._data import BINANCE_0817, BINANCE_RIFTFERN
from tests.metrics.conftest import fill_usd, riftfern_orders

DEFAULT = Estimation(mode="throttle_adjusted")
NS, MS = 1_000_000_000, 1_000_000


def _real_feed(path: Path, slow_down: int = 1) -> list[tuple[str, int, float]]:
    orders = [json.loads(x)["o"] for x in gzip.decompress(path.read_bytes()).splitlines()]
    return sorted(((o["s"], o["T"] * MS // slow_down, float(fill_usd(o))) for o in orders), key=lambda e: e[1])


def _sizes_and_weights() -> tuple[list[float], Counter[str]]:
    orders = riftfern_orders()
    return [float(fill_usd(o)) for o in orders], Counter(o["s"] for o in orders)


def test_sampling_keeps_the_latest_per_market_per_window():
    """On a real recording at a 10 s window: one per occupied (symbol, 10 s), the latest of each."""
    feed = _real_feed(BINANCE_RIFTFERN)
    sampled = sample_like_binance(feed, window_ns=10 * NS)
    latest: dict[tuple[str, int], int] = {}
    for market, ts, _ in feed:
        latest[(market, ts // (10 * NS))] = max(ts, latest.get((market, ts // (10 * NS)), 0))
    assert len(sampled) == len(latest) == 1661
    assert sorted((m, t) for m, t, _ in sampled) == sorted((m, t) for (m, _), t in latest.items())


@pytest.mark.parametrize(("path", "truth", "floor"), [
    (BINANCE_0817, "442310.62914008", "288078.16"),
    (BINANCE_RIFTFERN, "2051029.33492100", "1593064.30"),
])
def test_real_recording_taken_as_complete_at_10s_scale_is_recovered(path, truth, floor):
    """A real feed (already 1-per-second) is complete at a 10 s scale: slow time down 10x, sample it as
    Binance does, estimate back. The whole-session truth must lie inside the 90% interval."""
    feed = _real_feed(path, slow_down=10)
    observed = sample_like_binance(feed)
    hidden = hidden_by_window(observed, DEFAULT)
    floor_usd = Decimal(repr(sum(u for _, _, u in observed)))
    h = sum(v[0] for v in hidden.values())
    low, high = interval(floor_usd, Decimal(repr(h)), sum(v[1] for v in hidden.values()), DEFAULT.level)
    assert round(floor_usd, 2) == Decimal(floor)
    assert low <= Decimal(truth) <= high
    assert abs(floor_usd + Decimal(repr(h)) - Decimal(truth)) < Decimal(truth) - floor_usd  # better than the floor


def test_sql_estimate_equals_the_reference_model(lake):
    """report() under throttle-adjusted computes, in SQL, exactly the reference model's hidden notional."""
    anchor = (parse_iso_ns("2025-12-27"), parse_iso_ns("2025-12-29"))
    r = report(counted(lake, load("throttle-adjusted"), *anchor))
    hidden = hidden_by_window(_real_feed(BINANCE_RIFTFERN), DEFAULT)
    h = sum(v[0] for v in hidden.values())
    assert r.estimate is not None and r.estimate.floor_usd == report(counted(lake, load("standard"), *anchor)).total_usd
    assert abs(float(r.estimate.estimate_usd - r.estimate.floor_usd) - h) < 1e-6 * len(hidden)
    low, high = interval(r.estimate.floor_usd, r.estimate.estimate_usd - r.estimate.floor_usd,
                         sum(v[1] for v in hidden.values()), DEFAULT.level)
    assert abs(low - r.estimate.low_usd) <= Decimal("0.01") and abs(high - r.estimate.high_usd) <= Decimal("0.01")
    assert r.estimate.sampled_venues == ["binance_usdm"] and r.total_usd == r.estimate.estimate_usd


def test_defaults_are_reproduced_by_the_documented_calibration():
    """SIMULATED complete feed (seed 1, 168 h): calibrate() gives exactly the shipped constants."""
    sizes, weights = _sizes_and_weights()
    cal = calibrate(simulate_complete_feed(1, 168, sizes, weights))
    assert (cal.base, cal.slope, cal.dispersion) == (DEFAULT.base, DEFAULT.slope, DEFAULT.dispersion)
    assert cal.coverage.rate >= 0.9


def test_interval_holds_the_truth_at_the_stated_rate_on_held_out_simulated_feeds():
    """SIMULATED complete feeds not used for calibration (seeds 2-4, 48 h each): the 90% interval must
    hold the true hourly total in at least 90% of hours, less two binomial standard errors."""
    sizes, weights = _sizes_and_weights()
    results = [measure_coverage(simulate_complete_feed(seed, 48, sizes, weights), DEFAULT) for seed in (2, 3, 4)]
    blocks = sum(r.blocks for r in results)
    rate = sum(r.covered for r in results) / blocks
    assert blocks == 144
    assert rate >= 0.9 - 2 * (0.9 * 0.1 / blocks) ** 0.5  # measured: 135 of 144 = 0.938
    assert all(0.95 < r.mean_estimate_over_truth < 1.05 and r.mean_floor_over_truth < 0.75 for r in results)


def test_project_simulator_frames_ingested_and_estimated_back(tmp_path):
    """liqscope's own simulator writes SYNTHETIC Binance frames plus the truth; ingested and reported per
    hour, the SQL estimate equals the reference model, and the interval holds the true hourly totals."""
    from liqscope.simulate import Params, simulate

    start = parse_iso_ns("2025-01-01")
    sim = simulate("binance_usdm", tmp_path / "sim", start_ns=start, seconds=6 * 3600, seed=7,
                   params=Params(rate=0.9, branching=0.55, decay=1.0, market_persistence=0.9))
    catalog = Catalog(tmp_path / "lake")
    ingest_file(catalog, "binance_usdm", Path(sim.output))
    truths = [json.loads(x) for x in Path(sim.truth).read_text().splitlines()]
    m = msgspec.structs.replace(load("throttle-adjusted"),
                                coverage=msgspec.structs.replace(load("standard").coverage, include_synthetic=True))
    covered = 0
    for hour in range(6):
        lo, hi = start + hour * 3600 * NS, start + (hour + 1) * 3600 * NS
        r = report(counted(catalog, m, lo, hi))
        truth = sum(Decimal(t["notional_usd"]) for t in truths if lo <= t["ts_event"] < hi)
        covered += r.estimate.low_usd <= truth <= r.estimate.high_usd
        assert r.estimate.floor_usd == sum(Decimal(t["notional_usd"]) for t in truths
                                           if lo <= t["ts_event"] < hi and t["observed"])
    assert covered >= 5
