"""One Counted per request: the API's faces agree with each other and with the raw frames, and a
methodology that excludes the chosen venue degrades to its own row instead of failing the request."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.methodology import builtin_names
from liqscope.metrics import NOT_COVERED
from tests.api._lake import SESSION, session_frames
from tests.api._lake import data as _data

START, END = SESSION
W = f"start={START}&end={END}"


def test_range_with_one_venue_lists_the_methodology_that_excludes_it_as_not_covered(app, fig):
    """The dashboard's failing request: /api/range?venue=binance_usdm answered 400 (onchain-only)."""
    r = _data(app, f"/api/range?{W}&venue=binance_usdm")
    rows = {m["name"]: m for m in r["methodologies"]}
    assert set(rows) == set(builtin_names())
    assert (rows["onchain-only"]["covered"], rows["onchain-only"]["note"]) == (False, NOT_COVERED)
    assert all(m["covered"] and m["note"] is None for n, m in rows.items() if n != "onchain-only")
    # The range spans the covering methodologies only: standard's session total up to every-copy's double.
    assert rows["standard"]["total_usd"] == fig["total_usd"]
    assert r["range"]["total_usd"][1] == rows["every-copy"]["total_usd"] == 2 * fig["total_usd"]
    assert r["range"]["total_usd"][0] == min(m["total_usd"] for m in r["methodologies"] if m["covered"])
    assert [m["name"] for m in r["range"]["methodologies"] if not m["covered"]] == ["onchain-only"]


def test_reconcile_to_a_methodology_that_excludes_the_venue_says_so_and_attributes_nothing(app, fig):
    r = _data(app, f"/api/reconcile?{W}&a=standard&b=onchain-only&venue=binance_usdm")
    assert (r["from"]["covered"], r["from"]["total_usd"]) == (True, fig["total_usd"])
    assert (r["to"]["covered"], r["to"]["note"]) == (False, NOT_COVERED)
    assert NOT_COVERED in r["note"] and set(r["contributions"].values()) == {0}
    full = _data(app, f"/api/reconcile?{W}&a=standard&b=every-copy&venue=binance_usdm")
    assert full["note"] is None and full["contributions"]["counting"] == fig["total_usd"]


def test_report_of_an_uncovered_venue_is_empty_and_says_why(app, lake):
    r = _data(app, f"/api/report?{W}&methodology=onchain-only&venue=binance_usdm")
    assert (r["total_usd"], r["events"], r["coverage"]["covered"]) == (0, 0, False)
    assert r["coverage"]["not_covered"] == ["binance_usdm"]
    assert any(NOT_COVERED in n for n in r["coverage"]["notes"])
    res = CliRunner().invoke(main, ["report", "--start", START, "--end", END, "-m", "onchain-only", "--venue",
                                    "binance_usdm", "--data-dir", str(lake.root), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["coverage"]["covered"] is False


@pytest.mark.parametrize("methodology", builtin_names())
def test_every_face_of_one_request_gives_the_same_total(app, lake, methodology):
    """report = timeline = sum of by_asset = sum of by_venue = range member = CLI, exactly."""
    q = f"{W}&methodology={methodology}"
    rep = _data(app, f"/api/report?{q}")
    tl = _data(app, f"/api/timeline?{q}&bucket=1h")
    assert tl["total_usd"] == rep["total_usd"] == sum((t["total_usd"] for t in rep["by_asset"]), Decimal(0))
    assert sum((t["total_usd"] for t in rep["by_venue"]), Decimal(0)) == rep["total_usd"]
    assert (tl["start"], tl["end"]) == (rep["start"], rep["end"]) == (rep["window"]["start"], rep["window"]["end"])
    member = next(m for m in _data(app, f"/api/range?{W}")["methodologies"] if m["name"] == methodology)
    assert member["total_usd"] == rep["total_usd"]
    res = CliRunner().invoke(main, ["report", "--start", START, "--end", END, "-m", methodology, "--data-dir",
                                    str(lake.root), "--json"])
    assert json.loads(res.output, parse_float=Decimal)["total_usd"] == rep["total_usd"]


def test_the_rolling_timeline_counts_the_last_24_hours_of_the_anchor(app):
    """The measured bug: under all-venues-rolling-24h the timeline summed the whole anchor."""
    lo, hi = parse_iso_ns(END) // 10**6 - 86_400_000, parse_iso_ns(END) // 10**6
    expected = sum((Decimal(o["z"]) * Decimal(o["ap"]) for o in session_frames() if lo <= o["T"] < hi), Decimal(0))
    q = f"{W}&methodology=all-venues-rolling-24h"
    assert _data(app, f"/api/timeline?{q}&bucket=1h")["total_usd"] == _data(app, f"/api/report?{q}")["total_usd"] \
        == expected


def test_under_throttle_adjusted_the_largest_board_and_events_show_observed_orders(app, fig):
    """The measured bug: one real order shown at an estimated notional."""
    q = f"{W}&methodology=throttle-adjusted"
    top = _data(app, f"/api/largest?{q}&n=1")[0]
    assert top["notional_usd"] == fig["largest"][0]
    page = _data(app, f"/api/events?{q}&order=usd_desc&limit=1")
    assert page["events"][0]["notional_usd"] == fig["largest"][0] and page["matched_usd"] == fig["total_usd"]
    rep = _data(app, f"/api/report?{q}")
    assert rep["estimated"] and rep["estimate"]["floor_usd"] == fig["total_usd"] < rep["total_usd"]
    tl = _data(app, f"/api/timeline?{q}&bucket=1h")
    assert tl["estimated"] and tl["total_usd"] == rep["total_usd"]
