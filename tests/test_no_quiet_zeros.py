"""No quiet zeros: an empty answer says why, with a reason code and the facts behind it.

Cases: synthetic rows left out, a window outside the lake (with the lake's actual span), an asset or a
venue the lake never saw, a mistyped provider, a reference series outside the window; and `compare`
shows "no coverage" for an hour liqscope counted nothing in, never a ratio of 0.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from liqscope._time import iso_ns, parse_iso_ns
from liqscope.cli import main
from liqscope.ingest import ingest_file
from liqscope.market import ingest_market
from liqscope.methodology import load
from liqscope.metrics import EMPTY_CODES, compare, counted, explain, report
from liqscope.simulate import simulate
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN
from tests.metrics.conftest import fill_usd, riftfern_orders

MARKET_CSV = Path(__file__).parent / "fixtures" / "market" / "csv"
CG_LIQ = MARKET_CSV / "coinglass_btc_liquidations_1h_binance_bybit_okx_2025-12-27_to_2025-12-28.csv"
SESSION = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z"))
STANDARD = load("standard")
HOUR_NS = 3_600_000_000_000


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("quiet-zeros") / "lake")
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    ingest_market(cat, "coinglass-liquidations-csv", CG_LIQ)
    return cat


def _span() -> tuple[str, str]:
    # The session's first and last event, from the raw frames (T, ms): what the lake spans.
    ts = [o["T"] * 1_000_000 for o in riftfern_orders()]
    return iso_ns(min(ts)), iso_ns(max(ts))


def test_a_window_outside_the_lake_says_the_lakes_span(lake):
    r = report(counted(lake, STANDARD, parse_iso_ns("2020-01-01T00:00:00Z"), parse_iso_ns("2020-01-02T00:00:00Z")))
    assert r.total_usd == 0 and r.empty is not None
    assert r.empty.code == "window_outside_lake"
    assert (r.empty.lake_first_event, r.empty.lake_last_event) == _span() == (
        "2025-12-27T14:31:23.281Z", "2025-12-28T20:43:47.206Z")
    res = CliRunner().invoke(main, ["report", "--start", "2020-01-01", "--end", "2020-01-02", "--data-dir",
                                    str(lake.root), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["empty"]["code"] == "window_outside_lake"
    text = CliRunner().invoke(main, ["report", "--start", "2020-01-01", "--end", "2020-01-02", "--data-dir",
                                     str(lake.root)]).output
    assert "window_outside_lake" in text and "2025-12-27T14:31:23.281Z" in text


def test_a_hole_inside_the_lakes_span_is_not_called_outside_it(lake):
    # 2025-12-28 03:00-04:00 lies inside the session's span; the recording holds no event in it.
    hole = (parse_iso_ns("2025-12-28T03:00:00Z"), parse_iso_ns("2025-12-28T04:00:00Z"))
    assert not [o for o in riftfern_orders() if hole[0] <= o["T"] * 1_000_000 < hole[1]]
    r = report(counted(lake, STANDARD, *hole))
    assert r.empty is not None and r.empty.code == "no_events_in_window"
    assert (r.empty.lake_first_event, r.empty.lake_last_event) == _span()


def test_a_report_with_data_has_no_empty_reason(lake):
    r = report(counted(lake, STANDARD, *SESSION))
    assert r.empty is None and r.coverage.synthetic_excluded == 0
    assert r.total_usd == sum((fill_usd(o) for o in riftfern_orders()), Decimal(0))


def test_after_simulate_the_report_says_synthetic_rows_were_left_out(tmp_path):
    cat = Catalog(tmp_path / "lake")
    start = parse_iso_ns("2025-01-01T00:00:00Z")
    sim = simulate("binance_usdm", tmp_path / "sim", start_ns=start, seconds=900, seed=7)
    got = ingest_file(cat, "binance_usdm", Path(sim.output))
    assert got.synthetic and got.accepted == sim.observed_events > 0
    r = report(counted(cat, STANDARD, start, start + HOUR_NS))
    assert r.total_usd == 0 and r.empty is not None
    assert r.empty.code == "synthetic_excluded" and r.empty.synthetic_rows == sim.observed_events
    assert r.coverage.synthetic_excluded == sim.observed_events
    assert any("SYNTHETIC" in n for n in r.coverage.notes)
    out = json.loads(CliRunner().invoke(main, ["report", "--start", "2025-01-01T00:00:00Z", "--end",
                                               "2025-01-01T01:00:00Z", "--data-dir", str(cat.root), "--json"]).output)
    assert (out["empty"]["code"], out["empty"]["synthetic_rows"]) == ("synthetic_excluded", sim.observed_events)
    # The methodology that counts them: the simulated total, and nothing empty.
    counts_them = msgspec.structs.replace(STANDARD, coverage=msgspec.structs.replace(STANDARD.coverage,
                                                                                      include_synthetic=True))
    with_synth = report(counted(cat, counts_them, start, start + HOUR_NS))
    assert with_synth.empty is None and with_synth.total_usd == sim.observed_usd


def test_synthetic_rows_beside_real_ones_are_still_disclosed(tmp_path):
    cat = Catalog(tmp_path / "lake")
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    sim = simulate("binance_usdm", tmp_path / "sim", start_ns=parse_iso_ns("2025-12-27T16:00:00Z"), seconds=600,
                   seed=3)
    ingest_file(cat, "binance_usdm", Path(sim.output))
    r = report(counted(cat, STANDARD, *SESSION))
    assert r.empty is None and r.total_usd == sum((fill_usd(o) for o in riftfern_orders()), Decimal(0))
    assert r.coverage.synthetic_excluded == sim.observed_events


def test_an_asset_or_venue_never_seen_is_named_with_what_the_lake_holds(lake):
    c = counted(lake, STANDARD, *SESSION)
    e = explain(c, asset="NOPE")
    assert e.total_usd == 0 and e.empty is not None and e.empty.code == "asset_not_in_lake"
    assert "BTC" in e.empty.known and "4" in e.empty.known and "NOPE" not in e.empty.known
    v = explain(c, venue="okx_swap")
    assert v.empty is not None and (v.empty.code, v.empty.known) == ("venue_not_in_lake", ["binance_usdm"])
    # An asset the lake holds, in an hour without it: not "never seen".
    quiet = explain(c, asset="BTC", bucket="1h", at_ns=parse_iso_ns("2025-12-28T03:30:00Z"))
    assert quiet.empty is not None and quiet.empty.code == "no_events_in_window"
    cmp = compare(c, asset="NOPE")
    assert cmp.empty is not None and (cmp.empty.code, cmp.empty.known) == ("asset_not_in_lake", ["BTC"])


def test_a_mistyped_provider_names_the_providers_the_lake_holds(lake):
    c = counted(lake, STANDARD, *SESSION)
    cmp = compare(c, asset="BTC", provider="coinglas")
    assert cmp.hours == [] and cmp.empty is not None
    assert (cmp.empty.code, cmp.empty.known) == ("unknown_provider", ["coinglass"])
    res = CliRunner().invoke(main, ["compare", "--start", "2025-12-27", "--end", "2025-12-29", "--provider",
                                    "coinglas", "--data-dir", str(lake.root), "--json"])
    assert json.loads(res.output)["empty"]["code"] == "unknown_provider"


def test_a_reference_outside_the_window_says_where_it_is(lake):
    c = counted(lake, STANDARD, parse_iso_ns("2024-01-01T00:00:00Z"), parse_iso_ns("2024-01-02T00:00:00Z"))
    cmp = compare(c, asset="BTC")
    assert cmp.empty is not None and cmp.empty.code == "reference_not_in_window"
    hours = [r["datetime_utc"] for r in csv.DictReader(CG_LIQ.read_text().splitlines())]
    assert (cmp.empty.lake_first_event, cmp.empty.lake_last_event) == (hours[0], hours[-1])


def test_compare_shows_no_coverage_never_a_ratio_of_0(lake):
    cmp = compare(counted(lake, STANDARD, *SESSION), asset="BTC")
    # Independently: the CSV's hours in which the recording holds no BTCUSDT liquidation.
    btc_hours = {o["T"] * 1_000_000 // HOUR_NS * HOUR_NS for o in riftfern_orders() if o["s"] == "BTCUSDT"}
    ref = [parse_iso_ns(r["datetime_utc"]) for r in csv.DictReader(CG_LIQ.read_text().splitlines())]
    assert cmp.no_coverage_hours == [iso_ns(h) for h in ref if h not in btc_hours]
    assert len(cmp.no_coverage_hours) == len(ref) - len(btc_hours) > 0
    for h in cmp.hours:
        assert h.ratio != 0
        assert (h.status == "no_coverage") == (h.hour_ns not in btc_hours)
        if h.status == "no_coverage":
            assert h.ratio is None and h.total_usd == 0 and h.reference_total_usd > 0
    text = CliRunner().invoke(main, ["compare", "--start", "2025-12-27", "--end", "2025-12-29", "--data-dir",
                                     str(lake.root)]).output
    assert "no coverage" in text and not re.search(r"│\s*0\.000\s*│", text)
    rows = list(csv.DictReader(CliRunner().invoke(main, [
        "compare", "--start", "2025-12-27", "--end", "2025-12-29", "--data-dir", str(lake.root), "--csv"]).output
        .splitlines()))
    assert {r["status"] for r in rows if r["ratio"] == ""} == {"no_coverage"}


def test_every_reason_code_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "cli.md").read_text() + \
        (Path(__file__).parent.parent / "docs" / "methodology.md").read_text()
    assert [c for c in EMPTY_CODES if f"`{c}`" not in doc] == []
