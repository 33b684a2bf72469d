"""The web face lets no one in (issue 14, points 9 and 10): security headers on every response, and a Host /
Origin allow-list against DNS rebinding. Over a real uvicorn socket on 127.0.0.1 and in-process."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from liqscope.api import create_app
from liqscope.api._inprocess import get
from liqscope.cli import main
from tests.api._lake import SESSION, Server

W = f"start={SESSION[0]}&end={SESSION[1]}"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
           "x-frame-options": "DENY", "cross-origin-opener-policy": "same-origin"}
LOOPBACK = ["127.0.0.1", "localhost", "::1"]


@pytest.fixture(scope="module")
def servers(lake):
    """(loopback-only server, server that also allows desk.lan)."""
    plain = Server(create_app(lake.root, poll_s=0.1))
    lan = Server(create_app(lake.root, poll_s=0.1, allow_hosts=("desk.lan", "[fd00::7]")))
    urls = urlsplit(plain.start()), urlsplit(lan.start())
    yield urls
    plain.stop()
    lan.stop()


def _request(url, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})  # a "Host" given here replaces http.client's own
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- security headers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "method", "status"), [
    ("/", "GET", 200), ("/static/app.js", "GET", 200), ("/static/style.css", "GET", 200),
    ("/static/favicon.svg", "GET", 200), ("/api/venues", "GET", 200), ("/api/openapi.json", "GET", 200),
    (f"/api/report?{W}", "GET", 200), ("/api/report?start=x", "GET", 400), ("/api/nope", "GET", 404),
    ("/static/nope.js", "GET", 404), ("/api/venues", "POST", 405), ("/", "DELETE", 405),
])
def test_every_response_carries_the_security_headers(servers, path, method, status):
    got, headers, _ = _request(servers[0], path, method=method)
    assert got == status
    assert {k: headers.get(k) for k in HEADERS} == HEADERS


def test_refusals_and_crashes_carry_the_security_headers_too(servers, lake, tmp_path):
    status, headers, _ = _request(servers[0], "/", {"Host": "evil.example"})
    assert status == 403 and {k: headers.get(k) for k in HEADERS} == HEADERS
    # A 500 (a listed Parquet file torn under the server) is answered by FastAPI's outermost error layer,
    # which the headers wrap as well.
    root = tmp_path / "data"
    shutil.copytree(lake.root, root)
    victim = next(f for f in sorted((root / "lake").rglob("*.parquet")) if "date=2025-12-27" in str(f))
    victim.write_bytes(b"PAR1 torn")
    status, headers, body = get(create_app(root), f"/api/report?{W}")
    assert status == 500 and json.loads(body)["status"] == 500
    assert {k: headers.get(k) for k in HEADERS} == HEADERS


def test_the_index_loads_its_script_and_style_from_files_only(servers):
    _, _, body = _request(servers[0], "/")
    html = body.decode()
    assert '<script type="module" src="/static/app.js"></script>' in html
    assert "<style" not in html and " style=" not in html and "<script>" not in html


# -- Host allow-list (DNS rebinding) ------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1:{port}", True), ("localhost:{port}", True), ("[::1]:{port}", True), ("LocalHost:{port}", True),
    ("localhost", True), ("127.0.0.1", True),
    ("evil.example:{port}", False),            # a rebinding page: its own name, now resolving to 127.0.0.1
    ("evil.example", False), ("127.0.0.1.evil.example:{port}", False), ("localhost.evil.example", False),
    ("desk.lan:{port}", False),                # allowed only where configured
    ("localhost:http", False), ("[::1", False), ("", False), ("127.0.0.2:{port}", False),
])
def test_only_allowed_host_names_are_served(servers, host, allowed):
    url = servers[0]
    value = host.format(port=url.port)
    status, _, body = _request(url, "/api/venues", {"Host": value})
    doc = json.loads(body)
    if allowed:
        assert (status, doc["ok"]) == (200, True)
        return
    message = (f"{value!r} is not an allowed host name; allowed: 127.0.0.1, localhost, ::1 (any port). "
               "Add one with liqscope serve --allow-host NAME")
    assert (status, doc) == (403, {"ok": False, "error": f"Host: {message}",
                                   "errors": [{"param": "Host", "message": message, "valid": LOOPBACK}],
                                   "status": 403})


def test_a_request_without_a_host_header_is_refused(servers):
    url = servers[0]
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(b"GET /api/venues HTTP/1.0\r\n\r\n")
        head = s.recv(65536).split(b"\r\n", 1)[0]
    assert head.split()[1] == b"403"


def test_configured_host_names_are_served_besides_loopback(servers):
    url = servers[1]
    for host, status in ((f"desk.lan:{url.port}", 200), ("DESK.LAN", 200), (f"[fd00::7]:{url.port}", 200),
                         (f"localhost:{url.port}", 200), ("desk.lan.evil.example", 403), ("evil.lan", 403)):
        got, _, body = _request(url, "/api/venues", {"Host": host})
        assert got == status, host
        if status == 403:
            assert json.loads(body)["errors"][0]["valid"] == [*LOOPBACK, "desk.lan", "fd00::7"]


def test_a_rebound_page_cannot_read_the_api_even_as_its_own_origin(servers):
    """The browser sees evil.example:PORT as same-origin after rebinding; Host and Origin both name it."""
    url = servers[0]
    evil = f"evil.example:{url.port}"
    for path in ("/api/lake", f"/api/report?{W}", "/", "/api/live"):
        status, headers, body = _request(url, path, {"Host": evil, "Origin": f"http://{evil}"})
        assert status == 403 and json.loads(body)["errors"][0]["param"] == "Host", path
        assert "access-control-allow-origin" not in headers


# -- Origin ------------------------------------------------------------------------------------------------------
def test_a_foreign_origin_is_refused_and_the_own_origin_served(servers):
    url = servers[0]
    own = f"http://127.0.0.1:{url.port}"
    for origin, status in ((own, 200), (own.replace("127.0.0.1", "localhost"), 403), ("http://evil.example", 403),
                           ("null", 403), (f"http://127.0.0.1:{url.port + 1}", 403), ("", 403)):
        got, headers, body = _request(url, "/api/venues", {"Origin": origin})
        assert got == status, origin
        assert "access-control-allow-origin" not in headers
        if status == 403:
            message = (f"{origin!r} may not call this server; allowed: this server's own origin. "
                       "Add one with liqscope serve --cors-origin ORIGIN")
            assert json.loads(body) == {"ok": False, "error": f"Origin: {message}",
                                        "errors": [{"param": "Origin", "message": message}], "status": 403}


# -- in-process and the CLI -----------------------------------------------------------------------------------------
def test_api_get_in_process_is_let_in(lake):
    res = CliRunner().invoke(main, ["api", "get", "/api/lake", "--data-dir", str(lake.root)])
    assert res.exit_code == 0 and json.loads(res.output)["ok"] is True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_allow_host_adds_a_name(lake):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "liqscope", "serve", "--port", str(port), "--allow-host",
                             "desk.lan", "--allow-host", "wall.lan", "--data-dir", str(lake.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = urlsplit(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = _request(url, "/api/venues")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "liqscope serve did not start"
                time.sleep(0.1)
        assert status == 200
        for host, expected in (("desk.lan", 200), (f"wall.lan:{port}", 200), ("evil.example", 403)):
            assert _request(url, "/api/venues", {"Host": host})[0] == expected, host
    finally:
        proc.terminate()
        proc.wait(timeout=10)
