"""The HTTP API, locked down: loopback by default, read-only, CORS closed unless configured, strict
validation, injection strings through every parameter, bounded results, errors that leak nothing.

Everything runs against the real app over a real lake built from the bundled real data (tests/api/_lake.py);
the method and CORS checks go through a real uvicorn socket on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="the api extra is not installed")
pytest.importorskip("uvicorn", reason="the api extra is not installed")

from liqscope.api import _params as p
from liqscope.api import create_app
from liqscope.api._inprocess import get
from tests.api._lake import SESSION, Server, build, independent_figures

START, END = SESSION
W = f"start={START}&end={END}"
DESK = "http://desk.example"
EVIL = "http://evil.example"
# Anything that looks like a Python traceback or a file on this machine.
LEAK = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|/home/|site-packages|\bline \d+")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lockdown") / "data")


@pytest.fixture(scope="module")
def app(lake):
    return create_app(lake.root, poll_s=0.1)


@pytest.fixture(scope="module")
def servers(lake):
    closed, configured = Server(create_app(lake.root, poll_s=0.1)), Server(create_app(lake.root, poll_s=0.1,
                                                                                       cors_origins=(DESK,)))
    urls = closed.start(), configured.start()
    yield urls
    closed.stop()
    configured.stop()


def _request(base: str, method: str, path: str, headers: dict[str, str] | None = None):
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _envelope(status: int, body: bytes, echo: str = "") -> dict:
    doc = json.loads(body)
    assert set(doc) == {"ok", "error", "errors", "status"}, doc
    assert doc["ok"] is False and doc["status"] == status and doc["error"]
    text = json.dumps(doc, ensure_ascii=False)
    for sent in filter(None, (echo, json.dumps(echo, ensure_ascii=False)[1:-1], repr(echo)[1:-1])):
        text = text.replace(sent, "")  # the client's own input, echoed back, is not a leak
    assert not LEAK.search(text), body
    return doc


def _paths(app) -> dict[str, list[dict]]:
    """Every JSON endpoint of the OpenAPI document (path parameters filled in) -> its query parameters."""
    doc = json.loads(get(app, "/api/openapi.json")[2])
    out = {}
    for path, ops in doc["paths"].items():
        params = ops["get"].get("parameters", [])
        out[path] = [q for q in params if q["in"] == "query"]
        assert {q["in"] for q in params} <= {"query", "path"}
    return out


# -- loopback by default --------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> list[str]:
    # Local addresses in LISTEN state (0A) on this port, from the kernel's own table.
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                out.append(addr)
    return out


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads the Linux socket table")
def test_serve_binds_only_the_loopback_interface_by_default(lake):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "liqscope", "serve", "--port", str(port), "--data-dir",
                             str(lake.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, "liqscope serve did not start"
            time.sleep(0.1)
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and nothing on 0.0.0.0 or ::
        status, _, body = _request(f"http://127.0.0.1:{port}", "GET", "/api/venues")
        assert status == 200 and json.loads(body)["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- read-only ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_every_path_refuses_every_method_but_get_in_the_error_envelope(app, servers, method):
    base = servers[0]
    paths = [path.replace("{name}", "standard") + ("" if "{" in path or not _paths(app)[path] else f"?{W}")
             for path in _paths(app)] + ["/", "/static/app.js", "/api/nowhere"]
    for path in paths:
        # The server's own origin: let through to the method check (a foreign one is refused before it).
        status, headers, body = _request(base, method, path, {"Origin": base})
        expected = 404 if path == "/api/nowhere" else 405
        assert status == expected, (method, path, status, body[:200])
        doc = _envelope(status, body)
        if status == 405:
            assert doc["error"] == "the API is read-only: only GET is allowed"
        assert "access-control-allow-origin" not in headers


# -- CORS ---------------------------------------------------------------------------------------------------
def test_cors_is_closed_by_default_and_open_only_to_the_configured_origin(servers):
    closed, configured = servers
    for origin in (EVIL, DESK, "null", closed.replace("127.0.0.1", "localhost")):
        status, headers, body = _request(closed, "GET", "/api/venues", {"Origin": origin})
        assert status == 403 and "access-control-allow-origin" not in headers, origin
        assert _envelope(403, body)["errors"][0]["param"] == "Origin"
    status, headers, _ = _request(closed, "GET", "/api/venues", {"Origin": closed})  # its own page
    assert status == 200 and "access-control-allow-origin" not in headers
    status, headers, _ = _request(configured, "GET", "/api/venues", {"Origin": DESK})
    assert status == 200 and headers["access-control-allow-origin"] == DESK
    assert "access-control-allow-credentials" not in headers
    status, headers, _ = _request(configured, "GET", "/api/venues", {"Origin": EVIL})
    assert status == 403 and "access-control-allow-origin" not in headers

    # Preflights: the configured origin may GET, nothing else; an unknown origin is refused outright.
    pre = {"Origin": DESK, "Access-Control-Request-Method": "GET"}
    status, headers, _ = _request(configured, "OPTIONS", "/api/venues", pre)
    assert status == 200 and headers["access-control-allow-origin"] == DESK
    assert headers["access-control-allow-methods"] == "GET"
    # Another method from the configured origin: the preflight fails (400, only GET allowed), so a browser
    # never sends it (and it would get 405 anyway).
    status, headers, body = _request(configured, "OPTIONS", "/api/venues",
                                     {"Origin": DESK, "Access-Control-Request-Method": "DELETE"})
    assert status == 400 and headers["access-control-allow-methods"] == "GET"
    assert not LEAK.search(body.decode())
    for server in (configured, closed):
        status, headers, body = _request(server, "OPTIONS", "/api/venues",
                                         {"Origin": EVIL, "Access-Control-Request-Method": "GET"})
        assert status == 403 and "access-control-allow-origin" not in headers
        _envelope(403, body)
    status, headers, body = _request(closed, "OPTIONS", "/api/venues", pre)  # DESK is foreign to `closed`
    assert status == 403 and "access-control-allow-origin" not in headers


# -- strict validation ----------------------------------------------------------------------------------------
BAD = [
    # (request, parameter named, valid values listed)
    ("/api/report?start=2025-13-01&end=2025-12-29", "start", None),
    ("/api/report?start=2025-12-27T00:00:00&end=2025-12-29", "start", None),       # naive: no offset
    ("/api/report?start=yesterday&end=2025-12-29", "start", None),
    ("/api/report?start=2025-12-27&end=2025-02-30", "end", None),
    ("/api/report?start=2025-12-29&end=2025-12-27", "end", None),                   # end before start
    ("/api/report?start=2020-01-01&end=2025-01-05", "end", None),                   # 1,831 days > 1,830
    (f"/api/report?{W}&methodology=nope", "methodology", list(p.METHODOLOGIES)),
    (f"/api/report?{W}&venue=nowhere", "venue", list(p.VENUES)),
    (f"/api/events?{W}&side=BOTH", "side", list(p.SIDES)),
    (f"/api/events?{W}&order=random", "order", list(p.ORDERS)),
    (f"/api/timeline?{W}&bucket=7m", "bucket", list(p.VALID["bucket"])),
    (f"/api/events?{W}&limit=0", "limit", None),
    (f"/api/events?{W}&limit={p.MAX_PAGE + 1}", "limit", None),
    (f"/api/events?{W}&offset=-1", "offset", None),
    (f"/api/events?{W}&limit=ten", "limit", None),
    (f"/api/largest?{W}&n={p.MAX_LARGEST + 1}", "n", None),
    (f"/api/report?{W}&largest=0", "largest", None),
    (f"/api/events?{W}&min_notional_usd=-5", "min_notional_usd", None),
    (f"/api/events?{W}&min_notional_usd=1e9", "min_notional_usd", None),
    (f"/api/events?{W}&asset={'A' * 65}", "asset", None),
    ("/api/timeline?start=2020-01-01&end=2025-01-01&bucket=1m", "bucket", None),    # > 10,000 buckets
    (f"/api/report?{W}&limt=5", "limt", None),                                      # a typo never widens
    ("/api/report?end=2025-12-29", "start", None),                                  # missing
    ("/api/methodologies/nope", "name", list(p.METHODOLOGIES)),
]


@pytest.mark.parametrize(("path", "param", "valid"), BAD)
def test_invalid_requests_are_refused_naming_the_parameter_and_its_valid_values(app, path, param, valid):
    status, _, body = get(app, path)
    assert status == (404 if param == "name" else 400), body
    doc = _envelope(status, body)
    assert doc["error"].startswith(f"{param}: ") and doc["errors"][0]["param"] == param
    if valid is not None:
        assert doc["errors"][0]["valid"] == valid
        assert ", ".join(valid) in doc["error"]


def test_the_limits_are_exactly_the_advertised_ones(app):
    """The largest accepted values work (and cap the result); one more is refused: the bounds are real."""
    server = json.loads(get(app, "/api/server")[2])["data"]
    assert (server["max_page"], server["max_largest"], server["max_window_days"]) == (500, 1000, 1830)
    status, _, body = get(app, "/api/report?start=2020-01-01&end=2025-01-04")  # exactly 1,830 days
    assert status == 200, body


# -- injection through every parameter --------------------------------------------------------------------
INJECTIONS = [
    "' OR '1'='1", "' OR 1=1 --", '" OR ""="', "1 OR 1=1", ") OR (1=1", "'); DROP TABLE events; --",
    "1; DELETE FROM events", "x' UNION SELECT * FROM read_csv('/etc/passwd') --",
    "'; COPY (SELECT 42) TO '/tmp/liqscope_pwned.csv'; --", "%", "_", "%' --", "\\' OR 1=1 --", "NULL",
    "\x00", "币安人生USDT' OR '1'='1", "' OR '1'='1" * 400,
]
# A valid value per parameter: the request around the injected one stays valid, and "valid + injection"
# is tried too (binance_usdm' OR '1'='1).
VALID_VALUE = {"start": START, "end": END, "at": "2025-12-28T00:00:00Z", "methodology": "standard",
               "a": "standard", "b": "every-copy", "venue": "binance_usdm", "side": "LONG", "order": "time_desc",
               "bucket": "1h", "asset": "BTC", "market": "BTCUSDT", "min_notional_usd": "10000", "limit": "10",
               "offset": "0", "n": "10", "largest": "10", "name": "standard", "range_pct": "15",
               "realized": "counted"}
# Free-form names: an injection may be accepted as a name, and must then match exactly what a name that
# exists nowhere matches.
FREE_FORM = {"asset": "NOSUCHASSET", "market": "NOSUCHMARKET"}


def _query(params: list[dict], overrides: dict[str, str]) -> str:
    pairs = {q["name"]: VALID_VALUE[q["name"]] for q in params if q.get("required")}
    pairs.update(overrides)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs.items())


# Fields that echo a parameter's value: /api/health's "asset", which its headline names too, and the levels
# heatmap's notes and the prices' detail, which name the asset whose inputs are missing.
_ECHOES = {"asset": ("asset", "headline", "notes", "detail")}


def _unechoed(body: bytes, name: str):
    # The data, less the parameter's own value where an endpoint echoes it.
    data = json.loads(body)["data"]
    drop = _ECHOES.get(name, (name,))
    return {k: v for k, v in data.items() if k not in drop} if isinstance(data, dict) else data


def _lake_state(root: Path) -> dict[str, tuple[int, int]]:
    return {str(f.relative_to(root)): (f.stat().st_size, f.stat().st_mtime_ns) for f in root.rglob("*") if f.is_file()}


def test_injection_strings_through_every_parameter_never_fail_or_change_results(app, lake):
    before = _lake_state(lake.root)
    endpoints = _paths(app)
    tried: dict[tuple[str, str], int] = {}
    accepted = 0
    for path, params in endpoints.items():
        if path == "/api/live":
            continue  # a stream with no parameters (every parameter there is refused as unknown, below)
        names = [q["name"] for q in params] + (["name"] if "{name}" in path else [])
        for name in names:
            for inj in INJECTIONS:
                for value in (inj, VALID_VALUE[name] + inj):
                    if name == "name":
                        url = "/api/methodologies/" + quote(value, safe="")
                    else:
                        url = f"{path}?{_query(params, {name: value})}"
                    status, _, body = get(app, url)
                    tried[(path, name)] = tried.get((path, name), 0) + 1
                    assert status < 500, (url, body[:300])
                    if status == 200:
                        assert name in FREE_FORM, (url, body[:300])
                        baseline = get(app, f"{path}?{_query(params, {name: FREE_FORM[name]})}")
                        assert _unechoed(body, name) == _unechoed(baseline[2], name), url
                        accepted += 1
                    else:
                        doc = _envelope(status, body, echo=value)
                        assert doc["errors"][0]["param"] == name, (url, doc)
        # An injected parameter NAME is refused as unknown, naming it.
        status, _, body = get(app, f"{path.replace('{name}', 'standard')}?{quote(INJECTIONS[0])}=1")
        assert status == 400 and _envelope(400, body)["errors"][0]["param"] == INJECTIONS[0], path
    assert _lake_state(lake.root) == before  # nothing written, deleted or touched
    assert not Path("/tmp/liqscope_pwned.csv").exists()
    # The figures still come out of the lake unchanged.
    fig = independent_figures()
    report = json.loads(get(app, f"/api/report?{W}")[2], parse_float=Decimal)["data"]
    assert (report["total_usd"], report["events"]) == (fig["total_usd"], 2045)
    # What was tried: every query parameter of every endpoint, each with every string bare and after a
    # valid value (the figures in the report come from here).
    assert len(tried) >= 50 and set(tried.values()) == {2 * len(INJECTIONS)}
    assert accepted > 0  # free-form names did take injection strings, and matched nothing


# -- bounded results ----------------------------------------------------------------------------------------
def test_result_sizes_are_bounded_by_the_page_caps(app):
    page = json.loads(get(app, f"/api/events?{W}&limit={p.MAX_PAGE}&methodology=every-copy")[2])["data"]
    assert page["matched"] == 2 * 2045 and len(page["events"]) == p.MAX_PAGE == 500
    assert len(json.loads(get(app, f"/api/events?{W}")[2])["data"]["events"]) == 100  # the default page
    largest = json.loads(get(app, f"/api/largest?{W}&n={p.MAX_LARGEST}&methodology=every-copy")[2])["data"]
    assert len(largest) == p.MAX_LARGEST == 1000
    report = json.loads(get(app, f"/api/report?{W}&largest={p.MAX_LARGEST}&methodology=every-copy")[2])["data"]
    assert len(report["largest"]) == 1000
    # The widest window at the finest bucket the cap allows: 10,000 buckets at most.
    status, _, body = get(app, "/api/timeline?start=2025-12-01&end=2025-12-07T22:40:00Z&bucket=1m")
    assert status == 200 and len(json.loads(body)["data"]["buckets"]) <= 10_000


# -- errors leak nothing -----------------------------------------------------------------------------------
def test_a_damaged_lake_is_a_500_in_the_envelope_without_path_or_traceback(lake, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(lake.root, root)
    victim = next(f for f in sorted((root / "lake").rglob("*.parquet")) if "date=2025-12-27" in str(f))
    victim.write_bytes(b"PAR1 torn")  # a listed file, corrupted under the server
    server = Server(create_app(root, poll_s=0.1))
    try:
        status, _, body = _request(server.start(), "GET", f"/api/report?{W}")
    finally:
        server.stop()
    assert status == 500, body
    doc = _envelope(500, body)
    assert str(root) not in doc["error"] and victim.name not in doc["error"]
