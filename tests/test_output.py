"""One output layer: every command takes --json / --nl / --csv / --table, and each format carries the same
exact values (PROVENANCE of the riftfern session: 880 long + 1,165 short = $2,051,029.334921)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from liqscope._output import FORMATS, plain, to_csv, to_nl
from liqscope.cli import main
from tests._data import BINANCE_RIFTFERN
from tests.metrics.conftest import fill_usd, riftfern_orders

TOTAL = Decimal("2051029.334921")
W = ["--start", "2025-12-27", "--end", "2025-12-29"]


def _run(*args: str) -> str:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    d = str(tmp_path_factory.mktemp("output-lake"))
    _run("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", d)
    return ["--data-dir", d]


def _by_asset() -> list[tuple[str, Decimal]]:
    # Independent of liqscope: z x ap per base asset from the raw frames, largest first (name breaks ties).
    # Binance's symbols: base + USDT/USDC, and 1000PEPE / 1000000MOG are lots of the base asset.
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for o in riftfern_orders():
        sums[re.sub(r"^(1000000|1000)(?=[A-Z])", "", o["s"][:-4])] += fill_usd(o)
    return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))


def _commands() -> list[tuple[str, click.Command]]:
    out, ctx = [], click.Context(main)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            out += [(f"{name} {sub}", cmd.get_command(ctx, sub)) for sub in cmd.list_commands(ctx)]
        else:
            out.append((name, cmd))
    return out


def test_every_command_takes_the_four_output_options():
    for name, cmd in _commands():
        flags = {o for p in cmd.params for o in p.opts if isinstance(p, click.Option) and p.name == "fmt"}
        assert flags == {"--json", "--nl", "--csv", "--table"}, name


def test_no_command_formats_its_output_by_hand():
    """The output layer is the one place output is formatted: no `if fmt == ...` branch in a command."""
    cli = Path(__file__).parent.parent / "src" / "liqscope" / "cli"
    hits = [f"{p.name}:{i}" for p in cli.glob("*.py") for i, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(r"\bfmt\s*[!=]=", line)]
    assert hits == []


def test_report_in_every_format_carries_the_provenance_figures_exactly(lake):
    doc = json.loads(_run("report", *W, *lake, "--json"), parse_float=Decimal)
    assert (doc["total_usd"], doc["long_events"], doc["short_events"]) == (TOTAL, 880, 1165)
    # nl: one object per line: the total, the venue, then every asset, largest first.
    lines = _run("report", *W, *lake, "--nl").splitlines()
    rows = [json.loads(x, parse_float=Decimal) for x in lines]
    assert len(rows) == 1 + 1 + len(_by_asset())
    assert rows[0]["dimension"] == "total" and rows[0]["total_usd"] == TOTAL and rows[0]["events"] == 2045
    assert rows[1] == {**rows[0], "dimension": "venue", "key": "binance_usdm"}
    assert rows[0]["fingerprint"] == doc["methodology"]["fingerprint"]
    # csv: the same rows, decimals as exact decimal strings.
    table = list(csv.DictReader(io.StringIO(_run("report", *W, *lake, "--csv"))))
    assert table[0]["total_usd"] == "2051029.334921" and table[0]["key"] == ""
    assert [Decimal(r["total_usd"]) for r in table] == [r["total_usd"] for r in rows]
    assert table[0]["estimated"] == "false" and table[0]["methodology"] == "standard"
    # table: the readable view, with cents.
    assert "Total $2,051,029.33 in 2,045 liquidations" in _run("report", *W, *lake, "--table")
    assert _run("report", *W, *lake) == _run("report", *W, *lake, "--table")


def test_rankings_travel_as_ordered_arrays_in_every_format(lake):
    """Asset "4" ranks where its notional puts it, not first (a JSON object keyed by name would put it first)."""
    want = _by_asset()
    doc = json.loads(_run("report", *W, *lake, "--json"), parse_float=Decimal)
    assert isinstance(doc["by_asset"], list)
    assert [(a["asset"], a["total_usd"]) for a in doc["by_asset"]] == want
    rank = [a for a, _ in want].index("4")
    assert rank > 0 and doc["by_asset"][rank]["asset"] == "4"
    nl = [json.loads(x) for x in _run("report", *W, *lake, "--nl").splitlines()][2:]
    assert [r["key"] for r in nl] == [a for a, _ in want]
    assert doc["by_venue"] == [{"venue": "binance_usdm", "long_usd": doc["long_usd"], "short_usd": doc["short_usd"],
                                "total_usd": TOTAL, "events": 2045, "long_events": 880, "short_events": 1165,
                                "estimated": False, "share": 1}]


def test_list_and_market_commands_in_each_format(lake):
    venues = json.loads(_run("venues", "--json"))
    assert "binance_usdm" in [v["id"] for v in venues]
    nl = [json.loads(x) for x in _run("venues", "--nl").splitlines()]
    assert nl == venues
    table = list(csv.DictReader(io.StringIO(_run("venues", "--csv"))))
    assert [r["id"] for r in table] == [v["id"] for v in venues]
    usdm = next(r for r in table if r["id"] == "binance_usdm")
    assert json.loads(usdm["formats"]) == next(v["formats"] for v in venues if v["id"] == "binance_usdm")
    # concentration: the largest-liquidations board is its rows; PROVENANCE: 1000PEPE, $126,380.2519001.
    (top,) = [json.loads(x, parse_float=Decimal) for x in _run("concentration", *W, *lake, "--nl", "--largest",
                                                                "1").splitlines()]
    assert (top["market"], top["notional_usd"]) == ("1000PEPEUSDT", Decimal("126380.2519001"))
    (row,) = csv.DictReader(io.StringIO(_run("concentration", *W, *lake, "--csv", "--largest", "1")))
    assert row["notional_usd"] == "126380.2519001" and row["raw_ref"] == top["raw_ref"]


def test_raw_in_each_format(lake):
    rep = json.loads(_run("report", *W, *lake, "--json", "--largest", "1"))
    ref = rep["largest"][0]["raw_ref"]
    doc = json.loads(_run("raw", ref, *lake, "--json"))
    (nl,) = [json.loads(x) for x in _run("raw", ref, *lake, "--nl").splitlines()]
    assert nl == doc and doc["decoded"]["o"]["ap"] == "0.0041437"
    (row,) = csv.DictReader(io.StringIO(_run("raw", ref, *lake, "--csv")))
    assert row["ref"] == ref and row["decoded.o.ap"] == "0.0041437" and row["line"] == "1502"
    assert _run("raw", ref, *lake, "--table").rstrip("\n") == doc["raw"]


def test_exact_decimals_survive_every_encoder():
    d = Decimal("0.1000000000000000000000000000001")
    doc = {"by_asset": {"4": {"total_usd": d}, "BTC": {"total_usd": Decimal("1E+2")}}}
    assert plain(doc) == {"by_asset": [{"asset": "4", "total_usd": d}, {"asset": "BTC", "total_usd": Decimal(100)}]}
    (line,) = to_nl([doc]).splitlines()
    assert json.loads(line, parse_float=Decimal)["by_asset"][0]["total_usd"] == d
    assert to_csv([{"a": d, "b": Decimal("1E+2"), "c": None, "d": True}]) == \
        "a,b,c,d\n0.1000000000000000000000000000001,100,,true\n"
    assert FORMATS == ("json", "nl", "csv", "table")
