"""Ranges across methodologies, and each dimension's rules, checked against sums computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
from click.testing import CliRunner

from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.methodology import Window, load
from liqscope.metrics import counted, report, timeline
from tests.metrics.conftest import SECOND_RECORDER, fill_usd, riftfern_orders

ANCHOR = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
WIDE = (parse_iso_ns("2023-01-01"), parse_iso_ns("2026-01-01"))
HL_OFFICIAL_USD = Decimal("29783.048334")      # PROVENANCE: sum of liquidated_ntl_pos, 17 rows, 9 accounts
HL_NODE_USD = Decimal("890") * Decimal("0.15327")  # the one node-fill liquidation
COINM_USD = Decimal(10600)                      # 106 contracts x $100


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_report_standard_vs_every_copy_shows_the_range(lake_dir):
    """Done-when: the range on the real recordings equals the hand sums, with the table line."""
    total = sum((fill_usd(o) for o in riftfern_orders()), Decimal(0))
    copies = sum((fill_usd(o) for o in riftfern_orders(SECOND_RECORDER)), Decimal(0))
    res = _run("report", "--start", "2025-12-27", "--end", "2025-12-29", "-m", "standard", "-m", "every-copy",
               "--data-dir", str(lake_dir), "--json")
    r = json.loads(res.output, parse_float=Decimal)
    assert r["total_usd"] == total and r["methodology"]["name"] == "standard"  # the first report, as before
    assert r["range"]["total_usd"] == [total, total + copies]
    assert [x["methodology"]["name"] for x in r["reports"]] == ["standard", "every-copy"]
    assert r["reports"][1]["events"] == 2045 + 500
    assert r["range"]["by_venue"] == [{"venue": "binance_usdm", "total_usd": [total, total + copies],
                                       "long_usd": r["range"]["long_usd"], "short_usd": r["range"]["short_usd"]}]
    long_ = sum((fill_usd(o) for o in riftfern_orders() if o["S"] == "SELL"), Decimal(0))
    assert r["range"]["long_usd"][0] == long_
    table = _run("report", "--start", "2025-12-27", "--end", "2025-12-29", "-m", "standard", "-m", "every-copy",
                 "--data-dir", str(lake_dir)).output
    assert f"total ${total / 10**6:.1f}M–${(total + copies) / 10**6:.1f}M" in table  # "total $2.1M–$2.4M"
    assert "total $2.1M–$2.4M" in table


def test_a_single_methodology_keeps_the_documented_keys(lake_dir):
    r = json.loads(_run("report", "--start", "2025-12-27", "--end", "2025-12-29", "--data-dir", str(lake_dir),
                        "--json").output)
    assert "range" not in r and r["window"]["kind"] == "fixed"
    assert r["window"]["start"] == "2025-12-27T00:00:00.000Z" and r["estimate"] is None


def test_utc8_day_counts_exactly_the_utc8_calendar_day(lake):
    lo, hi = parse_iso_ns("2025-12-26T16:00:00Z") // 10**6, parse_iso_ns("2025-12-27T16:00:00Z") // 10**6
    expected = sum((fill_usd(o) for o in riftfern_orders() if lo <= o["T"] < hi), Decimal(0))
    r = report(counted(lake, load("utc8-day"), parse_iso_ns("2025-12-27"), parse_iso_ns("2025-12-28")))
    assert r.total_usd == expected and r.window.detail == "calendar day 2025-12-27 in UTC+8"
    assert r.start == "2025-12-26T16:00:00.000Z"


def test_bankruptcy_price_values_at_the_order_price(lake):
    expected = sum((Decimal(o["z"]) * Decimal(o["p"]) for o in riftfern_orders()), Decimal(0))
    r = report(counted(lake, load("bankruptcy-price"), *ANCHOR))
    assert r.total_usd == expected != report(counted(lake, load("standard"), *ANCHOR)).total_usd


def test_min_notional_drops_the_small_ones(lake, tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('name = "big"\n[counting]\nmin_notional_usd = 10000\n', encoding="utf-8")
    expected = [u for u in (fill_usd(o) for o in riftfern_orders()) if u >= 10000]
    r = report(counted(lake, load(str(path)), *ANCHOR))
    assert (r.total_usd, r.events) == (sum(expected, Decimal(0)), len(expected))


def test_account_dedupe_counts_accounts_but_keeps_the_notional(lake):
    """Hyperliquid's official list: 17 liquidations of 9 accounts; USD is the same under both rules."""
    window = (parse_iso_ns("2023-02-01"), parse_iso_ns("2023-04-01"))
    per_account, standard = (report(counted(lake, load(n), *window)) for n in ("per-account", "standard"))
    assert (standard.events, per_account.events) == (17, 9)
    assert per_account.total_usd == standard.total_usd == HL_OFFICIAL_USD


def test_coverage_presets_pick_their_venues_and_instruments(lake):
    riftfern = sum((fill_usd(o) for o in riftfern_orders()), Decimal(0))
    assert report(counted(lake, load("onchain-only"), *WIDE)).total_usd == HL_OFFICIAL_USD + HL_NODE_USD
    assert report(counted(lake, load("perpetuals-only"), *WIDE)).total_usd == riftfern + HL_NODE_USD + COINM_USD
    cex = report(counted(lake, load("cex-majors-utc-day"), *WIDE))
    assert cex.total_usd == riftfern + COINM_USD and cex.venue("hyperliquid") is None


def test_event_segment_window_is_the_largest_detected_cascade(lake, tmp_path):
    from liqscope.metrics.cascades import detect_cascades

    path = tmp_path / "wave.toml"
    path.write_text('name = "wave"\n[window]\nkind = "event_segment"\n', encoding="utf-8")
    m = load(str(path))
    found = detect_cascades(counted(lake, msgspec.structs.replace(m, window=Window()), *ANCHOR))
    segment = counted(lake, m, *ANCHOR)
    r = report(segment)
    assert len(found) == 6  # the riftfern session's waves under the default thresholds
    top = max(found, key=lambda c: c.total_usd)
    assert (r.window.start_ns, r.window.end_ns) == (top.start_ns, top.end_ns)
    lo, hi = top.start_ns // 10**6, top.end_ns // 10**6
    assert r.total_usd == sum((fill_usd(o) for o in riftfern_orders() if lo <= o["T"] < hi), Decimal(0))
    assert timeline(segment, bucket="1m").total_usd == r.total_usd  # every face counts the same segment
