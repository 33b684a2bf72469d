"""The market-structure commands end to end on a real lake (JSON shapes and values)."""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner

from liqscope.cli import main
from tests._data import BINANCE_RIFTFERN
from tests.market.test_parsers import MARKET


def _run(*args: str) -> dict:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.output, parse_float=Decimal)


def test_market_commands_on_a_real_lake(tmp_path):
    d = ["--data-dir", str(tmp_path)]
    assert CliRunner().invoke(main, ["ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), *d]).exit_code == 0
    out = _run("market", "ingest", "--format", "coinglass-regime-csv",
               str(MARKET / "csv" / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"), *d, "--json")
    assert out["results"][0]["rows"] == {"funding": 593, "open_interest": 593, "price": 1779}
    _run("market", "ingest", "--format", "coinglass-liquidations-csv",
         str(MARKET / "csv" / "coinglass_btc_liquidations_1h_binance_bybit_okx_2025-12-27_to_2025-12-28.csv"), *d,
         "--json")
    at = ["--at", "2025-12-28T21:00:00Z"]
    f = _run("funding", *at, *d, "--json")
    assert f["rates"][0]["rate"] == Decimal("0.0001") and f["oi_weighted"][0]["asset"] == "BTC"
    o = _run("oi", *at, *d, "--json")
    assert o["open_interest"][0]["provider"] == "coinglass"
    assert o["usd_by_asset"][0]["asset"] == "BTC" and o["usd_by_asset"][0]["oi_usd"] > 0  # a ranking: an array
    w = ["--start", "2025-12-27", "--end", "2025-12-29"]
    c = _run("cascades", *w, *d, "--json")
    assert len(c["cascades"]) == 6 and c["cascades"][2]["peak_minute"] == "2025-12-27T15:43:00.000Z"
    h = _run("hawkes", "--start", "2025-12-27T14:31:00Z", "--end", "2025-12-27T15:56:00Z", *d, "--json")
    assert {"branching_ratio", "ci_low", "ci_high", "events", "ks_pvalue"} <= set(h)
    assert h["branching_ratio"] > 0 and h["ci_low"] <= h["branching_ratio"] <= h["ci_high"]
    hi = _run("health", *at, *d, "--json")
    assert hi["version"] == "lhi-2" and {c["name"] for c in hi["components"]} == {
        "funding", "premium", "oi_change", "liq_imbalance"}
    fl = _run("flags", *w, *d, "--json")
    assert next(x["name"] for x in fl["flags"]) == "long_dominance"
    k = _run("concentration", *w, *d, "--json")
    assert k["by_event"]["units"] == 2045 and k["accounts"]["accounts"] is None
    cmp = _run("compare", *w, *d, "--json")
    assert cmp["hours_exceeding"] == [] and len(cmp["hours"]) == 47
    for cmd in ("funding", "oi", "health"):
        assert CliRunner().invoke(main, [cmd, *at, *d]).exit_code == 0
    for cmd in ("cascades", "flags", "concentration", "compare", "hawkes"):
        assert CliRunner().invoke(main, [cmd, *w, *d]).exit_code == 0


def test_unknown_market_format_lists_the_valid_ones(tmp_path):
    res = CliRunner().invoke(main, ["market", "ingest", "--format", "nope", "x.json", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and "binance-premium-index" in res.output and "okx-open-interest" in res.output
