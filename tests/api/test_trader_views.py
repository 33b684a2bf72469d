"""The trader views: the 1h/4h/12h/24h overview, rankings as ordered arrays, and the price line, each
checked against figures summed here from the raw Binance frames of the 2025-12-27/28 session (z x ap,
SELL closes a long) or read from the real CoinGlass regime export."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from liqscope.api import create_app
from liqscope.market import ingest_market
from liqscope.store import Catalog
from tests.api._lake import SESSION, session_frames
from tests.api._lake import data as _data

HOUR_MS = 3_600_000
END = "2025-12-28T20:44:00Z"          # one minute after the session's last event (20:43 UTC)
END_MS = 1_766_954_640_000
REGIME = "tests/fixtures/market/csv/coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"


def _usd(o: dict) -> Decimal:
    return Decimal(o["z"]) * Decimal(o["ap"])


def _asset(symbol: str) -> str:
    return symbol.removesuffix("USDT").removesuffix("USDC")


def test_overview_timeframes_equal_the_raw_frames_of_each_span(app):
    ov = _data(app, f"/api/overview?end={END}")
    assert ov["end_ns"] == END_MS * 1_000_000
    assert [t["label"] for t in ov["timeframes"]] == ["1h", "4h", "12h", "24h"]
    frames = session_frames()
    for tf in ov["timeframes"]:
        lo = END_MS - tf["seconds"] * 1000
        inside = [o for o in frames if lo <= o["T"] < END_MS]
        long_ = sum((_usd(o) for o in inside if o["S"] == "SELL"), Decimal(0))
        short = sum((_usd(o) for o in inside if o["S"] == "BUY"), Decimal(0))
        assert (tf["long_usd"], tf["short_usd"], tf["total_usd"]) == (long_, short, long_ + short), tf["label"]
        assert tf["events"] == len(inside) and tf["window"]["start_ns"] == lo * 1_000_000
        top = max(inside, key=_usd)
        assert (tf["largest"]["market"], tf["largest"]["notional_usd"]) == (top["s"], _usd(top))
        # Per exchange: one venue with all of it; per coin: ordered, largest first, shares of the total.
        assert [(v["venue"], v["total_usd"], v["share"]) for v in tf["by_venue"]] == [
            ("binance_usdm", long_ + short, 1)]
        per_asset: dict[str, Decimal] = defaultdict(Decimal)
        for o in inside:
            per_asset[_asset(o["s"])] += _usd(o)
        assert {a["asset"]: a["total_usd"] for a in tf["by_asset"]}.keys() <= {
            *per_asset, *(a.removeprefix("1000000").removeprefix("1000") for a in per_asset)}
        assert [a["total_usd"] for a in tf["by_asset"]] == sorted((a["total_usd"] for a in tf["by_asset"]),
                                                                   reverse=True)
    day = ov["timeframes"][3]
    assert day["by_asset"][0]["share"] == (day["by_asset"][0]["total_usd"] / day["total_usd"]).quantize(
        Decimal("0.000001"))


def test_asset_4_keeps_its_rank_and_apt_is_listed(app):
    """The bug: a JSON object put asset "4" first in the browser and the top 12 lost APT."""
    rep = _data(app, f"/api/report?start={SESSION[0]}&end={SESSION[1]}")
    names = [a["asset"] for a in rep["by_asset"]]
    per_asset: dict[str, Decimal] = defaultdict(Decimal)
    for o in session_frames():
        if o["s"] in ("4USDT", "APTUSDT"):
            per_asset[_asset(o["s"])] += _usd(o)
    four = next(a for a in rep["by_asset"] if a["asset"] == "4")
    apt = next(a for a in rep["by_asset"] if a["asset"] == "APT")
    assert (four["total_usd"], apt["total_usd"]) == (per_asset["4"], per_asset["APT"])
    assert names[0] != "4" and names.index("APT") < names.index("4") == sum(
        1 for a in rep["by_asset"] if a["total_usd"] > four["total_usd"])


def test_prices_fall_back_to_fill_prices_and_say_so(app):
    p = _data(app, f"/api/prices?start={SESSION[0]}&end={SESSION[1]}&asset=btc&bucket=1h")
    assert (p["asset"], p["source"], p["venue"], p["market"]) == ("BTC", "fill_price", "binance_usdm", "BTCUSDT")
    assert "no price ingested for BTC" in p["detail"]
    # Close = the last BTCUSDT fill of each hour (frames are in time order per symbol), low/high its extremes.
    hours: dict[int, list[Decimal]] = defaultdict(list)
    for o in sorted((o for o in session_frames() if o["s"] == "BTCUSDT"), key=lambda o: o["T"]):
        hours[o["T"] // HOUR_MS * HOUR_MS].append(Decimal(o["ap"]))
    assert [(x["ts_ns"] // 1_000_000, x["price"], x["low"], x["high"], x["observations"]) for x in p["points"]] == [
        (h, v[-1], min(v), max(v), len(v)) for h, v in sorted(hours.items())]


def test_prices_come_from_ingested_prices_when_the_lake_has_them(lake, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(lake.root, root)
    ingest_market(Catalog(root), "coinglass-regime-csv", Path(REGIME))
    app = create_app(root)
    p = _data(app, f"/api/prices?start={SESSION[0]}&end={SESSION[1]}&asset=BTC&bucket=1h")
    assert (p["source"], p["venue"], p["market"]) == ("ingested_price", "binance_spot", "BTCUSDT")
    assert "spot_close" in p["detail"]
    # Each hourly row is known at the end of its hour: the point of hour H is the close of the row opened at H-1h.
    with open(REGIME, newline="") as f:
        closes = {int(r["timestamp"]) + HOUR_MS: Decimal(r["price_close"]) for r in csv.DictReader(f)}
    lo, hi = 1_766_793_600_000, 1_766_966_400_000
    want = [(t, v) for t, v in sorted(closes.items()) if lo <= t < hi]
    assert [(x["ts_ns"] // 1_000_000, x["price"]) for x in p["points"]] == want
    assert len(want) == 47  # 2025-12-27 01:00 .. 12-28 23:00: the export ends with the row opened at 23:00


def test_prices_reject_a_bad_bucket_with_the_valid_values(app):
    from liqscope.api._inprocess import get

    status, _, body = get(app, f"/api/prices?start={SESSION[0]}&end={SESSION[1]}&asset=BTC&bucket=2h")
    assert status == 400 and b'"param":"bucket"' in body.replace(b" ", b"")
