"""The CLI end to end on a real lake: ingest, report --json, errors that list valid values."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from click.testing import CliRunner

from liqscope.cli import main
from tests._data import BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_ingest_then_report_json_has_the_documented_keys_and_provenance_values(tmp_path):
    d = str(tmp_path)
    res = _run("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", d, "--json")
    assert res.exit_code == 0, res.output
    counts = json.loads(res.output)["results"][0]
    assert (counts["accepted"], counts["quarantined"], counts["already_present"]) == (2045, 0, 0)
    res = _run("report", "--start", "2025-12-27T00:00:00Z", "--end", "2025-12-29T00:00:00Z", "--data-dir", d, "--json")
    assert res.exit_code == 0, res.output
    r = json.loads(res.output, parse_float=Decimal)
    for key in ("total_usd", "long_usd", "short_usd", "events", "long_events", "short_events", "by_asset",
                "by_venue", "largest", "methodology", "coverage"):
        assert key in r
    assert r["total_usd"] == Decimal("2051029.334921")
    assert (r["long_events"], r["short_events"]) == (880, 1165)
    assert r["by_venue"] == [{"venue": "binance_usdm", **{k: r[k] for k in (
        "long_usd", "short_usd", "total_usd", "events", "long_events", "short_events")}, "estimated": False,
        "share": 1}]
    # Rankings travel as ordered arrays, largest first, each entry naming its asset.
    assert [a["total_usd"] for a in r["by_asset"]] == sorted((a["total_usd"] for a in r["by_asset"]), reverse=True)
    btc = next(a for a in r["by_asset"] if a["asset"] == "BTC")
    assert btc["long_usd"] + btc["short_usd"] == btc["total_usd"]
    assert [x["notional_usd"] for x in r["largest"]] == sorted((x["notional_usd"] for x in r["largest"]), reverse=True)
    assert r["largest"][0]["side"] in ("LONG", "SHORT")
    assert r["methodology"]["name"] == "standard" and len(r["methodology"]["fingerprint"]) == 12
    assert r["coverage"]["venues"] == ["binance_usdm"]
    assert "1000 ms" in r["coverage"]["sampling"]["binance_usdm"]


def test_every_venue_and_format_of_the_bundled_data_reaches_the_report(tmp_path):
    d = str(tmp_path)
    assert _run("ingest", "--venue", "binance_coinm", "--format", "binance-archive", str(COINM_ARCHIVE),
                "--data-dir", d).exit_code == 0
    assert _run("ingest", "--venue", "hyperliquid", "--format", "hyperliquid-official", str(HL_OFFICIAL),
                "--data-dir", d).exit_code == 0
    assert _run("ingest", "--venue", "hyperliquid", str(HL_BLOCKS), "--data-dir", d).exit_code == 0
    r = json.loads(_run("report", "--start", "2023-01-01", "--end", "2026-01-01", "--data-dir", d, "--json").output,
                   parse_float=Decimal)
    # COIN-M: 106 contracts x $100 (PROVENANCE); HL official: exact sum of liquidated_ntl_pos; HL node: 890 x 0.15327
    by_venue = {v["venue"]: v for v in r["by_venue"]}
    assert by_venue["binance_coinm"]["total_usd"] == Decimal("10600")
    assert by_venue["binance_coinm"]["short_usd"] == Decimal("8600")
    assert by_venue["hyperliquid"]["total_usd"] == Decimal("29783.048334") + Decimal("136.4103")
    assert r["unknown_side_usd"] == Decimal("29783.048334")  # the official list names no side


def test_data_dir_falls_back_to_liqscope_home(tmp_path):
    env = {"LIQSCOPE_HOME": str(tmp_path / "home")}
    assert _run("ingest", "--venue", "binance_coinm", "--format", "binance-archive", str(COINM_ARCHIVE),
                env=env).exit_code == 0
    r = json.loads(_run("report", "--start", "2024-10-01", "--end", "2024-10-02", "--json", env=env).output)
    assert r["events"] == 7


def test_bad_flags_fail_with_the_valid_values(tmp_path):
    res = CliRunner().invoke(main, ["ingest", "--venue", "binance", "x.jsonl"])
    assert res.exit_code == 2 and "binance_usdm" in res.output and "okx_swap" in res.output
    res = CliRunner().invoke(main, ["report", "--start", "2025-12-27", "--end", "2025-12-28", "-m", "nope",
                                    "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and "valid values: " in res.output and "every-copy, " in res.output
    assert "standard" in res.output
    res = CliRunner().invoke(main, ["report", "--start", "2025-12-27T00:00:00", "--end", "2025-12-28",
                                    "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and "no UTC offset" in res.output


def test_an_unreadable_input_exits_non_zero_but_readable_ones_are_ingested(tmp_path):
    res = CliRunner().invoke(main, ["ingest", "--venue", "binance_coinm", "--format", "binance-archive",
                                    str(tmp_path / "missing.csv"), str(COINM_ARCHIVE), "--data-dir", str(tmp_path)])
    assert res.exit_code == 1
    assert "accepted 7" in res.output


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "liqscope", "--help"], capture_output=True, text=True, check=True)
    assert "ingest" in out.stdout and "report" in out.stdout


def test_a_read_on_a_data_dir_that_does_not_exist_is_an_error_not_a_zero(tmp_path):
    missing = tmp_path / "typo"
    for args in (["report", "--start", "2025-12-27", "--end", "2025-12-29"], ["verify"], ["api", "get", "/api/lake"]):
        res = CliRunner().invoke(main, [*args, "--data-dir", str(missing)])
        assert res.exit_code == 1, (args, res.output)
        assert str(missing) in res.output and "does not exist" in res.output
    assert not missing.exists()  # a read created nothing


def test_a_file_whose_every_record_fails_is_an_error_that_names_the_format_it_looks_like(tmp_path):
    """The 17 rows of Hyperliquid's official CSV (plus its header) ingested as Binance frames: nothing is
    added, the exit is 1, and the answer says what the file really is."""
    d = str(tmp_path / "lake")
    res = CliRunner().invoke(main, ["ingest", "--venue", "binance_usdm", str(HL_OFFICIAL), "--data-dir", d, "--json"])
    assert res.exit_code == 1
    out = json.loads(res.output[: res.output.rindex("}") + 1])
    assert out["ok"] is False
    (failed,) = out["failed"]
    # The header is not JSON; each data row starts with a number, which is JSON but not an object.
    assert failed["codes"] == {"wrong_type": 17, "malformed_json": 1}
    assert failed["looks_like"] == [{"venue": "hyperliquid", "format": "hyperliquid-official"}]
    assert out["results"][0]["accepted"] == 0 and out["results"][0]["quarantined"] == 18
    # ... and ingesting it as what it is works: the PROVENANCE total, $29,783.048334 over 17 rows.
    ok = _run("ingest", "--venue", "hyperliquid", "--format", "hyperliquid-official", str(HL_OFFICIAL), "--data-dir", d,
              "--json")
    assert json.loads(ok.output)["results"][0]["accepted"] == 17


def test_the_largest_liquidation_walks_back_to_its_raw_frame(tmp_path):
    """PROVENANCE: the largest of the riftfern session is 1000PEPEUSDT SHORT $126,380.2519001, line 1502."""
    import gzip

    d = str(tmp_path)
    _run("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", d)
    rep = json.loads(_run("report", "--start", "2025-12-27", "--end", "2025-12-29", "--data-dir", d, "--json").output,
                     parse_float=Decimal)
    ref = rep["largest"][0]["raw_ref"]
    assert ref.endswith(":1502")
    line_1502 = gzip.decompress(BINANCE_RIFTFERN.read_bytes()).split(b"\n")[1501]
    res = CliRunner().invoke(main, ["raw", ref, "--data-dir", d])
    assert res.exit_code == 0 and res.stdout_bytes == line_1502 + b"\n"
    got = json.loads(_run("raw", ref, "--json", "--data-dir", d).output, parse_float=Decimal)
    o = got["decoded"]["o"]
    assert (o["s"], o["S"]) == ("1000PEPEUSDT", "BUY")  # a BUY order closes a SHORT
    assert Decimal(o["z"]) * Decimal(o["ap"]) == Decimal("126380.2519001") == rep["largest"][0]["notional_usd"]
    assert [(b["venue"], b["format"]) for b in got["batches"]] == [("binance_usdm", "jsonl")]
    bad = CliRunner().invoke(main, ["raw", "feed:12", "--data-dir", d])
    assert bad.exit_code == 1 and "<64 hex digits of sha256>:<line number>" in bad.output
    missing = CliRunner().invoke(main, ["raw", ref.split(":")[0] + ":999999", "--data-dir", d])
    assert missing.exit_code == 1 and "2,045 lines" in missing.output


def test_the_api_serves_the_same_raw_frame_and_404s_an_unknown_one(tmp_path):
    import gzip

    d = str(tmp_path)
    _run("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", d)
    sha = json.loads(_run("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", d,
                          "--json").output)["results"][0]["raw_sha256"]
    res = CliRunner().invoke(main, ["api", "get", f"/api/raw/{sha}:1502", "--data-dir", d])
    body = json.loads(res.output, parse_float=Decimal)
    assert res.exit_code == 0 and body["ok"] is True
    line_1502 = gzip.decompress(BINANCE_RIFTFERN.read_bytes()).split(b"\n")[1501].decode()
    assert body["data"]["raw"] == line_1502 and body["data"]["decoded"]["o"]["ap"] == "0.0041437"
    missing = json.loads(CliRunner().invoke(main, ["api", "get", f"/api/raw/{'0' * 64}:1", "--data-dir", d]).output)
    assert (missing["ok"], missing["status"]) == (False, 404)
    bad = json.loads(CliRunner().invoke(main, ["api", "get", "/api/raw/nonsense", "--data-dir", d]).output)
    assert (bad["ok"], bad["status"]) == (False, 400)
