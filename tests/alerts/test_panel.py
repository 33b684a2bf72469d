"""The recent alerts reach the API (/api/alerts) and the dashboard's panel, in a real browser."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

pytest.importorskip("fastapi", reason="the api extra is not installed")

from liqscope import load_methodology
from liqscope._time import parse_iso_ns
from liqscope.alerts import AlertHistory, deliver, evaluate, load_rules
from liqscope.api import create_app
from liqscope.api._inprocess import get
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.venues import venues
from tests._data import BINANCE_RIFTFERN
from tests.alerts._http import hook
from tests.api._lake import Server

RULES = '[[rule]]\nname = "whale"\nkind = "single"\nthreshold_usd = 50000\ncooldown_seconds = 0\nchannels = ["{url}"]\n'


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The 2025-12-27 recording, with a history of the day's whales (3; the largest is PROVENANCE's 1000PEPE)."""
    root = tmp_path_factory.mktemp("alerts")
    catalog = Catalog(root / "data")
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    rules_path = root / "rules.toml"
    with hook() as (url, received):
        rules_path.write_text(RULES.format(url=url))
        (rule,) = load_rules(rules_path, tuple(venues())).rules
        # What the live evaluator does on each pass (record first, then deliver), over the whole day.
        fired = evaluate(catalog, [rule], load_methodology("standard"), parse_iso_ns("2025-12-27T00:00:00Z"),
                         parse_iso_ns("2025-12-28T00:00:00Z"))
        history = AlertHistory(catalog.root)
        for alert in history.record(fired, parse_iso_ns("2025-12-28T00:00:00Z")):
            history.deliveries(alert.key, deliver(alert, rule.channels))
        assert len(fired) == 3 and len(received) == 3
    return catalog


def test_api_lists_recent_alerts_newest_first_with_their_fingerprint(lake: Catalog) -> None:
    app = create_app(lake.root, poll_s=0.1)
    status, _, body = get(app, "/api/alerts?limit=2")
    assert status == 200
    rows = json.loads(body, parse_float=Decimal)["data"]
    assert [r["alert"]["ts"] for r in rows] == ["2025-12-27T21:50:06.285Z", "2025-12-27T21:38:55.290Z"]
    assert round(rows[1]["alert"]["value_usd"]) == 126_380
    assert {r["alert"]["methodology"]["fingerprint"] for r in rows} == {load_methodology("standard").fingerprint()}
    assert all(d["ok"] for r in rows for d in r["deliveries"])
    assert get(app, "/api/alerts?limit=0")[0] == 400


def test_dashboard_panel_shows_the_recent_alerts(lake: Catalog) -> None:
    from tests.web._browser import ARGS, CHROMIUM, require_browser

    sync_api = require_browser()
    server = Server(create_app(lake.root, poll_s=0.2))
    base = server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(base + "/")
                page.wait_for_selector("#alerts tbody tr[data-key]", timeout=60_000)
                rows = page.eval_on_selector_all("#alerts tbody tr", "rs => rs.map(r => r.innerText)")
                assert not errors, errors
            finally:
                browser.close()
    finally:
        server.stop()
    assert len(rows) == 3
    assert "21:38:55Z" in rows[1] and "whale" in rows[1] and "$126,380" in rows[1] and "1000PEPEUSDT" in rows[1]
    assert load_methodology("standard").fingerprint() in rows[0] and "✓ json://127.0.0.1" in rows[0]
