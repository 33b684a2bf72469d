"""Admission control against a real uvicorn server on 127.0.0.1 (issue 14, point 10: 200 concurrent requests
took a trivial /api/lake to 22 s, p95 88 s). Deliberately small limits; bounded loops; loopback only."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from liqscope.api import Limits, create_app
from liqscope.cli import main
from liqscope.errors import ConfigError
from tests.api._lake import SESSION, Server

W = f"start={SESSION[0]}&end={SESSION[1]}"


@pytest.fixture
def serve(lake):
    servers = []

    def start(limits: Limits):
        server = Server(create_app(lake.root, poll_s=0.05, limits=limits))
        servers.append(server)
        return urlsplit(server.start())

    yield start
    for server in servers:
        server.stop()


def _get(url, path: str, timeout: float = 60):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _flood(url, paths: list[str]) -> list[tuple[int, dict, bytes]]:
    """GET every path at once, one connection and thread each, released together."""
    results: list = [None] * len(paths)
    barrier = threading.Barrier(len(paths))

    def one(i: int) -> None:
        barrier.wait(timeout=30)
        results[i] = _get(url, paths[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results)
    return results


def _refusal(status: int, headers: dict, body: bytes, retry: bool = True) -> str:
    doc = json.loads(body)
    assert list(doc) == ["ok", "error", "errors", "status"]
    assert (doc["ok"], doc["status"], doc["errors"]) == (False, status, [])
    assert headers["content-type"] == "application/json"
    assert headers.get("retry-after") == ("2" if retry else None)
    return doc["error"]


def test_a_flood_beyond_the_queue_gets_503_with_retry_after_and_the_rest_200(serve):
    url = serve(Limits(concurrency=1, queue=0))
    # Distinct `largest` values: each request is a real report query, not the memo of another.
    results = _flood(url, [f"/api/report?{W}&largest={i + 1}" for i in range(24)])
    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) == {200, 503} and statuses[200] >= 1 and statuses[503] >= 1, statuses
    for status, headers, body in results:
        if status == 503:
            assert _refusal(503, headers, body) == ("busy: 1 requests are running and 0 waiting, the most this "
                                                    "server queues; retry after 2 s")
        else:
            assert json.loads(body)["ok"] is True
    # Right after the flood a trivial request answers at once.
    start = time.monotonic()
    status, _, _ = _get(url, "/api/venues")
    assert status == 200 and time.monotonic() - start < 2


def test_a_request_that_waits_too_long_for_a_slot_gets_503(serve):
    url = serve(Limits(concurrency=1, queue=64, queue_timeout_s=0.001))
    results = _flood(url, [f"/api/report?{W}&largest={i + 1}" for i in range(12)])
    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) == {200, 503} and statuses[503] >= 1, statuses
    for status, headers, body in results:
        if status == 503:
            assert _refusal(503, headers, body) == ("busy: no request slot came free within 0.001 s (1 run at "
                                                    "once); retry after 2 s")


def test_a_request_running_past_the_limit_gets_504_and_keeps_its_slot_until_it_ends(serve):
    url = serve(Limits(concurrency=1, queue=0, request_timeout_s=0.001))
    status, headers, body = _get(url, f"/api/events?{W}&methodology=every-copy&limit=500&order=usd_desc")
    assert status == 504
    assert _refusal(504, headers, body, retry=False) == (
        "the request ran longer than 0.001 s, this server's limit; ask for a narrower window, or raise "
        "liqscope serve --request-timeout")
    # The abandoned query still runs in its thread and holds the one slot: the next request is refused...
    assert _get(url, "/static/favicon.svg")[0] == 503
    # ...until it ends; then the next one is admitted again (served, or itself cut off at this tiny limit).
    deadline = time.monotonic() + 30
    while (status := _get(url, "/static/favicon.svg")[0]) == 503 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status in (200, 504)


def test_live_streams_have_their_own_cap_and_take_no_request_slot(serve):
    url = serve(Limits(concurrency=1, queue=0, live_streams=1))
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", "/api/live")
        first = conn.getresponse()
        assert first.status == 200 and first.readline().startswith(b"event: lake")
        status, headers, body = _get(url, "/api/live")
        assert status == 503
        assert _refusal(503, headers, body) == ("busy: 1 live streams are open, the most this server keeps; "
                                                "retry after 2 s")
        assert _get(url, "/api/venues")[0] == 200  # the open stream holds no request slot
    finally:
        conn.close()
    deadline = time.monotonic() + 30  # the server notices the closed stream at its next poll
    while (status := _get(url, "/api/venues")[0]) != 200 or _live_status(url) != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _live_status(url) -> int:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", "/api/live")
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"concurrency": 0}, "concurrency: must be at least 1, got 0"),
    ({"live_streams": 0}, "live_streams: must be at least 1, got 0"),
    ({"queue": -1}, "queue: must be 0 or more, got -1"),
    ({"queue_timeout_s": 0}, "queue_timeout_s: must be a positive number of seconds, got 0"),
    ({"request_timeout_s": float("nan")}, "request_timeout_s: must be a positive number of seconds, got nan"),
])
def test_limits_are_validated(kwargs, message):
    with pytest.raises(ConfigError) as e:
        Limits(**kwargs)
    assert str(e.value) == message


def test_serve_refuses_a_zero_concurrency(tmp_path):
    res = CliRunner().invoke(main, ["serve", "--max-concurrent", "0", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "--max-concurrent" in res.output
