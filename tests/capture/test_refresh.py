"""Instrument metadata: REST when reachable (a real OKX response over loopback HTTP), bundled otherwise."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgspec
import pytest

from liqscope.capture import INSTRUMENT_ENDPOINTS, refresh_instruments
from liqscope.venues._instruments import InstrumentFile, load

FIXTURES = Path(__file__).parent.parent / "fixtures" / "capture"
OKX_RESPONSE = FIXTURES / "rest_get_okx_public_instruments_swap.json"
OKX_RATE_LIMITED = FIXTURES / "rest_get_okx_error_rate_limit.json"


@contextmanager
def _http(body: bytes, status: int = 200) -> Iterator[str]:
    # A real HTTP server on loopback answering every GET with ``body``.
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v5/public/instruments?instType=SWAP"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there: connection refused, like being offline


@pytest.mark.parametrize("venue", sorted(INSTRUMENT_ENDPOINTS))
def test_offline_falls_back_to_the_bundled_snapshot(tmp_path, venue):
    table, origin = refresh_instruments(venue, tmp_path, url=_closed_port(), timeout_s=2, retry_delay_s=0)
    bundled = load(f"liqscope.venues.{venue}")
    assert table is bundled
    assert (origin.origin, origin.instruments, origin.version) == ("bundled", len(bundled.instruments), bundled.version)
    assert origin.error is not None and "Connection refused" in origin.error
    assert origin.attempts == 3  # a refused connection is transient: tried again twice
    assert not (tmp_path / "instruments").exists()


def test_a_real_okx_response_becomes_the_same_contract_table_as_the_bundled_one(tmp_path):
    with _http(OKX_RESPONSE.read_bytes()) as url:
        table, origin = refresh_instruments("okx_swap", tmp_path, url=url)
    assert (origin.origin, origin.instruments, origin.error) == ("rest", 3, None)
    bundled = load("liqscope.venues.okx_swap").instruments
    assert table.instruments == {k: bundled[k] for k in ("BTC-USD-SWAP", "BTC-USDT-SWAP", "ETH-USDT-SWAP")}
    assert table.instruments["BTC-USD-SWAP"].contract_size == Decimal(100)  # inverse: USD per contract
    assert table.instruments["BTC-USDT-SWAP"].contract_size == Decimal("0.01")  # linear: BTC per contract
    written = msgspec.json.decode(Path(origin.path).read_bytes(), type=InstrumentFile)
    assert written == table and written.source.startswith(f"GET {url} at ")


@pytest.mark.parametrize(("body", "status"), [(OKX_RATE_LIMITED.read_bytes(), 200), (b"", 451)],
                         ids=["okx-error-50011", "http-451-geo-blocked"])
def test_an_error_or_refusal_from_the_venue_also_falls_back(tmp_path, body, status):
    with _http(body, status) as url:
        table, origin = refresh_instruments("okx_swap", tmp_path, url=url)
    assert origin.origin == "bundled" and table is load("liqscope.venues.okx_swap")
    assert origin.error
