"""The dashboard's panels degrade per methodology and per panel, in a real browser (Debian's Chromium).

- One venue chosen: a methodology that excludes it has its own "not covered by this methodology" row in
  the range and the reconciliation; the page does not fail.
- A panel whose request fails empties itself and says why; it never keeps the previous window's figures.
- The figure the page shows is the figure the API, the CLI and the note give for the same request.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from liqscope.api import create_app
from liqscope.cli import main
from liqscope.metrics import NOT_COVERED
from tests.api._lake import Server
from tests.web._browser import ARGS, CHROMIUM, require_browser

WINDOW = ("2025-12-27T00:00:00Z", "2025-12-29T00:00:00Z")

sync_api = require_browser()


@pytest.fixture(scope="module")
def base(lake):
    server = Server(create_app(lake.root, poll_s=0.2))
    yield server.start()
    server.stop()


def _window(page, start: str, end: str) -> None:
    """Type a window into the 24-hour UTC inputs ("YYYY-MM-DD HH:MM") and wait for the page to render it."""
    def set_it() -> None:
        page.fill("#start", start[:16].replace("T", " "))
        page.fill("#end", end[:16].replace("T", " "))
        page.dispatch_event("#end", "change")
    _after(page, set_it)


@pytest.fixture
def page(base):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")
            page.wait_for_selector("body[data-state=ready]", timeout=90_000)
            yield page
            assert not errors, errors
        finally:
            browser.close()


def _after(page, action) -> None:
    """Run ``action`` and wait for the page's next complete render."""
    page.wait_for_timeout(600)  # let any resize re-render settle first
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)
    renders = int(page.get_attribute("body", "data-renders"))
    action()
    page.wait_for_function(f"() => Number(document.body.dataset.renders) > {renders} && "
                           "document.body.dataset.state === 'ready'", timeout=90_000)


def _cli(lake, *args: str) -> dict:
    res = CliRunner().invoke(main, [*args, "--data-dir", str(lake.root), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.output, parse_float=Decimal)


def test_one_venue_under_a_methodology_that_excludes_it_is_a_row_not_a_failure(page, lake):
    _window(page, *WINDOW)
    page.click("#venues summary")
    _after(page, lambda: page.check("#venue-list input[value='binance_usdm']"))
    assert page.get_attribute("body", "data-failed") == "0"
    rows = page.locator("#range text.not-covered")
    assert rows.count() == 1 and rows.first.text_content() == NOT_COVERED  # onchain-only, Hyperliquid only
    assert page.locator("#range rect.bar").count() == len(page.locator("#methodology option").all()) - 1
    assert page.inner_text("#kpi-total").startswith("$2.05M")  # standard on binance_usdm: the session
    _after(page, lambda: page.select_option("#reconcile-b", "onchain-only"))
    assert NOT_COVERED in page.inner_text("#reconcile")
    assert "onchain-only" in page.inner_text("#reconcile-sub")


def test_a_failing_panel_empties_and_says_why_while_the_others_render(page):
    assert page.locator("#timeline rect.bar").count() > 0
    # Four weeks in 1-minute buckets is more than the timeline's 10,000 buckets: its request fails.
    page.fill("#start", "2025-12-01 00:00")
    page.dispatch_event("#start", "change")
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)
    _after(page, lambda: page.select_option("#bucket", "1m"))
    assert page.locator("#timeline rect.bar").count() == 0
    assert "buckets of 1m exceed 10,000" in page.inner_text("#timeline")
    assert page.inner_text("#kpi-peak") == "–"
    assert page.get_attribute("body", "data-failed") == "1"
    assert page.inner_text("#kpi-total").startswith("$2.05M")  # the report still renders, for the new window


@pytest.mark.parametrize("methodology", ["standard", "throttle-adjusted", "all-venues-rolling-24h", "utc8-day"])
def test_the_page_shows_the_figure_the_api_the_cli_and_the_note_give(page, base, lake, methodology, tmp_path):
    """CLI = API = HTML note = dashboard (read from the DOM), to the cent, for one request."""
    import urllib.request

    start, end = WINDOW
    with urllib.request.urlopen(f"{base}/api/report?start={start}&end={end}&methodology={methodology}",
                                timeout=60) as r:
        api = json.loads(r.read(), parse_float=Decimal)["data"]
    cli = _cli(lake, "report", "--start", start, "--end", end, "-m", methodology)
    assert cli["total_usd"] == api["total_usd"]
    out = tmp_path / "note"
    res = CliRunner().invoke(main, ["report", "--start", start, "--end", end, "-m", methodology, "-m", "standard",
                                    "--data-dir", str(lake.root), "--format", "html", "--out", str(out)])
    assert res.exit_code == 0, res.output
    (html,) = out.glob("*.html")
    headline = re.search(r"<strong>(\$[\d,]+\.\d\d)</strong> \[", html.read_text()).group(1)
    cents = f"${api['total_usd']:,.2f}"
    assert headline == cents
    _window(page, start, end)
    _after(page, lambda: page.select_option("#methodology", methodology))
    assert page.get_attribute("#kpi-total", "title").split(" (")[0] == cents
    assert page.get_attribute("#kpi-total", "data-estimated") == str(api["estimated"]).lower()
    assert f"{Decimal(page.get_attribute('#timeline', 'data-total-usd')):.2f}" == f"{api['total_usd']:.2f}"
