"""Every venue's REST instrument table (real responses, over loopback HTTP) and its use by ingest.

Each venue's ``parse_instruments`` is checked against a real (or, for Binance, documented) response with
values read off that response; then a refreshed table in a data dir changes what ``ingest`` computes for
that data dir only, and each batch manifest names the table it used.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path

import msgspec
import pytest

from liqscope.capture import INSTRUMENT_ENDPOINTS, refresh_instruments
from liqscope.errors import UnknownInstrument
from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.venues._instruments import Instrument, InstrumentFile, load, lookup, refreshed_path, tables_for, using
from tests.capture.test_refresh import _http
from tests.reliability import _lake

FIXTURES = Path(__file__).parent.parent / "fixtures"
CAPTURE = FIXTURES / "capture"
OKX_FRAMES = FIXTURES / "venues" / "okx_swap" / "ws_liquidation_orders.jsonl"
# The project's own malformation generator's copy of the real BTC-USDT-SWAP frame (line 4 above) with instId
# replaced by BOGUS_VALUE (tests/fixtures/malformed/README.md): an instrument no bundled table lists.
OKX_UNKNOWN = FIXTURES / "malformed" / "okx_swap" / "frames.jsonl"

INVERSE_BTC_100 = Instrument(base_asset="BTC", quote_asset="USD", settle_asset="BTC", margining=Margining.INVERSE,
                             instrument_kind=InstrumentKind.DATED_FUTURE, contract_size=Decimal(100),
                             contract_size_unit=QtyUnit.QUOTE)
CASES = {
    "okx_futures": ("rest_get_okx_public_instruments_futures.json", {"BTC-USD": INVERSE_BTC_100}),
    "binance_coinm": ("rest_get_binance_dapi_exchange_info.json", {"BTCUSD": msgspec.structs.replace(
        INVERSE_BTC_100, instrument_kind=InstrumentKind.PERPETUAL)}),
    "bitmex": ("rest_get_bitmex_instrument_xbtusd.json", {"XBTUSD": msgspec.structs.replace(
        INVERSE_BTC_100, instrument_kind=InstrumentKind.PERPETUAL, contract_size=Decimal(1))}),
    "gate_futures": ("rest_get_gate_futures_usdt_contracts.json", {
        name: Instrument(base_asset=name.split("_")[0], quote_asset="USDT", settle_asset="USDT",
                         margining=Margining.LINEAR, instrument_kind=InstrumentKind.PERPETUAL,
                         contract_size=Decimal(size), contract_size_unit=QtyUnit.BASE)
        for name, size in (("BIT_USDT", "1"), ("KNC_USDT", "1"), ("OOKI_USDT", "100"))}),
    "okx_swap": ("rest_get_okx_public_instruments_swap.json", {
        k: load("liqscope.venues.okx_swap").instruments[k]
        for k in ("BTC-USD-SWAP", "BTC-USDT-SWAP", "ETH-USDT-SWAP")}),
}


def test_every_venue_with_a_bundled_table_has_a_rest_refresh():
    bundled = {p.parent.name for p in Path(str(files("liqscope.venues"))).glob("*/instruments.json")}
    assert set(INSTRUMENT_ENDPOINTS) == bundled == set(CASES)


@pytest.mark.parametrize("venue", sorted(CASES))
def test_a_real_response_served_over_http_becomes_the_refreshed_table(tmp_path, venue):
    fixture, want = CASES[venue]
    with _http((CAPTURE / fixture).read_bytes()) as url:
        table, origin = refresh_instruments(venue, tmp_path, url=url)
    assert (origin.origin, origin.error, origin.attempts) == ("rest", None, 1)
    assert table.venue == venue and table.instruments == want
    # the bundled snapshot agrees wherever both list an instrument (they were taken from the same endpoint)
    bundled = load(f"liqscope.venues.{venue}").instruments
    assert all(bundled[k].contract_size == v.contract_size for k, v in want.items() if k in bundled)
    assert msgspec.json.decode(refreshed_path(tmp_path, venue).read_bytes(), type=InstrumentFile) == table


def test_a_server_error_is_retried_then_the_bundled_table_is_used(tmp_path):
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        table, origin = refresh_instruments("bitmex", tmp_path, url=f"http://127.0.0.1:{server.server_address[1]}/",
                                            retries=2, retry_delay_s=0)
    finally:
        server.shutdown()
        server.server_close()
    assert len(hits) == origin.attempts == 3 and origin.error == "HTTP 503 Service Unavailable"
    assert table is load("liqscope.venues.bitmex") and not refreshed_path(tmp_path, "bitmex").exists()


def _notional(root: Path) -> dict[str, Decimal]:
    return {r["market"]: Decimal(str(r["notional_usd"])) for r in _lake.rows(root, "events")}


def _refresh_okx_swap(root: Path) -> InstrumentFile:
    with _http((CAPTURE / "rest_get_okx_public_instruments_swap.json").read_bytes()) as url:
        table, origin = refresh_instruments("okx_swap", root, url=url)
    assert origin.origin == "rest"
    return table


def test_a_refreshed_contract_size_changes_the_notional_in_that_lake_only(tmp_path):
    bundled_lake, refreshed_lake = Catalog(tmp_path / "a"), Catalog(tmp_path / "b")
    table = _refresh_okx_swap(refreshed_lake.root)
    # As if OKX had changed BTC-USDT-SWAP's ctVal from 0.01 to 0.1 BTC: a test-made edit of the refreshed table.
    changed = msgspec.structs.replace(table, instruments={**table.instruments, "BTC-USDT-SWAP": msgspec.structs.replace(
        table.instruments["BTC-USDT-SWAP"], contract_size=Decimal("0.1"))})
    refreshed_path(refreshed_lake.root, "okx_swap").write_bytes(msgspec.json.encode(changed))

    ingest_file(refreshed_lake, "okx_swap", OKX_FRAMES)
    ingest_file(bundled_lake, "okx_swap", OKX_FRAMES)  # same process, right after: nothing leaks across lakes
    assert _notional(bundled_lake.root)["BTC-USDT-SWAP"] == Decimal("5710290.000")  # 10000 x 0.01 x 57102.9
    assert _notional(refreshed_lake.root)["BTC-USDT-SWAP"] == Decimal("57102900.00")  # 10000 x 0.1 x 57102.9
    # IOST-USDT-SWAP is not in the refreshed table: the bundled entry (1000 IOST) still applies
    assert _notional(refreshed_lake.root)["IOST-USDT-SWAP"] == _notional(bundled_lake.root)["IOST-USDT-SWAP"]
    digest = tables_for(refreshed_lake.root).digests["okx_swap"]
    (m_refreshed,), (m_bundled,) = _lake.manifests(refreshed_lake.root), _lake.manifests(bundled_lake.root)
    assert m_refreshed.meta["instruments"] == f"refreshed {changed.version} sha256:{digest}"
    assert m_bundled.meta["instruments"] == "bundled 2026-01"


def test_an_instrument_only_in_the_refreshed_table_is_no_longer_quarantined(tmp_path):
    # The corpus line whose instId is BOGUS_VALUE: 10000 contracts at 57102.9 (found by content: the corpus
    # grows as venues gain fixtures).
    (line,) = [x for x in OKX_UNKNOWN.read_bytes().splitlines() if b'"instId":"BOGUS_VALUE"' in x]
    frames = tmp_path / "frames.jsonl"
    frames.write_bytes(line + b"\n")
    before = ingest_file(Catalog(tmp_path / "before"), "okx_swap", frames)
    assert (before.quarantined, before.accepted) == (1, 0)
    assert "instrument 'BOGUS_VALUE' is not in okx_swap instruments.json" in before.quarantine_samples[0].reason

    lake = Catalog(tmp_path / "after")
    table = _refresh_okx_swap(lake.root)
    listed = msgspec.structs.replace(table, instruments={**table.instruments,
                                                          "BOGUS_VALUE": table.instruments["BTC-USDT-SWAP"]})
    refreshed_path(lake.root, "okx_swap").write_bytes(msgspec.json.encode(listed))  # test-made entry
    after = ingest_file(lake, "okx_swap", frames)
    assert (after.quarantined, after.accepted) == (0, 1)
    assert _notional(lake.root) == {"BOGUS_VALUE": Decimal("5710290.000")}


def test_the_tables_in_use_never_outlive_their_block(tmp_path):
    refreshed_path(tmp_path, "okx_swap").parent.mkdir(parents=True)
    table = InstrumentFile(venue="okx_swap", version="t", source="test-made", instruments={
        "ONLY-HERE": load("liqscope.venues.okx_swap").instruments["BTC-USDT-SWAP"]})
    refreshed_path(tmp_path, "okx_swap").write_bytes(msgspec.json.encode(table))
    with using(tables_for(tmp_path)):
        assert lookup("liqscope.venues.okx_swap", "ONLY-HERE", field="f").contract_size == Decimal("0.01")
    with pytest.raises(UnknownInstrument, match="ONLY-HERE"):
        lookup("liqscope.venues.okx_swap", "ONLY-HERE", field="f")
