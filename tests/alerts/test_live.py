"""Live alerts: the real capture client records the 2025-12-27 recording from the real replay server on
loopback; rules are evaluated as it commits, each alert is delivered once (to a real HTTP server), and a
restart sends nothing again. The wall clock is pinned inside the recording, so "recent" means its minutes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from liqscope import load_methodology
from liqscope._time import parse_iso_ns
from liqscope.alerts import AlertHistory, LiveAlerts, load_rules
from liqscope.capture import Capture, CaptureOptions, Feed, ReplayServer
from liqscope.store import Catalog
from liqscope.venues import venues
from tests._data import BINANCE_RIFTFERN
from tests.alerts._http import hook

RULES = """
[[rule]]
name = "burst"
kind = "notional"
window_seconds = 60
threshold_usd = 100000
cooldown_seconds = 600
channels = ["{url}"]
"""


class Clock:
    def __init__(self, iso: str) -> None:
        self.ns = parse_iso_ns(iso)

    def __call__(self) -> int:
        return self.ns


async def _capture(catalog: Catalog, live: LiveAlerts) -> None:
    feed = Feed.from_file("binance_usdm", BINANCE_RIFTFERN)
    async with ReplayServer([feed], speed=0) as server:
        opts = CaptureOptions(urls={"binance_usdm": server.url("binance_usdm")}, flush_s=0.1, silence_s=10.0,
                              backoff_base_s=0.02, backoff_cap_s=0.1, seed=7, on_commit=live.notify)
        cap = Capture(catalog, ["binance_usdm"], opts)
        stop = asyncio.Event()
        task = asyncio.create_task(cap.run(stop))
        while cap.stats["binance_usdm"].data_frames < 2045 and not task.done():
            await asyncio.sleep(0.01)
        stop.set()
        await task


def test_capture_commits_fire_each_alert_once_and_a_restart_repeats_nothing(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "lake")
    with hook() as (url, received):
        path = tmp_path / "rules.toml"
        path.write_text(RULES.format(url=url))
        rules = load_rules(path, tuple(venues()))
        standard = load_methodology("standard")
        clock = Clock("2025-12-27T15:35:00Z")  # 4 minutes after the first burst (15:30:56.520)
        live = LiveAlerts(catalog, rules, standard, clock=clock, min_interval_s=0.05)
        live.start()
        asyncio.run(asyncio.wait_for(_capture(catalog, live), 60))
        live.stop()
        assert live.errors == [] and live.passes >= 2
        history = AlertHistory(catalog.root)
        (fired,) = history.read()
        assert (fired.alert.rule, fired.alert.ts) == ("burst", "2025-12-27T15:30:56.520Z")
        assert fired.alert.methodology["fingerprint"] == standard.fingerprint()
        assert [(d.ok, d.attempts) for d in fired.deliveries] == [(True, 1)]
        assert len(received) == 1 and "$146,523" in received[0]["message"]

        # A restart (a new evaluator over the same data dir) sends nothing it already sent.
        again = LiveAlerts(catalog, rules, standard, clock=clock)
        assert again.check() == [] and len(received) == 1

        # Later, past the cooldown, the next crossing (15:43:41.264) goes out, once.
        clock.ns = parse_iso_ns("2025-12-27T15:45:00Z")
        (sent,) = again.check()
        assert sent[0].ts == "2025-12-27T15:43:41.264Z" and again.check() == []
        assert len(received) == 2
        assert [f.alert.key for f in history.recent()] == [sent[0].key, fired.alert.key]
    lines = (catalog.root / "alerts" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["alert"]["rule"] for line in lines] == ["burst", "burst"]
