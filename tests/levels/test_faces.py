"""`liqscope levels` / `levels backtest` / `levels heatmap`, /api/levels, and the dashboard panel, on the bundled
real data: each face gives the library's figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.methodology import load
from liqscope.metrics import counted
from liqscope.metrics.levels import backtest_levels, levels_heatmap, liquidation_map

pytest.importorskip("fastapi", reason="the api extra is not installed")

STANDARD = load("standard")
SESSION = ("2025-12-27T00:00:00Z", "2025-12-29T00:00:00Z")


def _cli(lake, *args: str) -> dict:
    res = CliRunner().invoke(main, [*args, "--data-dir", str(lake.root), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output, parse_float=Decimal)


def _plain(x: object) -> object:
    from liqscope._output import to_json

    return json.loads(to_json(x), parse_float=Decimal)


def test_levels_cli_is_the_library_map(lake):
    out = _cli(lake, "levels", "--asset", "btc", "--at", "2026-02-06T00:30:00Z", "--range-pct", "5")
    lib = liquidation_map(lake, STANDARD, "BTC", parse_iso_ns("2026-02-06T00:00:00Z"), range_pct=5)
    assert out == _plain(lib)
    assert (out["kind"], out["exactness"], out["at"]) == ("estimated", "inferred", "2026-02-06T00:00:00.000Z")
    assert out["methodology"]["fingerprint"] == STANDARD.fingerprint()
    # The price is the last CoinGlass close known at 00:00: the 2026-02-05 23:00 row's close.
    assert out["price"] == Decimal("62909.86") and out["coverage"]["oi_series"] == ["binance_usdm:BTCUSDT"]


def test_levels_backtest_cli_gives_every_hour_and_both_scores(lake):
    out = _cli(lake, "levels", "backtest", "--asset", "BTC", "--start", "2026-01-10T00:00:00Z", "--end",
               "2026-01-12T00:00:00Z", "--realized", "coinglass")
    assert len(out["hours"]) == 48 and out["calibrate_end"] == "2026-01-11T00:00:00.000Z"
    assert {"ts", "predicted_long_usd", "predicted_short_usd"} <= set(out["hours"][0])
    lib = backtest_levels(counted(lake, STANDARD, parse_iso_ns("2026-01-10T00:00:00Z"),
                                  parse_iso_ns("2026-01-12T00:00:00Z")), "BTC", realized="coinglass")
    assert out == _plain(lib)
    assert set(out["out_of_sample"]) == {"map", "baseline"} and out["out_of_sample"]["map"]["hours"] == 24


def test_the_heatmap_overlays_the_counted_liquidations(lake):
    """Realized (counted): the BTC liquidations of the bundled Binance recording, per hour, as report counts."""
    from liqscope.metrics import report

    c = counted(lake, STANDARD, *(parse_iso_ns(t) for t in SESSION))
    h = levels_heatmap(c, "BTC")
    assert len(h.hours) == 48 and all(len(x.long_usd) == len(h.rows) for x in h.hours)
    total = sum((x.realized_long_usd or 0) + (x.realized_short_usd or 0) for x in h.hours)
    btc = report(c).asset("BTC")
    assert btc is not None and total == btc.total_usd
    assert max(sum(x.long_usd) + sum(x.short_usd) for x in h.hours) > 0


def test_the_heatmap_without_market_data_is_empty_and_says_why(tmp_path):
    from liqscope.ingest import ingest_file
    from liqscope.store import Catalog
    from tests._data import BINANCE_RIFTFERN

    cat = Catalog(tmp_path)
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    h = levels_heatmap(counted(cat, STANDARD, *(parse_iso_ns(t) for t in SESSION)), "BTC")
    assert h.hours == [] and "no open interest in USD or prices for BTC" in h.notes[-1]


@pytest.fixture(scope="module")
def app(lake):
    from liqscope.api import create_app

    return create_app(lake.root, poll_s=0.2)


def _get(app, path: str) -> tuple[int, dict]:
    from liqscope.api._inprocess import get

    status, _, body = get(app, path)
    return status, json.loads(body, parse_float=Decimal)


def test_api_heatmap_and_map_are_the_library_figures(app, lake):
    status, body = _get(app, f"/api/levels/heatmap?start={SESSION[0]}&end={SESSION[1]}&realized=coinglass")
    assert status == 200 and body["meta"]["methodologies"][0]["fingerprint"] == STANDARD.fingerprint()
    c = counted(lake, STANDARD, *(parse_iso_ns(t) for t in SESSION))
    assert body["data"] == _plain(levels_heatmap(c, "BTC", realized="coinglass"))
    # CoinGlass 2025-12-27 15:00 (the PROVENANCE cross-check hour): long $262, short $25,880 (rounded there).
    hour = next(x for x in body["data"]["hours"] if x["ts"] == "2025-12-27T15:00:00.000Z")
    assert round(hour["realized_long_usd"]) == 262 and round(hour["realized_short_usd"], -1) == 25880
    status, body = _get(app, "/api/levels?at=2026-02-06T00:00:00Z&asset=BTC&range_pct=5")
    assert status == 200 and body["data"]["price"] == Decimal("62909.86")


@pytest.mark.parametrize(("query", "param", "valid"), [
    ("start=2025-12-01T00:00:00Z&end=2026-02-01T00:00:00Z", "end", None),
    (f"start={SESSION[0]}&end={SESSION[1]}&realized=nope", "realized", ["counted", "coinglass"]),
    (f"start={SESSION[0]}&end={SESSION[1]}&asset=BTC;DROP", "asset", None),
])
def test_api_heatmap_refuses_bad_parameters_naming_them(app, query, param, valid):
    status, body = _get(app, f"/api/levels/heatmap?{query}")
    assert status == 400 and body["errors"][0]["param"] == param
    assert body["errors"][0].get("valid") == valid


def test_the_dashboard_panel_draws_the_heatmap_under_the_timeline(app, lake):
    from tests.api._lake import Server
    from tests.web._browser import ARGS, CHROMIUM, csp_violations, require_browser, watch

    sync_api = require_browser()
    # The dashboard opens on the last 24 h with data; the test types the session's two days into its inputs.
    api = _get(app, f"/api/levels/heatmap?start={SESSION[0]}&end={SESSION[1]}")[1]["data"]
    server = Server(app)
    base = server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                seen = watch(page)
                page.goto(base + "/")
                page.wait_for_selector("#levels-panel[data-state=ready]", timeout=90_000)
                page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)
                page.fill("#start", SESSION[0][:16].replace("T", " "))
                page.fill("#end", SESSION[1][:16].replace("T", " "))
                page.dispatch_event("#end", "change")
                page.wait_for_selector("#levels-chart[data-hours='48']", timeout=90_000)
                page.wait_for_selector("#levels-panel[data-state=ready]", timeout=90_000)
                chart = page.locator("#levels-chart")
                assert chart.get_attribute("data-hours") == "48"
                assert chart.get_attribute("data-rows") == str(len(api["rows"]))
                dots = sum(1 for x in api["hours"] if (x["realized_long_usd"] or 0) + (x["realized_short_usd"] or 0))
                assert chart.get_attribute("data-dots") == str(dots) and dots > 0
                assert page.locator("#levels-chart canvas").count() == 1
                assert page.get_attribute("#levels-panel", "data-fingerprint") == STANDARD.fingerprint()
                # Order on the page: the levels panel comes right after the timeline's panel.
                assert page.evaluate("() => document.getElementById('timeline').closest('section')"
                                     ".nextElementSibling.id") == "levels-panel"
                page.select_option("#levels-realized", "coinglass")
                page.wait_for_function("() => document.querySelector('#levels-sub').textContent.includes('CoinGlass')",
                                       timeout=60_000)
                assert seen["errors"] == [] and seen["dialogs"] == [] and csp_violations(page) == []
            finally:
                browser.close()
    finally:
        server.stop()
