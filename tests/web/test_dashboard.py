"""The dashboard in a real browser (Debian's headless Chromium via Playwright) on a real lake served by uvicorn.

It loads the page, checks the charts drew bars from the data, switches methodology and sees the numbers
change to the API's figures, watches a live update arrive while "capture" commits a batch, and saves a
screenshot (``$LIQSCOPE_ARTIFACTS/dashboard.png``) for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest

from liqscope.api import create_app
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests._data import COINM_ARCHIVE
from tests.api._lake import Server
from tests.web._browser import ARGS, CHROMIUM, csp_violations, require_browser, watch

# Screenshots go outside the work tree: $LIQSCOPE_ARTIFACTS, else <tmp>/liqscope-dashboard.
ARTIFACTS = Path(os.environ.get("LIQSCOPE_ARTIFACTS") or Path(tempfile.gettempdir()) / "liqscope-dashboard")

sync_api = require_browser()


@pytest.fixture
def served(lake, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(lake.root, root)
    server = Server(create_app(root, poll_s=0.2))
    base = server.start()
    yield root, base
    server.stop()


def _api(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return json.loads(r.read())


def _money(text: str) -> float:
    mult = {"K": 1e3, "M": 1e6, "B": 1e9}
    t = text.strip().lstrip("$").replace(",", "")
    return float(t[:-1]) * mult[t[-1]] if t[-1] in mult else float(t)


def _settled(page) -> int:
    """Wait until the page has no render pending (a resize re-renders it after 250 ms); its render count."""
    page.wait_for_timeout(600)
    # Predicates are functions, not expressions: Playwright evals an expression inside the page, which the
    # dashboard's CSP (no 'unsafe-eval') refuses.
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)
    return int(page.get_attribute("body", "data-renders"))


def _rendered_after(page, renders: int) -> None:
    page.wait_for_function(f"() => Number(document.body.dataset.renders) > {renders} && "
                           "document.body.dataset.state === 'ready'", timeout=90_000)


def test_dashboard_renders_the_lake_switches_methodology_and_updates_live(served):
    root, base = served
    window = "start=2025-12-27T00:00:00Z&end=2025-12-29T00:00:00Z"
    std = _api(base, f"/api/report?{window}")["data"]
    every = _api(base, f"/api/report?{window}&methodology=every-copy")["data"]
    assert float(every["total_usd"]) == 2 * float(std["total_usd"])

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            seen = watch(page)  # script errors, console errors (a CSP refusal is one), dialogs, CSP violations
            outside: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(base) or r.url.startswith("data:")
                    else outside.append(r.url))
            page.goto(base + "/")
            page.wait_for_selector("body[data-state=ready]", timeout=90_000)
            assert csp_violations(page) == [], "the dashboard must run under its own strict CSP"

            # The default window is the 24 h ending with the newest event (20:43 UTC), in 24-hour UTC text inputs
            # (tests/web/test_views.py checks it); here the page is set to the whole 2025-12-27/28 session.
            assert (page.input_value("#start"), page.input_value("#end")) == ("2025-12-27 20:44", "2025-12-28 20:44")
            renders = _settled(page)
            page.fill("#start", "2025-12-27 00:00")
            page.fill("#end", "2025-12-29 00:00")
            page.dispatch_event("#end", "change")
            _rendered_after(page, renders)
            assert page.get_attribute("body", "data-fingerprint") == _api(base, "/api/methodologies/standard")[
                "data"]["fingerprint"]
            assert abs(_money(page.inner_text("#kpi-total")) - float(std["total_usd"])) < 0.01e6
            assert page.inner_text("#kpi-total").startswith("$2.05M")
            # Charts drew real bars: the hourly timeline has long and short bars; breakdowns have rows.
            assert page.locator("#timeline rect.bar.short").count() >= 4
            assert page.locator("#timeline rect.bar.long").count() >= 3
            assert page.locator("#by-asset g.row").count() == 12
            assert page.locator("#by-venue g.row").count() == 1
            assert page.locator("#largest tbody tr").count() == 10
            assert page.inner_text("#largest tbody tr:first-child td:nth-child(4)") == "1000PEPEUSDT"
            assert page.inner_text("#largest tbody tr:first-child td:last-child").endswith(":1502")
            assert page.locator("#range rect.bar").count() == len(_api(base, "/api/methodologies")["data"])
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-standard.png"), full_page=True)

            renders = _settled(page)  # a full-page screenshot resizes the page, which re-renders it
            page.select_option("#methodology", "every-copy")
            _rendered_after(page, renders)
            assert page.inner_text("#kpi-total").startswith("$4.1M")
            assert page.inner_text("#kpi-events") == f"{every['events']:,} liquidations"
            assert page.get_attribute("body", "data-fingerprint") == _api(base, "/api/methodologies/every-copy")[
                "data"]["fingerprint"]
            assert page.inner_text("#kpi-meth").startswith("every-copy")
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # Live: a batch lands while the page is open (a second copy of the COIN-M archive).
            assert page.get_attribute("body", "data-batches") == "12"  # 7 + the 5 lending inputs of the demo
            copy = root.parent / "coinm_second_copy.csv"
            copy.write_bytes(COINM_ARCHIVE.read_bytes() + b"\n")
            renders = _settled(page)
            ingest_file(Catalog(root), "binance_coinm", copy, "binance-archive")
            page.wait_for_selector("body[data-batches='13']", timeout=30_000)
            _rendered_after(page, renders)
            assert "13 batches" in page.inner_text("#live-text")
            assert csp_violations(page) == []
            assert not seen["errors"] and not seen["dialogs"], seen
            assert not outside, f"the dashboard fetched outside its server: {outside}"
        finally:
            browser.close()
