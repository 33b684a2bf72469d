"""API values on a real lake, checked against figures computed from the raw recording by the test itself."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from liqscope.api import MissingExtra, require_extra
from liqscope.api._inprocess import get
from liqscope.cli import main
from liqscope.venues import venues
from tests.api._lake import SESSION
from tests.api._lake import data as _data

START, END = SESSION
W = f"start={START}&end={END}"


def test_report_counts_each_liquidation_once_and_every_copy_counts_both_recorders(app, fig):
    std = _data(app, f"/api/report?{W}")
    assert (std["total_usd"], std["long_usd"], std["short_usd"]) == (fig["total_usd"], fig["long_usd"],
                                                                     fig["short_usd"])
    assert std["events"] == fig["events"] == 2045
    every = _data(app, f"/api/report?{W}&methodology=every-copy")
    assert every["total_usd"] == 2 * fig["total_usd"] and every["events"] == 2 * 2045


def test_events_pages_partition_the_counted_set(app, fig):
    seen = []
    for offset in range(0, 2045, 500):
        page = _data(app, f"/api/events?{W}&limit=500&offset={offset}&order=time_asc")
        assert page["matched"] == 2045
        seen += [e["event_id"] for e in page["events"]]
    assert len(seen) == len(set(seen)) == 2045
    assert sum((e["notional_usd"] for e in _data(app, f"/api/events?{W}&limit=500&order=usd_desc")["events"]),
               Decimal(0)) > 0


def test_events_filters_match_the_raw_frames(app, fig):
    big = _data(app, f"/api/events?{W}&min_notional_usd=10000&limit=500&order=usd_desc")
    assert big["matched"] == len(fig["over_10k"]) == 32
    assert big["matched_usd"] == sum(r[0] for r in fig["over_10k"])
    assert [e["notional_usd"] for e in big["events"]] == [r[0] for r in fig["over_10k"]]
    longs = _data(app, f"/api/events?{W}&side=LONG&limit=1")
    assert (longs["matched"], longs["matched_usd"]) == (880, fig["long_usd"])
    btc = _data(app, f"/api/events?{W}&asset=btc&venue=binance_usdm&limit=50")
    assert btc["matched"] == fig["btc_events"] and {e["market"] for e in btc["events"]} == {"BTCUSDT"}
    none = _data(app, f"/api/events?{W}&venue=okx_swap")
    assert (none["matched"], none["events"]) == (0, [])


def test_timeline_buckets_sum_to_the_total_and_peak_where_the_raw_frames_peak(app, fig):
    tl = _data(app, f"/api/timeline?{W}&bucket=1h")
    assert len(tl["buckets"]) == 48 and tl["bucket_ns"] == 3_600 * 10**9
    assert sum((b["total_usd"] for b in tl["buckets"]), Decimal(0)) == fig["total_usd"] == tl["total_usd"]
    assert all(b["long_usd"] + b["short_usd"] + b["unknown_side_usd"] == b["total_usd"] for b in tl["buckets"])
    assert tl["peak"]["ts_ns"] == fig["peak_hour_ms"] * 10**6 and tl["peak"]["total_usd"] == fig["peak_usd"]
    minutes = _data(app, f"/api/timeline?{W}&bucket=1m")
    assert len(minutes["buckets"]) == 2 * 1440 and minutes["total_usd"] == fig["total_usd"]


def test_largest_leads_with_the_biggest_raw_frame_and_its_raw_ref(app, fig):
    top = _data(app, f"/api/largest?{W}&n=3")
    usd, symbol, order_side = fig["largest"]
    assert (top[0]["notional_usd"], top[0]["market"]) == (usd, symbol)
    assert top[0]["side"] == ("SHORT" if order_side == "BUY" else "LONG")
    assert top[0]["raw_ref"].endswith(":1502") and len(top[0]["raw_ref"].split(":")[0]) == 64


def test_coverage_methodologies_and_venues_mirror_the_library(app):
    cov = _data(app, f"/api/coverage?{W}")
    assert cov["venues"] == ["binance_usdm"] and cov["complete"] is False
    assert "1000 ms" in cov["sampling"]["binance_usdm"]
    assert [v["id"] for v in _data(app, "/api/venues")] == sorted(venues())
    names = [m["name"] for m in _data(app, "/api/methodologies")]
    assert "standard" in names and "every-copy" in names
    assert _data(app, "/api/methodologies/standard")["rules"]["counting"]["dedupe"] == "identity"
    lake = _data(app, "/api/lake")
    # + the demo's lending: 290 subgraph rows and 5 logs (1 aave_v1, 1 aave_v2, 1 aave_v3, 2 compound_v2), 5 inputs;
    # + the COIN-M archive's 7 rows Binance writes twice, stored as second copies
    assert lake["rows"] == 2911 + 2045 + 290 + 5 + 7 and lake["batches"] == 7 + 5


def test_venue_narrowing_changes_the_fingerprint_as_the_cli_does(app):
    status, _, body = get(app, f"/api/report?{W}&venue=binance_usdm")
    narrowed = json.loads(body)
    status_all, _, body_all = get(app, f"/api/report?{W}")
    assert status == status_all == 200
    assert narrowed["data"]["total_usd"] == json.loads(body_all)["data"]["total_usd"]
    assert narrowed["meta"]["methodologies"][0]["fingerprint"] != json.loads(body_all)["meta"]["methodologies"][0][
        "fingerprint"]


def test_openapi_lists_every_endpoint_with_enums_and_only_envelope_errors(app):
    doc = json.loads(get(app, "/api/openapi.json")[2])
    assert {"/api/report", "/api/events", "/api/timeline", "/api/largest", "/api/coverage", "/api/methodologies",
            "/api/methodologies/{name}", "/api/venues", "/api/lake", "/api/server", "/api/live"} <= set(doc["paths"])
    params = {p["name"]: p for p in doc["paths"]["/api/events"]["get"]["parameters"]}
    assert params["venue"]["schema"]["anyOf"][0]["items"]["enum"] == sorted(venues())
    for ops in doc["paths"].values():
        assert "422" not in ops["get"]["responses"]
    assert all(op["get"].get("operationId") for op in doc["paths"].values())


def test_api_get_runs_in_process_and_exits_1_on_an_error(lake, fig):
    ok = CliRunner().invoke(main, ["api", "get", f"/api/report?{W}", "--data-dir", str(lake.root)])
    assert ok.exit_code == 0 and json.loads(ok.output, parse_float=Decimal)["data"]["total_usd"] == fig["total_usd"]
    bad = CliRunner().invoke(main, ["api", "get", "/api/report?start=x", "--data-dir", str(lake.root)])
    assert bad.exit_code == 1 and json.loads(bad.output)["errors"][0]["param"] == "start"


def test_a_missing_extra_names_the_exact_pip_command():
    with pytest.raises(MissingExtra, match=r"pip install 'liqscope\[api\]'"):
        require_extra("api", "liqscope_no_such_module")


def test_serve_binds_loopback_by_default():
    out = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())  # as one line: wrapping varies
    assert "default: 127.0.0.1" in out and "--cors-origin" in out and "--allow-host" in out
