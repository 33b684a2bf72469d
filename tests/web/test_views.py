"""The trader views in a real browser (Debian's headless Chromium), on the bundled real data, each number
read from the page and compared with the API's: the 1h/4h/12h/24h tiles, the largest single liquidation,
the sortable per-exchange and per-coin tables, the multi-venue filter, the coin search, the price line,
the default window (the last 24 h with data), the 24-hour UTC time inputs, the raw-frame links, and the
phone layout at 390 px (no sideways scrolling, no clipped panel)."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.api import create_app
from tests.api._lake import Server
from tests.web._browser import ARGS, CHROMIUM, csp_violations, require_browser, watch

ARTIFACTS = Path(os.environ.get("LIQSCOPE_ARTIFACTS") or Path(tempfile.gettempdir()) / "liqscope-dashboard")
COIN_ROWS = 25

sync_api = require_browser()


@pytest.fixture(scope="module")
def base(lake):
    server = Server(create_app(lake.root, poll_s=0.2))
    yield server.start()
    server.stop()


def _get(base: str, path: str, **params) -> dict:
    q = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{base}{path}{'?' + q if q else ''}", timeout=60) as r:
        return json.loads(r.read(), parse_float=Decimal)


def _data(base: str, path: str, **params):
    body = _get(base, path, **params)
    assert body["ok"], body
    return body["data"]


def _cents(v) -> str:
    return f"${Decimal(v):,.2f}"


def _input(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")


def _iso(text: str) -> str:
    return text.replace(" ", "T") + ":00Z"


def _settle(page) -> None:
    page.wait_for_timeout(700)  # a resize (a screenshot) re-renders after 250 ms
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)


def _after(page, action) -> None:
    """Run ``action`` and wait for the page's next complete render."""
    _settle(page)
    renders = int(page.get_attribute("body", "data-renders"))
    action()
    page.wait_for_function(f"() => Number(document.body.dataset.renders) > {renders} && "
                           "document.body.dataset.state === 'ready'", timeout=90_000)


def _texts(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def _open(pw, base: str, width: int):
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = watch(page)
    page.goto(base + "/")
    page.wait_for_selector("body[data-state=ready]", timeout=90_000)
    _settle(page)
    return browser, page, seen


def _check_tiles(page, ov: dict) -> None:
    for tf in ov["timeframes"]:
        tile = f".tile[data-tf='{tf['label']}']"
        assert page.get_attribute(f"{tile} .v", "title") == _cents(tf["total_usd"]), tf["label"]
        assert page.get_attribute(f"{tile} .ls .long", "title").startswith(f"Longs liquidated {_cents(tf['long_usd'])}")
        assert page.get_attribute(f"{tile} .ls .short", "title").startswith(
            f"Shorts liquidated {_cents(tf['short_usd'])}")
        assert page.inner_text(f"{tile} .s") == f"{tf['events']:,} liquidations"


def _check_raw_link(base: str, href: str, market: str) -> None:
    assert href.startswith("/api/raw/")
    raw = _data(base, href)
    assert raw["ref"] == urllib.parse.unquote(href.removeprefix("/api/raw/"))
    frame = raw["decoded"]
    assert frame.get("data", frame)["o"]["s"] == market  # the Binance forceOrder frame behind the row


def test_the_trader_views_show_the_apis_numbers(base):
    lake = _data(base, "/api/lake")
    minute = 60 * 10**9
    end_ns = lake["last_event_ns"] // minute * minute + minute
    with sync_api.sync_playwright() as pw:
        browser, page, seen = _open(pw, base, 1440)
        try:
            # Default window: the 24 h ending one minute after the newest event, in 24-hour UTC text inputs.
            assert page.input_value("#end") == _input(end_ns) == "2025-12-28 20:44"
            assert page.input_value("#start") == _input(end_ns - 86_400 * 10**9) == "2025-12-27 20:44"
            start, end = _iso(page.input_value("#start")), _iso(page.input_value("#end"))
            ov = _data(base, "/api/overview", end=end)
            rep = _data(base, "/api/report", start=start, end=end)
            _check_tiles(page, ov)
            assert [t["label"] for t in ov["timeframes"]] == ["1h", "4h", "12h", "24h"]
            assert ov["timeframes"][3]["total_usd"] == rep["total_usd"]  # the 24 h tile is the default window

            # The largest single liquidation, and its raw frame behind the link.
            top = rep["largest"][0]
            assert page.get_attribute("#largest-usd", "title") == _cents(top["notional_usd"])
            assert top["market"] in page.inner_text("#largest-what")
            _check_raw_link(base, page.get_attribute("#largest-what a.raw", "href"), top["market"])
            # Every board entry and event row links to its raw frame.
            for table in ("#largest", "#events"):
                rows = page.locator(f"{table} tbody tr")
                assert rows.count() > 0 and page.locator(f"{table} tbody tr a.raw").count() == rows.count()
                market = page.inner_text(f"{table} tbody tr:first-child td:nth-child({3 if table == '#events' else 4})")
                _check_raw_link(base, page.get_attribute(f"{table} tbody tr:first-child a.raw", "href"), market)

            # Tables: 24 h by default, in the API's order, with its shares.
            day = ov["timeframes"][3]
            assert _texts(page, "#by-exchange tbody td:nth-child(1)") == [v["venue"] for v in day["by_venue"]]
            assert _texts(page, "#by-exchange tbody td:nth-child(3)") == [
                f"{Decimal(v['share']) * 100:.1f}%" for v in day["by_venue"]]
            assert _texts(page, "#by-coin tbody td:nth-child(1)") == [a["asset"] for a in day["by_asset"][:COIN_ROWS]]
            assert _texts(page, "#by-coin tbody td:nth-child(2)") == [
                _cents(a["total_usd"]) for a in day["by_asset"][:COIN_ROWS]]
            assert _texts(page, "#by-coin tbody td:nth-child(3)") == [
                f"{Decimal(a['share']) * 100:.1f}%" for a in day["by_asset"][:COIN_ROWS]]
            assert page.inner_text("#coin-count") == f"(top {COIN_ROWS} of {len(day['by_asset'])} coins)"
            # Another timeframe: 1 h.
            page.click("#rank-tabs button[data-tf='1h']")
            hour = ov["timeframes"][0]
            assert _texts(page, "#by-coin tbody td:nth-child(1)") == [a["asset"] for a in hour["by_asset"][:COIN_ROWS]]
            assert _texts(page, "#by-coin tbody td:nth-child(4)") == [
                _cents(a["long_usd"]) for a in hour["by_asset"][:COIN_ROWS]]
            # Sorting: shorts, largest first; again: smallest first (ties by name).
            page.click("#rank-tabs button[data-tf='24h']")
            page.click("#by-coin th[data-key='short_usd']")
            by_short = sorted(day["by_asset"], key=lambda a: (-a["short_usd"], a["asset"]))
            assert _texts(page, "#by-coin tbody td:nth-child(1)") == [a["asset"] for a in by_short[:COIN_ROWS]]
            assert page.get_attribute("#by-coin th[data-key='short_usd']", "aria-sort") == "descending"
            page.click("#by-coin th[data-key='short_usd']")
            up = sorted(day["by_asset"], key=lambda a: (a["short_usd"], a["asset"]))
            assert _texts(page, "#by-coin tbody td:nth-child(1)") == [a["asset"] for a in up[:COIN_ROWS]]

            # The price line: BTC from the counted fills (no price ingested), the source named on the page.
            bucket = page.input_value("#bucket")
            price = _data(base, "/api/prices", start=start, end=end, asset="BTC", bucket=bucket)
            assert price["source"] == "fill_price" and price["points"]
            assert page.get_attribute("#price-source", "data-source") == "fill_price"
            assert price["detail"] in page.inner_text("#price-source")
            assert page.locator("#timeline circle.price-dot").count() == len(price["points"])

            # Coin search: the coin table narrows as one types; on change the price line and events follow.
            page.fill("#coin", "apt")
            page.dispatch_event("#coin", "input")
            apt = [a for a in day["by_asset"] if "APT" in a["asset"]]
            assert _texts(page, "#by-coin tbody td:nth-child(1)") == [a["asset"] for a in apt]
            assert page.inner_text("#coin-count") == f'({len(apt)} matching "APT" of {len(day["by_asset"])} coins)'
            _after(page, lambda: page.dispatch_event("#coin", "change"))
            price = _data(base, "/api/prices", start=start, end=end, asset="APT", bucket=bucket)
            assert price["detail"] in page.inner_text("#price-source")
            assert page.locator("#timeline circle.price-dot").count() == len(price["points"]) > 0
            events = _data(base, "/api/events", start=start, end=end, asset="APT", limit=25)
            assert page.inner_text("#events-count").startswith(f"({events['matched']:,} match")
            assert set(_texts(page, "#events tbody td:nth-child(3)")) == {e["market"] for e in events["events"]}
            _after(page, lambda: (page.fill("#coin", ""), page.fill("#ev-asset", ""),
                                  page.dispatch_event("#coin", "change")))

            # Multi-venue filter: two venues, then only Hyperliquid and "the last 24 h with data" moves there.
            page.click("#venues summary")
            page.check("#venue-list input[value='binance_usdm']")
            _after(page, lambda: page.check("#venue-list input[value='hyperliquid']"))
            assert page.inner_text("#venues-summary") == "binance_usdm, hyperliquid"
            _check_tiles(page, _data(base, "/api/overview", end=end, venue=["binance_usdm", "hyperliquid"]))
            page.uncheck("#venue-list input[value='binance_usdm']")
            _after(page, lambda: page.click("#latest"))
            hl = next(v for v in lake["venues"] if v["venue"] == "hyperliquid")
            hl_end = hl["last_event_ns"] // minute * minute + minute
            assert page.input_value("#end") == _input(hl_end)
            ov_hl = _data(base, "/api/overview", end=_iso(_input(hl_end)), venue=["hyperliquid"])
            _check_tiles(page, ov_hl)
            assert ov_hl["timeframes"][3]["events"] > 0
            assert _texts(page, "#by-exchange tbody td:nth-child(1)") == ["hyperliquid"]

            # A time that is not 24-hour UTC is refused on the page, before any request.
            page.fill("#start", "12/27/2025 08:44 PM")
            page.dispatch_event("#start", "change")
            assert "24-hour clock" in page.inner_text("#time-error")
            assert page.get_attribute("body", "data-invalid") == "true"

            assert csp_violations(page) == [], "the dashboard must run under its own strict CSP"
            assert not seen["errors"] and not seen["dialogs"], seen
        finally:
            browser.close()


def test_at_390_px_nothing_scrolls_sideways_and_no_panel_is_clipped(base):
    with sync_api.sync_playwright() as pw:
        browser, page, seen = _open(pw, base, 390)
        try:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            # Every box fits the viewport and its own content: no horizontal overflow, hidden or scrolled.
            overflow = page.evaluate("""() => [...document.querySelectorAll(
                    'header.top, main .panel, .kpi, .tile, #coverage-panel, #market-panel, table.board')]
                .map((el) => ({ id: el.id || el.className, sw: el.scrollWidth, cw: el.clientWidth,
                                left: el.getBoundingClientRect().left, right: el.getBoundingClientRect().right }))
                .filter((b) => b.sw > b.cw + 1 || b.left < 0 || b.right > 390.5)""")
            assert overflow == [], overflow
            for panel in ("#coverage-panel", "#market-panel"):  # the two clipped before
                assert page.locator(panel).is_visible()
                assert page.evaluate(f"() => document.querySelector('{panel}').scrollWidth") <= 390
            start, end = _iso(page.input_value("#start")), _iso(page.input_value("#end"))
            _check_tiles(page, _data(base, "/api/overview", end=end))
            rep = _data(base, "/api/report", start=start, end=end)
            assert page.get_attribute("#kpi-total", "title").split(" (")[0] == _cents(rep["total_usd"])
            # A table row is a card: each cell labelled with its column.
            assert page.get_attribute("#largest tbody tr:first-child td:nth-child(4)", "data-label") == "Market"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-390.png"), full_page=True)
            _settle(page)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            assert csp_violations(page) == []
            assert not seen["errors"] and not seen["dialogs"], seen
        finally:
            browser.close()


def _longest_silence(base: str, start: str, end: str) -> tuple[int, int]:
    """The longest stretch between consecutive counted events of the window (ns), from the API's events."""
    ts = sorted(e["ts_event"] for e in _data(base, "/api/events", start=start, end=end, limit=500,
                                               order="time_asc")["events"])
    return max(itertools.pairwise(ts), key=lambda p: p[1] - p[0])


def test_the_timeline_shades_coverage_gaps(base):
    """The report's ``coverage.gaps`` are shaded on the timeline, the longest is the session's real silence
    (between two consecutive counted events), and no bar with events falls inside a shaded gap."""
    with sync_api.sync_playwright() as pw:
        browser, page, seen = _open(pw, base, 1440)
        try:
            start, end = _iso(page.input_value("#start")), _iso(page.input_value("#end"))
            gaps = _data(base, "/api/report", start=start, end=end)["coverage"]["gaps"]
            assert [g["source"] for g in gaps] == ["inferred", "inferred"]  # a file ingest: silences, not markers
            longest = max(gaps, key=lambda g: g["seconds"])
            assert (longest["start_ns"], longest["end_ns"]) == _longest_silence(base, start, end)
            assert page.get_attribute("#timeline", "data-gaps") == str(len(gaps))
            assert page.locator("#timeline rect.gap").count() == len(gaps)
            assert page.inner_text("#coverage tbody tr:first-child td:nth-child(5)") == str(len(gaps))
            # No bar with liquidations lies inside a shaded gap (bars are drawn at 8 % .. 92 % of a bucket).
            boxes = page.evaluate("""() => ({
                gaps: [...document.querySelectorAll('#timeline rect.gap')].map((r) => [r.x.baseVal.value,
                       r.x.baseVal.value + r.width.baseVal.value]),
                bars: [...document.querySelectorAll('#timeline rect.bar')].map((r) => [r.x.baseVal.value,
                       r.x.baseVal.value + r.width.baseVal.value]) })""")
            widest = max(boxes["gaps"], key=lambda g: g[1] - g[0])
            assert widest[1] - widest[0] > 0.8 * (1440 - 200)  # 12/27 21:55 .. 12/28 20:16: most of the day
            assert not [b for b in boxes["bars"] for g in boxes["gaps"] if b[0] > g[0] + 1 and b[1] < g[1] - 1]
            assert "2 coverage gaps" in page.inner_text("#price-source")
            assert not seen["errors"], seen
        finally:
            browser.close()
