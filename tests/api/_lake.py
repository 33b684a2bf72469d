"""A lake built from the real data bundled in the package, shared by the API, web and reporting tests.

It holds every bundled sample (as `liqscope demo` ingests them) plus the 2025-12-27/28 Binance USD-M
recording a second time under another file name, as a second recorder would deliver it. Every event
of that session is then stored twice, so `standard` (one count per liquidation) and `every-copy`
(every received copy) give different totals on real data: exactly 1x and 2x the session.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from liqscope._demo import build_demo_lake
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN

SESSION = ("2025-12-27T00:00:00Z", "2025-12-29T00:00:00Z")
SECOND_RECORDER = "binance_usdm_riftfern_second_recorder.frames.jsonl"


def build(root: Path) -> Catalog:
    catalog = build_demo_lake(root)
    copy = root.parent / SECOND_RECORDER
    copy.write_bytes(gzip.decompress(BINANCE_RIFTFERN.read_bytes()))
    result = ingest_file(catalog, "binance_usdm", copy)
    assert (result.accepted, result.duplicate) == (0, 2045)
    return catalog


def session_frames() -> list[dict]:
    """The raw Binance `forceOrder` payloads of the session, read straight from the recording."""
    out = []
    for line in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines():
        if line.strip():
            msg = json.loads(line)
            out.append(msg.get("data", msg)["o"])
    return out


def independent_figures() -> dict:
    """Session figures computed here from the raw frames (z × ap, SELL closes a long), not by liqscope."""
    long_usd = short_usd = Decimal(0)
    hourly: dict[int, Decimal] = defaultdict(Decimal)
    rows = []
    for o in session_frames():
        usd = Decimal(o["z"]) * Decimal(o["ap"])
        if o["S"] == "SELL":
            long_usd += usd
        else:
            short_usd += usd
        hourly[o["T"] // 3_600_000] += usd
        rows.append((usd, o["s"], o["S"]))
    rows.sort(reverse=True)
    peak_hour = max(hourly, key=lambda h: hourly[h])
    return {"long_usd": long_usd, "short_usd": short_usd, "total_usd": long_usd + short_usd, "events": len(rows),
            "over_10k": [r for r in rows if r[0] >= 10_000], "largest": rows[0],
            "peak_hour_ms": peak_hour * 3_600_000, "peak_usd": hourly[peak_hour],
            "btc_events": sum(1 for o in session_frames() if o["s"] == "BTCUSDT")}


class Server:
    """uvicorn on 127.0.0.1 and a free port, in a thread; stopped by ``stop()``."""

    def __init__(self, app) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.app = app

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.app.state.stopping.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def data(app, path: str):
    """The ``data`` of a 200 success envelope for ``path`` (asserts the 200)."""
    from liqscope.api._inprocess import get

    status, _, body = get(app, path)
    payload = json.loads(body, parse_float=Decimal)
    assert status == 200, payload
    return payload["data"]
