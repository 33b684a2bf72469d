"""Reconciliation on a real lake: the duplicate-copy gap goes wholly to counting, contributions are exact
Shapley values that sum to the difference, and the one-scan variants equal separate reports."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.methodology import DIMENSIONS, Counting, Coverage, Estimation, Methodology, Valuation, Window, load
from liqscope.metrics import counted, reconcile, report, shapley
from liqscope.metrics.reconcile import _variant_totals
from tests.metrics.conftest import SECOND_RECORDER, fill_usd, riftfern_orders

ANCHOR = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
WIDE = (parse_iso_ns("2023-01-01"), parse_iso_ns("2026-01-01"))


def _duplicate_gap() -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal]]:
    """By hand: what the second recorder's copies add, total, per side and per base asset."""
    sides: dict[str, Decimal] = defaultdict(Decimal)
    assets: dict[str, Decimal] = defaultdict(Decimal)
    for o in riftfern_orders(SECOND_RECORDER):
        usd = fill_usd(o)
        sides["LONG" if o["S"] == "SELL" else "SHORT"] += usd
        symbol = o["s"].removesuffix("USDT").removesuffix("USDC")
        assets[symbol.removeprefix("1000000").removeprefix("1000")] += usd
    return sum(sides.values(), Decimal(0)), sides, assets


def test_every_copy_to_standard_attributes_the_whole_gap_to_counting(lake_dir):
    """Done-when: the gap between every-copy and standard on real recordings is all counting, to the digit."""
    gap, sides, assets = _duplicate_gap()
    res = CliRunner().invoke(main, ["reconcile", "--from", "every-copy", "--to", "standard", "--start", "2025-12-27",
                                    "--end", "2025-12-29", "--data-dir", str(lake_dir), "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.output, parse_float=Decimal)
    assert list(r)[:5] == ["from", "to", "difference_usd", "contributions", "long"]
    assert set(r["from"]) == set(r["to"]) == {"name", "fingerprint", "total_usd", "covered", "note"}
    assert list(r["contributions"]) == ["coverage", "window", "counting", "valuation", "estimation"]
    total = sum((fill_usd(o) for o in riftfern_orders()), Decimal(0))
    assert r["from"]["total_usd"] == total + gap and r["to"]["total_usd"] == total
    assert r["difference_usd"] == -gap
    assert r["contributions"] == {"coverage": 0, "window": 0, "counting": -gap, "valuation": 0, "estimation": 0}
    assert r["long"]["contributions"]["counting"] == -sides["LONG"]
    assert r["short"]["contributions"]["counting"] == -sides["SHORT"]
    by_asset = {v["asset"]: -v["contributions"]["counting"] for v in r["by_asset"] if v["difference_usd"]}
    assert by_asset == {k: v for k, v in assets.items() if v}
    assert r["differing"] == ["counting"] and r["variants"] == 2


@pytest.mark.parametrize(("a", "b"), [
    ("standard", "throttle-adjusted"), ("every-copy", "utc8-day"), ("cex-majors-utc-day", "all-venues-rolling-24h"),
    ("bankruptcy-price", "perpetuals-only"), ("onchain-only", "every-copy"), ("throttle-adjusted", "per-account"),
])
def test_one_scan_variants_equal_separate_reports(lake, a, b):
    """The first and last of the 2^k variants are the two methodologies: they must equal their reports."""
    r = reconcile(counted(lake, load(a), *ANCHOR), counted(lake, load(b), *ANCHOR))
    ra, rb = report(counted(lake, load(a), *ANCHOR)), report(counted(lake, load(b), *ANCHOR))
    assert (r.from_.total_usd, r.to.total_usd) == (ra.total_usd, rb.total_usd)
    assert (r.long.from_usd, r.long.to_usd, r.short.from_usd, r.short.to_usd) == \
        (ra.long_usd, rb.long_usd, ra.short_usd, rb.short_usd)
    for part in r.by_asset:
        assert part.from_usd == (t.total_usd if (t := ra.asset(part.asset)) else 0)
        assert part.to_usd == (t.total_usd if (t := rb.asset(part.asset)) else 0)
    assert sum(r.contributions.values()) == r.difference_usd == rb.total_usd - ra.total_usd


def test_shapley_values_by_hand():
    # Two players: v(∅)=0, v(1)=10, v(2)=20, v(12)=50 -> φ1 = (10 + 30)/2 = 20, φ2 = (20 + 40)/2 = 30.
    assert shapley([Decimal(0), Decimal(10), Decimal(20), Decimal(50)], 2) == [Decimal(20), Decimal(30)]
    # Three symmetric players sharing 1: exact thirds do not exist in decimal, yet the sum is exact.
    values = [Decimal(0)] * 7 + [Decimal(1)]
    phis = shapley(values, 3)
    assert sum(phis) == 1 and max(phis) - min(phis) == Decimal("1e-18")
    assert shapley([Decimal(3), Decimal(5)], 1) == [Decimal(2)]


_VENUES = ("binance_usdm", "binance_coinm", "hyperliquid")
methodologies = st.builds(
    Methodology, name=st.just("random"),
    coverage=st.builds(Coverage, venues=st.lists(st.sampled_from(_VENUES), unique=True, max_size=2).map(tuple),
                       instrument_kinds=st.sampled_from([("perpetual",), ("perpetual", "dated_future", "account")]),
                       assets=st.sampled_from([(), ("BTC",), ("SOL", "PEPE", "ZEC")])),
    window=st.builds(Window, kind=st.sampled_from(["fixed", "calendar_day", "rolling"]),
                     timezone=st.sampled_from(["UTC", "UTC+8", "America/New_York"]), hours=st.sampled_from([6, 24])),
    counting=st.builds(Counting, dedupe=st.sampled_from(["every_copy", "identity", "account"]),
                       min_notional_usd=st.sampled_from([Decimal(0), Decimal("250.5"), Decimal(5000)])),
    valuation=st.builds(Valuation, price=st.sampled_from(["fill", "order"])),
    estimation=st.builds(Estimation, mode=st.sampled_from(["floor", "throttle_adjusted"]),
                         slope=st.sampled_from([Decimal("1.29"), Decimal(3)])),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=methodologies, b=methodologies)
def test_contributions_always_sum_to_the_difference(lake, a, b):
    """Property: for any two methodologies, per statistic, Σ contributions == difference, exactly."""
    r = reconcile(counted(lake, a, *ANCHOR), counted(lake, b, *ANCHOR))
    assert set(r.differing) == {d for d in DIMENSIONS if a.dimension(d) != b.dimension(d)}
    assert r.variants == 2 ** len(r.differing)
    for part in (r, r.long, r.short, *r.by_asset):
        assert sum(part.contributions.values(), Decimal(0)) == part.difference_usd
        assert all(part.contributions[d] == 0 for d in DIMENSIONS if d not in r.differing)
    assert r.difference_usd == r.to.total_usd - r.from_.total_usd
    # Swapping ends negates every contribution (to rounding, 1e-18 each).
    back = reconcile(counted(lake, b, *ANCHOR), counted(lake, a, *ANCHOR))
    assert all(abs(back.contributions[d] + r.contributions[d]) <= Decimal("1e-17") for d in DIMENSIONS)


def test_a_five_dimension_gap_has_32_variants_and_matches_both_reports(lake):
    a = load("standard")
    b = msgspec.structs.replace(
        load("throttle-adjusted"), coverage=Coverage(venues=("binance_usdm", "hyperliquid")),
        window=Window(kind="calendar_day", timezone="UTC+8"), counting=Counting(dedupe="every_copy"),
        valuation=Valuation(price="order"))
    r = reconcile(counted(lake, a, *ANCHOR), counted(lake, b, *ANCHOR))
    assert r.differing == list(DIMENSIONS) and r.variants == 32
    assert r.to.total_usd == report(counted(lake, b, *ANCHOR)).total_usd
    assert sum(r.contributions.values()) == r.difference_usd


def _five_dimension_pair() -> tuple[Methodology, Methodology]:
    return load("standard"), msgspec.structs.replace(
        load("throttle-adjusted"), coverage=Coverage(venues=("binance_usdm", "hyperliquid"),
                                                     assets=("BTC", "ETH", "SOL", "PEPE", "ZEC")),
        window=Window(kind="calendar_day", timezone="UTC+8"), counting=Counting(dedupe="every_copy"),
        valuation=Valuation(price="order"))


def test_the_shared_scan_equals_each_variant_counted_alone(lake):
    """Each of the 32 variants' totals per (asset, side), from the ONE shared scan, equal that variant's own
    ``counted`` relation summed: to the last digit, on the real lake (both price bases, both estimates)."""
    a, b = _five_dimension_pair()
    differing, variants, rows = _variant_totals(counted(lake, a, *ANCHOR), counted(lake, b, *ANCHOR))
    assert differing == list(DIMENSIONS) and len(variants) == 32
    shared = {(asset, side): sums for asset, side, *sums in rows}
    totals = []
    for i, v in enumerate(variants):
        alone = counted(lake, v.methodology, *ANCHOR)
        assert (alone.start_ns, alone.end_ns) == (v.start_ns, v.end_ns)
        with alone.connect(("base_asset", "liquidated_side", "usd")) as con:
            expected = dict(((asset, side), usd) for asset, side, usd in con.execute(
                "SELECT base_asset, liquidated_side, sum(usd) FROM counted GROUP BY ALL").fetchall())
        assert {k: sums[i] for k, sums in shared.items() if sums[i] is not None} == expected, v.methodology
        totals.append(sum(expected.values(), Decimal(0)))
    # Not vacuous: every dimension moves the total somewhere among the variants.
    for bit, dimension in enumerate(differing):
        assert any(totals[m] != totals[m | 1 << bit] for m in range(32) if not m & 1 << bit), dimension


def test_each_variant_of_the_shared_scan_equals_its_own_report(lake):
    """Each of the 32 variants, from the ONE shared scan (its estimates found through row frames counted
    once), gives the totals ``report`` gives under that variant's methodology (range frames, as every
    engine runs them): total, long, short and per asset, to the last digit, on the real lake."""
    a, b = _five_dimension_pair()
    _, variants, rows = _variant_totals(counted(lake, a, *ANCHOR), counted(lake, b, *ANCHOR))
    assert len(variants) == 32
    for i, v in enumerate(variants):
        r = report(counted(lake, v.methodology, *ANCHOR))
        sides: dict[str, Decimal] = defaultdict(Decimal)
        assets: dict[str, Decimal] = defaultdict(Decimal)
        for asset, side, *sums in rows:
            sides[side] += sums[i] or 0
            assets[asset] += sums[i] or 0
        assert (sum(sides.values(), Decimal(0)), sides["LONG"], sides["SHORT"]) == \
            (r.total_usd, r.long_usd, r.short_usd), v.methodology
        assert {k: x for k, x in assets.items() if x} == {t.asset: t.total_usd for t in r.by_asset if t.total_usd}
        assert r.total_usd and r.estimated == (v.methodology.estimation.mode == "throttle_adjusted")


def test_the_shared_scan_compiles_for_spark(lake):
    """The variants' one statement is plain SQL that sqlglot renders for Spark, like every compiled query."""
    from liqscope.engines.spark import to_spark_sql
    from liqscope.methodology import Variant, compile_variant_totals

    a, b = _five_dimension_pair()
    variants = [Variant(methodology=m, start_ns=ANCHOR[0], end_ns=ANCHOR[1]) for m in (a, b)]
    q = compile_variant_totals(variants, "events", ["binance_usdm"])
    sql = to_spark_sql(q.sql, q.params)
    assert "$" not in sql and "GROUP BY base_asset, liquidated_side" in sql
    assert "hidden_usd_fill" not in sql and "hidden_usd_order" in sql  # one estimate, for the basis it needs


def test_waterfall_chart_is_a_png(lake, tmp_path):
    pytest.importorskip("matplotlib")
    from liqscope.metrics.waterfall import waterfall_png

    r = reconcile(counted(lake, load("every-copy"), *ANCHOR), counted(lake, load("throttle-adjusted"), *ANCHOR))
    path = waterfall_png(r, tmp_path / "w.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 900  # 9 in x 100 dpi


def test_cli_reconcile_table_and_chart(lake_dir, tmp_path):
    pytest.importorskip("matplotlib")
    res = CliRunner().invoke(main, ["reconcile", "--from", "every-copy", "--to", "standard", "--start", "2025-12-27",
                                    "--end", "2025-12-29", "--data-dir", str(lake_dir), "--chart",
                                    str(tmp_path / "c.png")])
    assert res.exit_code == 0, res.output
    gap, _, _ = _duplicate_gap()
    assert f"−${gap:,.2f}" in res.output and (tmp_path / "c.png").exists()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(k=st.integers(1, 5), data=st.data())
def test_shapley_equals_the_permutation_definition(k: int, data: st.DataObject) -> None:
    """Each player's value is its mean marginal contribution over the k! join orders, here by brute force."""
    import itertools
    from fractions import Fraction

    # Below $1e9 at 18 places (27 digits): metrics' exact() normalizes in the 28-digit default context.
    amount = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=18, allow_nan=False)
    values = data.draw(st.lists(amount, min_size=1 << k, max_size=1 << k))
    phis = shapley(values, k)
    orders = list(itertools.permutations(range(k)))
    for i, phi in enumerate(phis):
        mean = Fraction(0)
        for order in orders:
            before = sum(1 << j for j in order[:order.index(i)])
            mean += Fraction(values[before | 1 << i]) - Fraction(values[before])  # exact: no 28-digit context
        mean /= len(orders)
        assert abs(Fraction(phi) - mean) <= Fraction(1, 10**18)  # rounded to 1e-18 (down, or up by the residue)
    assert sum(map(Fraction, phis)) == Fraction(values[-1]) - Fraction(values[0])
