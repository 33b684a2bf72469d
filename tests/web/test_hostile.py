"""A hostile symbol in the real browser, under the real Content-Security-Policy (issue 14, point 9).

A real Binance ``forceOrder`` frame (tests/fixtures/venues/binance_usdm/ws_force_order.jsonl, line 1) with
only its symbol replaced by a script-carrying string is ingested, served by uvicorn on loopback, and opened
in Debian's headless Chromium. Hovering the by-asset bar (whose tooltip once built HTML from the symbol)
must fire no dialog, show the symbol as text, and the page must load with zero CSP violations.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liqscope.api import create_app
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests.api._lake import Server
from tests.web._browser import ARGS, CHROMIUM, csp_violations, require_browser, watch

FIXTURE = Path(__file__).parent.parent / "fixtures" / "venues" / "binance_usdm" / "ws_force_order.jsonl"
PAYLOAD = "<img/src='x'/onerror=alert(document.domain)>"
SYMBOL = PAYLOAD + "USDT"

sync_api = require_browser()

@pytest.fixture
def hostile_lake(tmp_path):
    frame = json.loads(FIXTURE.read_text().splitlines()[0])
    original = frame["o"]["s"]
    frame["o"]["s"] = SYMBOL
    path = tmp_path / "hostile.frames.jsonl"
    path.write_text(json.dumps(frame) + "\n")
    root = tmp_path / "data"
    result = ingest_file(Catalog(root), "binance_usdm", path)
    assert (result.accepted, original) == (1, "MEUSDT")  # ingest accepts the symbol: the page must cope
    server = Server(create_app(root, poll_s=0.2))
    base = server.start()
    yield base
    server.stop()


def test_a_script_in_a_symbol_is_shown_as_text_and_never_runs(hostile_lake):
    base = hostile_lake
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            seen = watch(page)
            images: list[str] = []
            page.on("request", lambda r: images.append(r.url) if r.resource_type == "image" else None)
            response = page.goto(base + "/")
            assert response.headers["content-security-policy"].startswith("default-src 'self'")
            page.wait_for_selector("body[data-state=ready]", timeout=90_000)

            # The hostile market is on the boards as text, and the by-asset chart has its one row.
            assert page.inner_text("#largest tbody tr:first-child td:nth-child(4)") == SYMBOL
            assert page.locator("#by-asset g.row").count() == 1
            label = page.locator("#by-asset g.row text.label").first.text_content()
            assert PAYLOAD in label

            # Hover the row: the tooltip shows the asset literally and holds no element but ours.
            page.hover("#by-asset g.row rect.hit")
            tooltip = page.locator("div.tooltip")
            tooltip.wait_for(state="visible", timeout=10_000)
            page.wait_for_timeout(300)  # time for an onerror handler to fire, had an <img> been parsed
            assert not seen["dialogs"], seen["dialogs"]
            assert PAYLOAD in tooltip.text_content()
            assert tooltip.locator("img").count() == 0
            assert tooltip.locator("b").first.text_content() == label
            # Every other tooltip too: the timeline bucket, the range and the reconciliation bars.
            for selector in ("#timeline rect.hit", "#range rect.bar", "#reconcile rect.bar"):
                page.locator(selector).first.hover()
                tooltip.wait_for(state="visible", timeout=10_000)
            page.wait_for_timeout(300)  # time for an onerror handler to fire, had an <img> been parsed

            assert page.locator("img").count() == 0
            assert not seen["dialogs"], seen["dialogs"]
            assert not any(u.endswith("/x") for u in images), images  # the payload's <img src=x> never loaded
            assert csp_violations(page) == []
            assert not seen["errors"], seen["errors"]
        finally:
            browser.close()
