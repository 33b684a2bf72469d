"""Cascades, Hawkes, concentration, accounts, flags, comparison and the health index on real data."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.market import ingest_market
from liqscope.methodology import load
from liqscope.metrics import (
    compare,
    concentration,
    counted,
    detect_cascades,
    fit_hawkes,
    health_index,
    raw_record,
    report,
    simulate_hawkes,
    structural_flags,
)
from liqscope.metrics.concentration import concentration_stats
from liqscope.metrics.health import HEALTH_INDEX_VERSION, percentile_rank
from liqscope.store import Catalog
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN, HL_BLOCKS, HL_OFFICIAL
from tests.market.test_parsers import MARKET

STANDARD = load("standard")
CSV = MARKET / "csv"
REGIME = CSV / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"
CG_LIQ = CSV / "coinglass_btc_liquidations_1h_binance_bybit_okx_2025-12-27_to_2025-12-28.csv"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    cat = Catalog(tmp_path_factory.mktemp("lake"))
    for f in (BINANCE_RIFTFERN, BINANCE_0817, BINANCE_0818):
        ingest_file(cat, "binance_usdm", f)
    ingest_market(cat, "coinglass-regime-csv", REGIME)
    ingest_market(cat, "coinglass-liquidations-csv", CG_LIQ)
    return cat


def _w(a: str, b: str) -> tuple[int, int]:
    return parse_iso_ns(a), parse_iso_ns(b)


def test_cascades_find_the_bursts_seen_by_eye_in_the_real_recordings(lake):
    """k=5 x trailing median of 60 observed minutes, merged within 5 minutes (the standard methodology)."""
    got = [(c.start, c.end, c.peak_minute, c.total_usd, c.events, c.largest_event.market)
           for w in (_w("2025-12-27", "2025-12-29"), _w("2024-08-17", "2024-08-19"))
           for c in detect_cascades(counted(lake, STANDARD, *w))]
    assert got == [
        ("2025-12-27T14:57:00.000Z", "2025-12-27T15:01:00.000Z", "2025-12-27T14:57:00.000Z",
         Decimal("115361.872998"), 92, "APTUSDT"),
        ("2025-12-27T15:30:00.000Z", "2025-12-27T15:32:00.000Z", "2025-12-27T15:30:00.000Z",
         Decimal("238161.5985024"), 88, "BNBUSDT"),
        ("2025-12-27T15:43:00.000Z", "2025-12-27T15:44:00.000Z", "2025-12-27T15:43:00.000Z",
         Decimal("242048.72408799"), 69, "ZECUSDT"),
        ("2025-12-27T21:38:00.000Z", "2025-12-27T21:39:00.000Z", "2025-12-27T21:38:00.000Z",
         Decimal("160330.6248801"), 4, "1000PEPEUSDT"),
        ("2025-12-27T21:50:00.000Z", "2025-12-27T21:53:00.000Z", "2025-12-27T21:50:00.000Z",
         Decimal("168297.8798783"), 39, "SOLUSDT"),
        ("2025-12-28T20:28:00.000Z", "2025-12-28T20:30:00.000Z", "2025-12-28T20:28:00.000Z",
         Decimal("80611.2923393"), 92, "EGLDUSDT"),
        ("2024-08-17T12:18:00.000Z", "2024-08-17T12:21:00.000Z", "2024-08-17T12:20:00.000Z",
         Decimal("172487.01051972"), 137, "ETHUSDT"),
        ("2024-08-18T09:06:00.000Z", "2024-08-18T09:07:00.000Z", "2024-08-18T09:06:00.000Z",
         Decimal("58665.27233989"), 49, "BTCUSDT"),
        ("2024-08-18T09:33:00.000Z", "2024-08-18T09:34:00.000Z", "2024-08-18T09:33:00.000Z",
         Decimal("130342.704413"), 5, "ETHUSDT"),
    ]


def test_a_cascades_largest_event_is_the_provenance_figure_and_leads_to_its_raw_record(lake):
    [c] = detect_cascades(counted(lake, STANDARD, *_w("2024-08-17T12:00:00Z", "2024-08-17T12:30:00Z")))
    big = c.largest_event
    # PROVENANCE: largest ETH SELL $51,934 at 12:20:04 (z x ap).
    assert (big.market, big.side, round(big.notional_usd), big.ts[:19]) == ("ETHUSDT", "LONG", 51934,
                                                                          "2024-08-17T12:20:04")
    raw = json.loads(raw_record(lake, big.raw_ref))
    assert (raw["o"]["s"], raw["o"]["S"]) == ("ETHUSDT", "SELL")
    assert Decimal(raw["o"]["z"]) * Decimal(raw["o"]["ap"]) == big.notional_usd


@pytest.mark.parametrize("n", [0.5, 0.8])
def test_hawkes_mle_recovers_the_branching_ratio_of_simulated_data(n):
    """20,000 simulated events (seeded, synthetic): n within ±0.05, inside the 95% CI, KS not rejected."""
    beta, mu = 2.0, 0.5
    times = simulate_hawkes(mu, n * beta, beta, 20_000, seed=7)
    fit = fit_hawkes(times, times[-1])
    assert fit.converged and fit.events == 20_000
    assert abs(fit.branching_ratio - n) <= 0.05
    assert fit.ci_low <= n <= fit.ci_high
    assert fit.ks_pvalue > 0.05


def test_hawkes_ks_rejects_a_process_it_does_not_describe():
    """Evenly spaced events are not Hawkes (nor Poisson): the compensator residuals fail the KS test."""
    fit = fit_hawkes([float(i) for i in range(2000)], 2000.0)
    assert fit.ks_pvalue < 1e-6


def test_concentration_statistics_match_a_hand_computation():
    s = concentration_stats([Decimal(4), Decimal(3), Decimal(2), Decimal(1)], 2, "event")
    assert (s.top_share, s.hhi, s.gini) == (Decimal("0.7"), Decimal("0.3"), Decimal("0.25"))
    assert percentile_rank(Decimal(2), [Decimal(1), Decimal(2), Decimal(3), Decimal(4)]) == Decimal("0.375")


def test_accounts_are_counted_only_where_venues_name_them(tmp_path):
    cat = Catalog(tmp_path)
    ingest_file(cat, "hyperliquid", HL_OFFICIAL, "hyperliquid-official")
    ingest_file(cat, "hyperliquid", HL_BLOCKS)
    ingest_file(cat, "binance_usdm", BINANCE_0817)
    r = concentration(counted(cat, STANDARD, *_w("2023-01-01", "2026-01-01")), top_n=3, largest_n=1000)
    rows = list(csv.DictReader(HL_OFFICIAL.read_text().splitlines()))
    users = {row["user"] for row in rows}
    assert (len(rows), len(users)) == (17, 9)                      # PROVENANCE
    assert r.accounts.venues_covered == ["hyperliquid"] and r.accounts.venues_not_covered == ["binance_usdm"]
    assert r.accounts.accounts == len(users) + 1                   # + the node fills' one liquidated account
    per_user: dict[str, Decimal] = {}
    for row in rows:
        per_user[row["user"]] = per_user.get(row["user"], Decimal(0)) + Decimal(row["liquidated_ntl_pos"])
    top = sorted(per_user.items(), key=lambda kv: -kv[1])[0]
    assert (r.top_accounts[0].account, r.top_accounts[0].notional_usd) == top
    assert r.by_account.units == 10
    assert top[0].encode() in raw_record(cat, next(x.raw_ref for x in r.largest if x.account == top[0]))


def test_report_carries_accounts_and_flags(lake):
    r = report(counted(lake, STANDARD, *_w("2025-12-27", "2025-12-29")))
    assert r.accounts.accounts is None and r.accounts.venues_not_covered == ["binance_usdm"]
    assert [f.name for f in r.flags] == ["long_dominance", "bluechip_concentration", "top_accounts", "crowded_long"]


def test_flags_show_their_numbers(lake):
    flags = {f.name: f for f in structural_flags(counted(lake, STANDARD, *_w("2025-12-27", "2025-12-29")))}
    rep = report(counted(lake, STANDARD, *_w("2025-12-27", "2025-12-29")))
    ld = flags["long_dominance"]
    assert (ld.numbers["long_usd"], ld.numbers["short_usd"]) == (rep.long_usd, rep.short_usd)
    assert ld.raised is False and ld.value == rep.long_usd / rep.short_usd
    blue = sum((t.total_usd for t in rep.by_asset if t.name in ("BTC", "ETH")), Decimal(0))
    assert flags["bluechip_concentration"].value == blue / rep.total_usd
    assert flags["top_accounts"].numbers["unit"] == "event"       # Binance names no accounts
    crowded = flags["crowded_long"]
    assert crowded.raised is None and crowded.numbers["premium"] is None   # no mark/index data in this lake
    assert crowded.numbers["funding_annualized"] == Decimal("0.0001") * 1095


def test_compare_with_coinglass_reproduces_the_provenance_cross_check(lake):
    c = compare(counted(lake, STANDARD, *_w("2025-12-27", "2025-12-29")), asset="BTC")
    hour = next(h for h in c.hours if h.hour == "2025-12-27T15:00:00.000Z")
    assert (round(hour.long_usd), round(hour.short_usd)) == (262, 22579)
    assert (round(hour.reference_long_usd), round(hour.reference_short_usd)) == (262, 25880)
    assert hour.long_usd == hour.reference_long_usd == Decimal("262.4931")
    assert hour.ratio == hour.total_usd / hour.reference_total_usd
    assert c.hours_exceeding == []                                  # coverage nests: never more than CoinGlass
    assert c.reference_covers == ["binance", "bybit", "okx"] and c.liqscope_venues == ["binance_usdm"]


def test_health_index_components_are_percentiles_against_trailing_history(lake):
    at = parse_iso_ns("2025-12-28T21:00:00Z")
    h = health_index(counted(lake, STANDARD, at - 86_400 * 10**9, at + 1), asset="BTC")
    assert h.version == HEALTH_INDEX_VERSION == "lhi-2"
    assert h.missing == ["premium", "liq_imbalance"]  # no premium series; 25 h of liquidation history < 360
    # Independent: the hourly as-of funding from the CSV (bar close known at open + 1 h), percent -> fraction.
    bars = {parse_iso_ns(r["datetime_utc"]) + 3_600_000_000_000: Decimal(r["funding_close"]) / 100
            for r in csv.DictReader(REGIME.read_text().splitlines())}
    known = sorted(bars)
    hour = 3_600_000_000_000

    def asof(t):
        ready = [k for k in known if k <= t and t - k <= 24 * hour]
        return bars[ready[-1]] if ready else None

    hist = [v for g in range(720, 0, -1) if (v := asof(at - g * hour)) is not None]
    funding = next(c for c in h.components if c.name == "funding")
    assert funding.value == asof(at) == Decimal("0.0001")
    assert funding.history_points == len(hist)
    assert funding.percentile == percentile_rank(asof(at), hist)
    used = [c.percentile for c in h.components if c.percentile is not None]
    assert h.index == sum(used) * 100 / len(used)
