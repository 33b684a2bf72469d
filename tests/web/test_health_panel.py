"""The dashboard's leverage-health panel says what the index rests on (issue 15, item 8), in Chromium.

On the bundled data (no funding, premium or open interest; 25 hours of liquidation history) the index
is not computable: the panel shows the API's headline with the reason, never a bare number (lhi-1 showed
"BTC index 92.8571" for an empty window).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from liqscope.api import create_app
from tests.api._lake import Server
from tests.web._browser import ARGS, CHROMIUM, require_browser

sync_api = require_browser()


@pytest.fixture(scope="module")
def base(lake):
    server = Server(create_app(lake.root, poll_s=0.2))
    yield server.start()
    server.stop()


def test_the_health_panel_shows_the_reason_the_index_is_not_computable(base):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(base + "/")
            page.wait_for_selector("body[data-state=ready]", timeout=90_000)
            page.wait_for_selector("[data-panel=health] p[data-computable]", timeout=90_000)
            shown = page.inner_text("[data-panel=health] p[data-computable]")
            computable = page.get_attribute("[data-panel=health] p[data-computable]", "data-computable")
        finally:
            browser.close()
    assert computable == "false"
    assert "not computable" in shown and "needs at least 2" in shown and "index 9" not in shown
    # The same headline the API gives for the instant the panel names.
    query = urllib.parse.urlencode({"at": shown.split(" at ", 1)[1].split(": not computable", 1)[0]})
    with urllib.request.urlopen(f"{base}/api/health?{query}", timeout=60) as r:
        api = json.loads(r.read())["data"]
    assert (api["computable"], api["index"], api["headline"]) == (False, None, shown)
