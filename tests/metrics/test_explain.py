"""`explain` lists the counted rows behind a figure, and they sum to the figure exactly: the report's by-asset
and by-venue rows and the timeline's buckets, under counting, estimating and account-dedupe methodologies."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.errors import ConfigError, UnknownName
from liqscope.methodology import load
from liqscope.metrics import counted, explain, report, timeline
from tests.metrics.conftest import SECOND_RECORDER, fill_usd, riftfern_orders

RIFTFERN = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
HL_MONTH = (parse_iso_ns("2023-02-01T00:00:00Z"), parse_iso_ns("2023-04-01T00:00:00Z"))
HOUR_NS = 3_600_000_000_000


def _sum(orders: list[dict]) -> Decimal:
    return sum((fill_usd(o) for o in orders), Decimal(0))


def test_an_asset_a_venue_and_an_hour_each_sum_to_the_report_and_the_timeline(lake):
    c = counted(lake, load("standard"), *RIFTFERN)
    r = report(c)
    btc = explain(c, asset="btc")
    # Independently, from the raw frames: the BTCUSDT orders of the session, z x ap.
    want = _sum([o for o in riftfern_orders() if o["s"] == "BTCUSDT"])
    assert btc.total_usd == r.asset("BTC").total_usd == want == Decimal("25292.2248")
    assert btc.events == btc.rows == len(btc.listed) == r.asset("BTC").events == 6
    assert sum((x.usd for x in btc.listed), Decimal(0)) == btc.total_usd
    assert {x.market for x in btc.listed} == {"BTCUSDT"} and btc.figure.asset == "BTC"
    assert [x.usd for x in btc.listed] == sorted((x.usd for x in btc.listed), reverse=True)
    assert btc.methodology == r.methodology and btc.empty is None
    venue = explain(c, venue="binance_usdm")
    assert venue.total_usd == r.venue("binance_usdm").total_usd == r.total_usd == _sum(riftfern_orders())
    assert venue.rows == 2045  # the second recorder's 500 copies are not counted under standard
    # The timeline's 15:00 bucket, and each of its buckets.
    hour = parse_iso_ns("2025-12-27T15:00:00Z")
    in_hour = explain(c, bucket="1h", at_ns=hour + 123, order="time_asc")
    assert in_hour.figure.bucket_start == "2025-12-27T15:00:00.000Z"
    assert in_hour.total_usd == _sum([o for o in riftfern_orders() if hour <= o["T"] * 10**6 < hour + HOUR_NS])
    assert [x.ts_event for x in in_hour.listed] == sorted(x.ts_event for x in in_hour.listed)
    tl = timeline(c, bucket="1h")
    for b in tl.buckets:
        if b.events:
            assert explain(c, bucket="1h", at_ns=b.ts_ns).total_usd == b.total_usd, b.ts
    short = explain(c, asset="BTC", side="SHORT")
    assert short.total_usd == r.asset("BTC").short_usd == _sum(
        [o for o in riftfern_orders() if o["s"] == "BTCUSDT" and o["S"] == "BUY"])


def test_under_every_copy_the_listing_shows_both_recorders_copies(lake):
    c = counted(lake, load("every-copy"), *RIFTFERN)
    e = explain(c, venue="binance_usdm", limit=3)
    assert e.total_usd == report(c).venue("binance_usdm").total_usd == \
        _sum(riftfern_orders()) + _sum(riftfern_orders(SECOND_RECORDER))
    assert e.rows == 2045 + 500 and len(e.listed) == 3 and e.limit == 3


def test_under_throttle_adjusted_the_rows_carry_their_estimate_and_sum_to_the_estimated_figure(lake):
    c = counted(lake, load("throttle-adjusted"), *RIFTFERN)
    r = report(c)
    e = explain(c, asset="BTC")
    assert e.estimated and r.asset("BTC").estimated
    assert e.total_usd == r.asset("BTC").total_usd > e.observed_usd
    assert e.observed_usd == _sum([o for o in riftfern_orders() if o["s"] == "BTCUSDT"])
    assert sum((x.usd for x in e.listed), Decimal(0)) == e.total_usd
    assert sum((x.usd_floor for x in e.listed), Decimal(0)) == e.observed_usd


def test_under_per_account_repeats_are_listed_with_n_0(lake):
    """Hyperliquid's official list: 17 liquidations of 9 accounts (PROVENANCE); the notional is all 17's."""
    c = counted(lake, load("per-account"), *HL_MONTH)
    r = report(c)
    e = explain(c, venue="hyperliquid")
    assert (e.rows, e.events) == (17, 9) == (17, r.venue("hyperliquid").events)
    assert e.total_usd == r.venue("hyperliquid").total_usd == Decimal("29783.048334")
    assert sorted(x.n for x in e.listed) == [0] * 8 + [1] * 9


def test_bad_arguments_name_the_valid_values(lake):
    c = counted(lake, load("standard"), *RIFTFERN)
    with pytest.raises(UnknownName, match="1h"):
        explain(c, bucket="2h", at_ns=RIFTFERN[0])
    with pytest.raises(ConfigError):
        explain(c, bucket="1h")


def test_the_cli_lists_the_rows_in_each_format_with_the_figure(lake_dir):
    args = ["explain", "--start", "2025-12-27", "--end", "2025-12-29", "--asset", "BTC", "--data-dir", str(lake_dir)]
    doc = json.loads(CliRunner().invoke(main, [*args, "--json"]).output, parse_float=Decimal)
    rep = json.loads(CliRunner().invoke(main, ["report", "--start", "2025-12-27", "--end", "2025-12-29",
                                               "--data-dir", str(lake_dir), "--json"]).output, parse_float=Decimal)
    btc = next(a for a in rep["by_asset"] if a["asset"] == "BTC")
    assert doc["total_usd"] == btc["total_usd"] == Decimal("25292.2248")
    assert doc["methodology"] == rep["methodology"]
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, [*args, "--csv"]).output)))
    assert sum(Decimal(x["usd"]) for x in rows) == doc["total_usd"]
    assert [x["raw_ref"] for x in rows] == [x["raw_ref"] for x in doc["listed"]]
    text = CliRunner().invoke(main, args).output
    assert "Figure $25,292.22 = the sum of 6 rows" in text and doc["listed"][0]["raw_ref"] in text
    raw = CliRunner().invoke(main, ["raw", doc["listed"][0]["raw_ref"], "--data-dir", str(lake_dir), "--json"])
    assert json.loads(raw.output)["decoded"]["o"]["s"] == "BTCUSDT"  # each row walks back to its frame
    bad = CliRunner().invoke(main, [*args, "--bucket", "1h"])
    assert bad.exit_code == 2 and "--at" in bad.output
