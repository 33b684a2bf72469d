"""Funding normalization on real series, single-sided OI, the CoinGlass percent check, lake round trip."""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from decimal import Decimal

from liqscope.market import (
    FundingRate,
    infer_intervals,
    ingest_market,
    latest_open_interest,
    oi_weighted_funding,
)
from liqscope.store import Catalog
from liqscope.venues.bybit_linear.market import single_sided
from tests.market.test_parsers import MARKET, read

HL_CSV = MARKET / "csv" / "hl_funding_btc_2023-05-12_to_2023-07-03.csv"
REGIME_CSV = MARKET / "csv" / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"
H = 3_600_000_000_000


def _csv_rate(ts_prefix: str) -> Decimal:
    for row in csv.DictReader(HL_CSV.read_text().splitlines()):
        if row["timestamp"].startswith(ts_prefix):
            return Decimal(row["funding_rate"])
    raise AssertionError(ts_prefix)


def _iso(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns // 10**9, dt.UTC).strftime("%Y-%m-%dT%H:%M")


def test_hyperliquid_funding_is_normalized_across_its_change_from_8h_to_hourly():
    """Real HL history: 8-hourly until 2023-06-08 00:00, hourly from 01:00; both annualize correctly."""
    obs, bad = read("csv/hl_funding_btc_2023-05-12_to_2023-07-03.csv", "hyperliquid-funding-csv")
    assert bad == []
    rates = {_iso(o.ts_event): o for o in obs if isinstance(o, FundingRate)}
    assert len(rates) == 681
    eight = [o for o in rates.values() if o.interval_hours == 8]
    assert len(eight) == 82          # 81 eight-hour steps + the first settlement
    # One real settlement is stamped 2023-05-23 08:23:53 (not on the hour): the gaps around it are not
    # whole hours, so those two rows fall back to the venue's documented schedule (8 h then), labelled.
    odd = {k: o.interval_source for k, o in rates.items() if o.interval_source != "inferred"}
    assert odd == {"2023-05-23T08:23": "venue_default", "2023-05-23T16:00": "venue_default"}
    last8, first1 = rates["2023-06-08T00:00"], rates["2023-06-08T01:00"]
    r8, r1 = _csv_rate("2023-06-08T00:00"), _csv_rate("2023-06-08T01:00")
    assert (last8.interval_hours, last8.rate, last8.rate_8h, last8.annualized) == (8, r8, r8, r8 * 1095)
    assert (first1.interval_hours, first1.rate, first1.rate_8h, first1.annualized) == (1, r1, r1 * 8, r1 * 8760)
    # The 2-hour hole (no 20:00 row) is missing data, not a 2-hour interval.
    assert "2023-07-02T20:00" not in rates
    assert rates["2023-07-02T21:00"].interval_hours == 1


def test_interval_inference_cases():
    t = [0, 8 * H, 16 * H, 17 * H, 18 * H, 20 * H, 21 * H]   # 8h, 8h -> hourly, then a missing 19:00 row
    assert infer_intervals(t) == [8, 8, 8, 1, 1, 1, 1]
    assert infer_intervals([0]) == [None]
    assert infer_intervals([0, 3 * H + 1_000_000_000 * 60 * 30]) == [None, None]   # 3.5 h: not a whole hour


def test_bybit_open_interest_is_made_single_sided_with_the_documented_figures():
    # Bybit doc (white-label copy with singleOpenInterest): both sides 63910691, one side 31955346.
    assert single_sided(Decimal("63910691.00000000"), Decimal("31955346")) == (
        Decimal("31955346"), "bybit singleOpenInterest (one side, as published)")
    # Official doc example without the single-side field: half of the both-sides sum.
    assert single_sided(Decimal("461134384.00000000"), None)[0] == Decimal("230567192")
    obs, _ = read("bybit_linear/ws_tickers_doc.jsonl", "bybit-tickers-ws")
    oi = next(o for o in obs if type(o).__name__ == "OpenInterest")
    assert (oi.oi_base, oi.oi_usd) == (Decimal("68744.761") / 2, Decimal("1183601235.91") / 2)


def test_coinglass_regime_funding_is_percent_and_is_converted_before_mixing():
    """Verify the unit on the real file: the max is exactly 0.01 (Binance's 0.01 %/8 h baseline)."""
    closes = [Decimal(r["funding_close"]) for r in csv.DictReader(REGIME_CSV.read_text().splitlines())]
    assert max(closes) == Decimal("0.01")
    median = statistics.median(closes)
    assert median * 1095 > 1          # read as a fraction per 8 h it would exceed 100 %/yr: implausible
    assert median / 100 * 1095 < Decimal("0.2")  # read as percent: a few %/yr, as BTC funding is
    obs, bad = read("csv/coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv", "coinglass-regime-csv")
    assert bad == []
    first = next(o for o in obs if isinstance(o, FundingRate))
    assert (first.rate, first.provider, first.interval_hours) == (Decimal("0.005673") / 100, "coinglass", 8)
    assert first.annualized == Decimal("0.005673") / 100 * 1095


def test_ingest_is_idempotent_and_oi_weighted_funding_matches_a_hand_computation(tmp_path):
    cat = Catalog(tmp_path)
    files = [("binance_usdm/rest_get_premium_index.json", "binance-premium-index"),
             ("binance_usdm/rest_get_open_interest.json", "binance-open-interest"),
             ("bybit_linear/ws_tickers_doc.jsonl", "bybit-tickers-ws"),
             ("okx_swap/rest_get_funding_rate.json", "okx-funding-rate"),
             ("okx_swap/rest_get_open_interest.json", "okx-open-interest")]
    for rel, fmt in files:
        r = ingest_market(cat, fmt, MARKET / rel)
        assert not r.already_present and r.quarantined == 0
    assert ingest_market(cat, "okx-open-interest", MARKET / "okx_swap/rest_get_open_interest.json").already_present
    at = 1_800_000_000_000_000_000
    year = 365 * 24 * H
    ois = {o.venue: o for o in latest_open_interest(cat, at, lookback_ns=10 * year)}
    binance_usd = Decimal("10659.509") * Decimal("11793.63104562")     # OI base x latest mark
    assert ois["binance_usdm"].oi_usd == binance_usd
    [btc] = oi_weighted_funding(cat, at, assets=["BTC"], lookback_ns=10 * year)
    w = {"binance_usdm": (Decimal("0.00038246"), binance_usd),
         "bybit_linear": (Decimal("-0.000212"), Decimal("1183601235.91") / 2),
         "okx_swap": (Decimal("0.0000182221218054"), Decimal("50000"))}
    expected = sum(r * u for r, u in w.values()) / sum(u for _, u in w.values())
    assert abs(btc.rate_8h - expected) < Decimal("1e-15")
    assert btc.oi_usd == sum(u for _, u in w.values())
    assert {c.venue for c in btc.components} == set(w)
