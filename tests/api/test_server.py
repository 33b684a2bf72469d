"""The API over a real socket: uvicorn on 127.0.0.1, live updates by server-sent events, CORS closed by default."""

from __future__ import annotations

import http.client
import json
import shutil
import time
from urllib.parse import urlsplit

import pytest

from liqscope.api import create_app
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests._data import COINM_ARCHIVE
from tests.api._lake import Server


@pytest.fixture
def served(lake, tmp_path):
    # A private copy of the shared lake: this test writes to it.
    root = tmp_path / "data"
    shutil.copytree(lake.root, root)
    app = create_app(root, poll_s=0.05, cors_origins=("http://desk.example",))
    server = Server(app)
    base = server.start()
    yield root, urlsplit(base)
    server.stop()


def _conn(url) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def _events(resp: http.client.HTTPResponse):
    # Minimal server-sent-events reader: yields (event, data) pairs.
    event, data = None, None
    while True:
        line = resp.fp.readline().decode()
        if not line:
            return
        line = line.rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and event:
            yield event, data
            event, data = None, None


def _lake_batches(url) -> int:
    conn = _conn(url)
    try:
        conn.request("GET", "/api/lake")
        return json.loads(conn.getresponse().read())["data"]["batches"]
    finally:
        conn.close()


def test_live_pushes_an_event_when_a_batch_is_committed(served):
    root, url = served
    conn = _conn(url)
    try:
        conn.request("GET", "/api/live")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("content-type").startswith("text/event-stream")
        stream = _events(resp)
        event, data = next(stream)
        assert event == "lake" and data["batches"] == 12 == _lake_batches(url)  # 7 + the 5 lending inputs
        # A real commit while the stream is open: the same archive rows from a second file (one more batch).
        copy = root.parent / "coinm_second_copy.csv"
        copy.write_bytes(COINM_ARCHIVE.read_bytes() + b"\n")
        before = time.monotonic()
        ingest_file(Catalog(root), "binance_coinm", copy, "binance-archive")
        event, data = next(stream)
        assert event == "lake" and data["batches"] == 13 and time.monotonic() - before < 5
        assert _lake_batches(url) == 13
        resp.close()
    finally:
        conn.close()


def test_cors_is_closed_unless_the_origin_is_configured(served, lake):
    _, url = served
    for origin, status in (("http://desk.example", 200), ("http://evil.example", 403)):
        conn = _conn(url)
        conn.request("GET", "/api/venues", headers={"Origin": origin})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        assert (resp.status, body["ok"]) == (status, status == 200)
        assert (resp.getheader("access-control-allow-origin") == origin) is (status == 200)


def test_a_refused_cors_preflight_answers_in_the_error_envelope(served):
    _, url = served
    own = "this server's own origin, http://desk.example"
    for origin, method, status, error in (
            ("http://evil.example", "GET", 403, f"Origin: 'http://evil.example' may not call this server; "
             f"allowed: {own}. Add one with liqscope serve --cors-origin ORIGIN"),
            ("http://desk.example", "DELETE", 400, "CORS preflight refused, not allowed: method (allowed: GET)"),
            ("http://evil.example", "PUT", 403, f"Origin: 'http://evil.example' may not call this server; "
             f"allowed: {own}. Add one with liqscope serve --cors-origin ORIGIN")):
        conn = _conn(url)
        conn.request("OPTIONS", "/api/venues", headers={"Origin": origin, "Access-Control-Request-Method": method})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        assert resp.status == status and resp.getheader("content-type") == "application/json"
        assert body["ok"] is False and body["status"] == status
        assert body["error"] == error
        if status == 403:
            assert resp.getheader("access-control-allow-origin") is None
    conn = _conn(url)  # the configured origin asking for GET is let through
    conn.request("OPTIONS", "/api/venues", headers={"Origin": "http://desk.example",
                                                     "Access-Control-Request-Method": "GET"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 200 and resp.getheader("access-control-allow-origin") == "http://desk.example"


def test_the_dashboard_and_its_assets_are_served_from_the_package(served):
    _, url = served
    conn = _conn(url)
    for path, kind in (("/", "text/html"), ("/static/app.js", "javascript"), ("/static/style.css", "text/css")):
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200 and kind in resp.getheader("content-type")
        assert "http://" not in body and "https://" not in body  # offline: no CDN, no external asset
    conn.request("POST", "/api/report")
    resp = conn.getresponse()
    assert resp.status == 405 and json.loads(resp.read())["error"].startswith("the API is read-only")
    conn.close()
