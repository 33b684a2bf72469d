"""`liqscope schema`, `export` and `validate` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from liqscope.cli import main
from liqscope.ingest import ingest_file
from liqscope.standard import SCHEMA_ID, json_schema
from liqscope.store import Catalog
from tests._data import COINM_ARCHIVE


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coinm") / "data"
    ingest_file(Catalog(root), "binance_coinm", COINM_ARCHIVE, "binance-archive")
    return root


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_schema_json_and_arrow() -> None:
    code, out, _ = _run("schema", "--json")
    assert code == 0 and json.loads(out) == json_schema()
    code, out, _ = _run("schema", "--arrow")
    arrow = json.loads(out)
    assert arrow["$id"] == SCHEMA_ID and [f["name"] for f in arrow["fields"]] == list(json_schema()["properties"])
    assert {f["name"]: f["type"] for f in arrow["fields"]}["quantity"] == "decimal128(38, 18)"


def test_export_then_validate_round_trip(lake: Path, tmp_path: Path) -> None:
    """PROVENANCE: 7 COIN-M liquidations, 106 contracts x $100 = $10,600."""
    out = tmp_path / "e.jsonl"
    code, text, _ = _run("export", "--data-dir", str(lake), "--start", "2024-10-01", "--end", "2024-10-02",
                         "--out", str(out), "--json")
    summary = json.loads(text)
    assert code == 0 and summary["records"] == 7 and summary["methodology"]["name"] == "standard"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(int(r["quantity"]) for r in rows) == 106 and {r["contract_size"] for r in rows} == {"100"}
    assert {(r["venue_side"], r["liquidated_side"]) for r in rows} <= {("SELL", "LONG"), ("BUY", "SHORT")}
    code, text, _ = _run("validate", str(out), "--json")
    assert code == 0 and json.loads(text)["ok"] is True and json.loads(text)["valid"] == 7


def test_validate_exits_1_with_line_numbered_errors(lake: Path, tmp_path: Path) -> None:
    code, text, _ = _run("export", "--data-dir", str(lake), "--start", "2024-10-01", "--end", "2024-10-02")
    lines = text.splitlines()
    bad = json.loads(lines[2])
    bad["quantity"] = 3.0  # a float where an exact decimal string belongs
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*lines[:2], json.dumps(bad), *lines[3:]]) + "\n")
    code, out, err = _run("validate", str(path))
    assert code == 1
    assert f"{path}:3: $.quantity: " in err and "6 of 7 records valid" in out


def test_parquet_to_standard_output_is_refused(lake: Path) -> None:
    code, _, err = _run("export", "--data-dir", str(lake), "--start", "2024-10-01", "--end", "2024-10-02",
                        "--format", "parquet")
    assert code == 2 and "--out" in err
