"""The estimated map's engine on inputs small enough to follow by hand (docs/levels.md, "The model")."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from liqscope.methodology import Levels
from liqscope.metrics._levels_model import HOUR_NS, Inputs, nice_step, run
from liqscope.metrics.levels import _assemble

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00Z
H = HOUR_NS

# One 10x tier, maintenance margin 1 %, half-life 1 h (decay 1/2 per hour), entries at the close.
RULES = Levels(leverage=(10,), weights=(Decimal(1),), maintenance_margin={"default": Decimal("0.01")},
               entry_price="close", half_life_hours=Decimal(1), long_share=Decimal("0.5"))


def _inputs() -> Inputs:
    # Closes stamped at each hour's end; highs/lows of the hour ending at the stamp; OI of one venue.
    return Inputs(asset="BTC", price_series="x:BTC", oi_series=["v:BTC"],
                  closes=[(T0, 100.0), (T0 + H, 100.0), (T0 + 2 * H, 100.0), (T0 + 3 * H, 100.0)],
                  highs=[(T0 + H, 101.0), (T0 + 2 * H, 110.0), (T0 + 3 * H, 100.0)],
                  lows=[(T0 + H, 99.0), (T0 + 2 * H, 95.0), (T0 + 3 * H, 90.0)],
                  oi={"v": [(T0, 1000.0), (T0 + H, 1000.0), (T0 + 2 * H, 1200.0)]})


def test_three_hours_by_hand():
    """Hour 0 seeds 1000 USD at 100: 500 long liquidated at 100 x (1 - 1/10 + 0.01) = 91, 500 short at 109.
    Hour 1 (high 110, low 95) clears the shorts at 109: 500 predicted; then decay halves the longs to 250,
    and 200 new OI + (1 - 1/2) x 1000 turnover = 700 enter at 100 (350 long at 91, 350 short at 109).
    Hour 2 (low 90) clears the 600 of longs at 91. The baseline is OI x the hour's adverse move."""
    book, steps = run(_inputs(), RULES, T0, T0 + 3 * H)
    got = [(s.predicted_long, s.predicted_short, s.baseline_long, s.baseline_short) for s in steps]
    assert got == [pytest.approx((0.0, 0.0, 10.0, 10.0)), pytest.approx((0.0, 500.0, 50.0, 100.0)),
                   pytest.approx((600.0, 0.0, 120.0, 0.0))]
    assert book is not None
    longs, shorts = book.levels(0, 1e9)
    # After hour 2: longs cleared; the 350 short at 109 halved by decay, plus turnover (1 - 1/2) x 1200 = 600
    # entered at 100: 300 short at 109 and 300 long at 91.
    assert longs == pytest.approx({91.0: 300.0}) and shorts == pytest.approx({109.0: 175.0 + 300.0})


def test_nothing_after_the_hour_changes_its_prediction():
    """Changing the inputs stamped after hour 1's end leaves hours 0 and 1 exactly as they were."""
    a = _inputs()
    b = _inputs()
    b.oi["v"] = [*b.oi["v"][:2], (T0 + 2 * H, 5000.0)]
    b.lows = [*b.lows[:2], (T0 + 3 * H, 50.0)]
    _, sa = run(a, RULES, T0, T0 + 3 * H)
    _, sb = run(b, RULES, T0, T0 + 3 * H)
    assert sa[:2] == sb[:2] and sa[2] != sb[2]


def test_a_tier_above_the_venues_maximum_leverage_is_capped():
    """Maintenance margin 1.25 % allows at most 1 / (2 x 0.0125) = 40x: a 100x long sits where a 40x one does,
    at 100 x (1 - 1/40 + 0.0125) = 98.75."""
    rules = msgspec.structs.replace(RULES, leverage=(100,), maintenance_margin={"default": Decimal("0.0125")})
    book, _ = run(_inputs(), rules, T0, T0 + H)
    assert book is not None
    longs, shorts = book.levels(0, 1e9)
    assert list(longs) == pytest.approx([98.75]) and list(shorts) == pytest.approx([101.25])


@pytest.mark.parametrize(("x", "step"), [(9.0, 10.0), (10.0, 10.0), (0.013, 0.02), (230.0, 250.0), (4.2, 5.0)])
def test_bucket_widths_are_readable(x, step):
    assert nice_step(x) == pytest.approx(step)


def test_buckets_cumulate_away_from_the_price():
    """Longs cumulate from the price downward, shorts upward; clusters and max pain by hand."""
    longs = {95.05: 10.0, 97.01: 30.0, 99.9: 2.0}
    shorts = {100.5: 1.0, 103.3: 50.0}
    width, buckets, points = _assemble(longs, shorts, 100.0, Levels(bucket_bp=Decimal(10), cluster_share=Decimal(
        "0.1")), 10.0)
    assert width == 0.1
    got = [(float(b.price_low), b.long_usd, b.short_usd, b.long_cumulative_usd, b.short_cumulative_usd)
           for b in buckets]
    assert got == [pytest.approx(x) for x in [(95.0, 10, 0, 42, 0), (97.0, 30, 0, 32, 0), (99.9, 2, 0, 2, 0),
                                              (100.5, 0, 1, 0, 1), (103.3, 0, 50, 0, 51)]]
    # Nearest clusters hold >= 10 % of their side: 97.0 (30 of 42) below, 103.3 (50 of 51) above.
    assert float(points["nearest_below"].price_low) == pytest.approx(97.0)
    assert float(points["nearest_above"].price_low) == pytest.approx(103.3)
    assert points["nearest_above"].cumulative_usd == 51 and points["nearest_above"].distance_pct == Decimal("3.300")
    assert float(points["max_pain_long"].price_low) == pytest.approx(97.0)
