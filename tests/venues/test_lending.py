"""Lending venues on real Ethereum logs: exact decoding, sides, valuation, the subgraph export, the report.

Expected figures come from tests/fixtures/lending/PROVENANCE.md (checked there against the receipts'
ERC-20 transfers and rotki's decoder tests); prices are read from the daily Chainlink file by hand here.
"""

from __future__ import annotations

import csv
import decimal
import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from liqscope.cli import main
from liqscope.events import InstrumentKind, PositionSide, Received
from liqscope.venues import venues
from liqscope.venues.aave_v1 import wire as v1
from liqscope.venues.aave_v2 import wire as v2
from liqscope.venues.compound_v2 import wire as cv2
from liqscope.venues.compound_v3 import wire as cv3
from liqscope.venues.morpho_blue import wire as morpho
from tests.venues._keccak import topic0

FX = Path(__file__).parent.parent / "fixtures" / "lending"
LOGS = FX / "ethereum_liquidation_logs.eth_getLogs.json"
BLOCKS = FX / "ethereum_blocks.json"
GRAPH = FX / "aave_v3_ethereum_liquidates_2023.thegraph.json"
SERIES = Path(__file__).parents[2] / "src" / "liqscope" / "venues" / "_lending" / "chainlink_eth_usd_daily.csv"
_EXACT = decimal.Context(prec=60)
RX = Received(ts_ns=1_765_000_000_000_000_000, ref="test:1")


def _bundle() -> bytes:
    return msgspec.json.encode({"logs": msgspec.json.decode(LOGS.read_bytes()),
                                "blocks": msgspec.json.decode(BLOCKS.read_bytes())})


def _events(venue: str, data: bytes, fmt: str = "eth-logs"):
    f = venues()[venue].formats[fmt]
    out = []
    for _, raw in f.split(data, "file.json"):
        try:
            out.extend(f.parse(f.decode(raw, "file.json"), RX))
        except Exception as e:  # other venues' logs are not this venue's records
            if type(e).__name__ != "NotALiquidation":
                raise
    return out


def _x(a: Decimal, b: Decimal) -> Decimal:
    return _EXACT.multiply(a, b)  # exact: both factors have few digits


def _chainlink(day: str) -> Decimal:
    with SERIES.open() as f:
        (row,) = [r for r in csv.DictReader(f) if r["date_utc"] == day]
    return Decimal(row["eth_price_usd"])


def test_topic0_constants_are_the_keccak_of_the_abi_signatures():
    assert topic0("LiquidationCall(address,address,address,uint256,uint256,address,bool)") == v2.TOPIC0
    assert topic0("LiquidationCall(address,address,address,uint256,uint256,uint256,address,bool,uint256)") == v1.TOPIC0
    assert topic0("LiquidateBorrow(address,address,uint256,address,uint256)") == cv2.TOPIC0
    assert topic0("AbsorbCollateral(address,address,address,uint256,uint256)") == cv3.TOPIC0_ABSORB_COLLATERAL
    assert topic0("AbsorbDebt(address,address,uint256,uint256)") == cv3.TOPIC0_ABSORB_DEBT
    assert topic0("Liquidate(bytes32,address,address,uint256,uint256,uint256,uint256,uint256)") == morpho.TOPIC0


# (venue, tx prefix, block time UTC, logIndex, debt asset, debt repaid, collateral asset, collateral seized,
#  side, position asset)
PROVENANCE = [
    ("aave_v3", "0xc1a03e87", "2023-08-18T01:03:47", 255, "USDC", "30.660134", "WETH", "0.018891825379519208",
     PositionSide.LONG, "ETH"),
    ("aave_v2", "0x2077a54e", "2023-05-22T06:59:35", 14, "WETH", "0.910875161581518408", "WETH",
     "0.956418919660594328", None, "ETH"),
    ("aave_v1", "0x75ef28b5", "2022-07-31T05:20:17", 192, "sUSD", "274.021843682369759590", "LINK",
     "38.160293005291481434", PositionSide.LONG, "LINK"),
    ("compound_v2", "0x0001a89e", "2022-05-11T18:06:08", 268, "USDT", "1907.307144", "cBAT", "258831.42924011",
     PositionSide.LONG, "BAT"),
    ("compound_v2", "0x160c0e6d", "2020-04-06T07:46:53", 35, "ETH", "0.001688675718347350", "cUSDC", "13.06078395",
     PositionSide.SHORT, "ETH"),
]


@pytest.mark.parametrize("row", PROVENANCE, ids=lambda r: f"{r[0]}-{r[1]}")
def test_the_five_real_logs_decode_to_the_provenance_amounts_exactly(row):
    venue, tx, when, log_index, debt, repaid, coll, seized, side, asset = row
    (e,) = [e for e in _events(venue, _bundle()) if tx in e.event_id]
    from liqscope._time import iso_ns
    assert iso_ns(e.ts_event).startswith(when)
    assert e.event_id.endswith(f":{log_index}") and e.event_id.startswith(f"{venue}:ethereum:{tx}")
    assert (e.debt_asset, e.debt_quantity, e.collateral_asset, e.collateral_quantity) == (
        debt, Decimal(repaid), coll, Decimal(seized))
    assert str(e.debt_quantity) == repaid and str(e.collateral_quantity) == seized  # every digit, no rounding
    assert (e.instrument_kind, e.liquidated_side, e.base_asset) == (InstrumentKind.LENDING, side, asset)


def test_the_wire_struct_keeps_the_abi_names_and_raw_integers():
    from liqscope.venues._evm import decode_log_record, split_logs
    from liqscope.venues.aave_v2.parse import decode_liquidation_call
    records = [decode_log_record(raw) for _, raw in split_logs(_bundle(), "b.json")]
    call = decode_liquidation_call(records[2])
    assert call.debtToCover == 30_660_134 and call.liquidatedCollateralAmount == 18_891_825_379_519_208
    assert call.debtAsset == "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48" and call.receiveAToken is False


def test_legs_are_valued_by_par_then_the_daily_series_with_its_age_else_not_valued():
    by_tx = {e.event_id.split(":")[2][:10]: e for v in ("aave_v1", "aave_v2", "aave_v3", "compound_v2")
             for e in _events(v, _bundle())}
    v3 = by_tx["0xc1a03e87"]
    assert v3.debt_usd == Decimal("30.660134")  # USDC at par
    # 2023-08-18 01:03:47: the last daily answer before it is the 2023-08-17 one (never the same day's close)
    assert v3.collateral_usd == _x(Decimal("0.018891825379519208"), _chainlink("2023-08-17"))
    assert "1h08m before the block" in (v3.price_source or "")
    v2e = by_tx["0x2077a54e"]
    assert v2e.debt_usd == _x(Decimal("0.910875161581518408"), _chainlink("2023-05-21"))
    assert v2e.collateral_usd == _x(Decimal("0.956418919660594328"), _chainlink("2023-05-21"))
    assert by_tx["0x75ef28b5"].collateral_usd is None  # LINK: no oracle answer, no series -> not valued
    assert by_tx["0x0001a89e"].collateral_usd is None  # cBAT: exchange rate unknown -> not valued
    eth = by_tx["0x160c0e6d"]
    assert (eth.debt_usd, eth.collateral_usd, eth.price_source) == (None, None, None)  # 2020: before the series


def test_an_oracle_answer_at_the_block_comes_first():
    bundle = msgspec.json.decode(_bundle())
    # A price the input states for a block is used as stated (the value here is the file's own daily answer,
    # re-labelled as an oracle answer, to check precedence: oracle, then par, then the series).
    answer = _chainlink("2023-08-17")
    bundle["prices"] = [{"block": "0x111b76b", "asset": "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
                         "usd": str(answer), "source": "AaveOracle.getAssetPrice"}]
    (e,) = _events("aave_v3", msgspec.json.encode(bundle))
    assert e.collateral_usd == _x(Decimal("0.018891825379519208"), answer)
    assert "oracle at block: AaveOracle.getAssetPrice" in (e.price_source or "")


def test_a_truncated_log_is_quarantined_naming_the_field(tmp_path):
    logs = msgspec.json.decode(LOGS.read_bytes())
    logs[2]["data"] = logs[2]["data"][:70]
    path = tmp_path / "bad.json"
    path.write_bytes(msgspec.json.encode({"logs": logs, "blocks": msgspec.json.decode(BLOCKS.read_bytes())}))
    res = CliRunner().invoke(main, ["ingest", "--venue", "aave_v3", "--format", "eth-logs", str(path),
                                    "--data-dir", str(tmp_path / "d"), "--json"])
    out = json.loads(res.output)["results"][0]
    assert (out["accepted"], out["quarantined"], out["skipped"]) == (0, 1, 4)
    sample = out["quarantine_samples"][0]
    assert (sample["line"], sample["field"]) == (3, "data")


def _graph_sum() -> tuple[Decimal, int]:
    rows = json.loads(GRAPH.read_text(), parse_float=Decimal)["data"]["liquidates"]
    return sum((Decimal(r["amountUSD"]).quantize(Decimal("1e-18")) for r in rows), Decimal(0)), len(rows)


def test_the_subgraph_export_ingests_with_its_sampling_disclosed(tmp_path):
    d = str(tmp_path)
    res = CliRunner().invoke(main, ["ingest", "--venue", "aave_v3", "--format", "thegraph-messari", str(GRAPH),
                                    "--data-dir", d, "--json"])
    assert json.loads(res.output)["results"][0]["accepted"] == 290
    r = json.loads(CliRunner().invoke(main, ["report", "--start", "2023-01-01", "--end", "2024-01-01", "-m",
                                             "derivatives-plus-lending", "--data-dir", d, "--json"]).output,
                   parse_float=Decimal)
    assert r["events"] == 290 and r["coverage"]["complete"] is False
    assert r["coverage"]["sampling"]["aave_v3"].startswith(
        "290 events from a sampled source: subgraph export of 290 rows")
    assert r["largest"][0]["event_id"] == (
        "aave_v3:ethereum:0x3e0456ff1d34661ac58079f4599ad8021f4a34d1fca7d7d53091458e94ba33ff:21")
    assert round(r["largest"][0]["notional_usd"], 2) == Decimal("4238079.66")
    # A file that states how its query chose the rows is labelled with that statement.
    labelled = tmp_path / "labelled.json"
    labelled.write_text(json.dumps({"sampling": "largest 1,000 by amountUSD, 2023-02-09..2024-05-06",
                                    **json.loads(GRAPH.read_text())}))
    from liqscope.venues._evm import decode_messari_record, split_messari
    (_, first), *_ = split_messari(labelled.read_bytes(), "labelled.json")
    assert decode_messari_record(first).sampling == "largest 1,000 by amountUSD, 2023-02-09..2024-05-06"


def test_report_json_over_the_2023_lending_data_equals_an_independent_sum(tmp_path):
    d = str(tmp_path)
    bundle = tmp_path / "logs.json"
    bundle.write_bytes(_bundle())
    for venue in ("aave_v1", "aave_v2", "aave_v3", "compound_v2"):
        assert CliRunner().invoke(main, ["ingest", "--venue", venue, "--format", "eth-logs", str(bundle),
                                         "--data-dir", d]).exit_code == 0
    assert CliRunner().invoke(main, ["ingest", "--venue", "aave_v3", "--format", "thegraph-messari", str(GRAPH),
                                     "--data-dir", d]).exit_code == 0

    def report(methodology: str) -> dict:
        res = CliRunner().invoke(main, ["report", "--start", "2023-01-01", "--end", "2024-01-01", "-m", methodology,
                                        "--data-dir", d, "--json"])
        return json.loads(res.output, parse_float=Decimal)

    graph_usd, graph_n = _graph_sum()
    # The lake keeps 18 decimals per value (docs/events.md): each term is rounded there, then summed.
    v3_coll = _x(Decimal("0.018891825379519208"), _chainlink("2023-08-17")).quantize(Decimal("1e-18"))
    v2_coll = _x(Decimal("0.956418919660594328"), _chainlink("2023-05-21")).quantize(Decimal("1e-18"))
    r = report("derivatives-plus-lending")
    assert r["total_usd"] == graph_usd + v3_coll + v2_coll
    assert round(graph_usd, 2) == Decimal("15726193.65")  # PROVENANCE: the 290 rows of 2023
    assert r["events"] == graph_n + 2  # the 2022 and 2020 logs are outside 2023
    assert r["long_usd"] == v3_coll  # WETH collateral, USDC debt: a long of ETH
    eth_row = next(a for a in r["by_asset"] if a["asset"] == "ETH")  # rankings travel as ordered arrays
    assert eth_row["total_usd"] == v3_coll + v2_coll
    assert report("standard")["total_usd"] == 0  # derivatives only: lending is a coverage choice

    res = CliRunner().invoke(main, ["reconcile", "--from", "standard", "--to", "derivatives-plus-lending",
                                    "--start", "2023-01-01", "--end", "2024-01-01", "--data-dir", d, "--json"])
    rec = json.loads(res.output, parse_float=Decimal)
    rec = rec.get("data", rec)
    eth = next(a for a in rec["by_asset"] if a["asset"] == "ETH")
    assert eth["contributions"]["coverage"] == v3_coll + v2_coll
    assert all(v == 0 for k, v in eth["contributions"].items() if k != "coverage")


def test_debt_repaid_valuation_counts_the_debt_leg_and_leaves_unpriced_legs_out(tmp_path):
    d = str(tmp_path)
    bundle = tmp_path / "logs.json"
    bundle.write_bytes(_bundle())
    for venue in ("aave_v2", "aave_v3"):
        CliRunner().invoke(main, ["ingest", "--venue", venue, "--format", "eth-logs", str(bundle), "--data-dir", d])
    CliRunner().invoke(main, ["ingest", "--venue", "aave_v3", "--format", "thegraph-messari", str(GRAPH),
                              "--data-dir", d])
    toml = tmp_path / "debt.toml"
    toml.write_text('name = "debt"\n[coverage]\ninstrument_kinds = ["lending"]\n[valuation]\nlending = "debt_repaid"\n')
    r = json.loads(CliRunner().invoke(main, ["report", "--start", "2023-01-01", "--end", "2024-01-01", "-m", str(toml),
                                             "--data-dir", d, "--json"]).output, parse_float=Decimal)
    # subgraph rows carry no debt leg: not valued under this basis, so they do not count
    v2_debt = _x(Decimal("0.910875161581518408"), _chainlink("2023-05-21")).quantize(Decimal("1e-18"))
    assert r["total_usd"] == Decimal("30.660134") + v2_debt
    assert r["events"] == 2


def test_the_report_says_how_many_lending_liquidations_are_not_valued_and_explain_lists_them(tmp_path):
    """Legs with no price drop out of every figure; the report counts them under coverage, explain lists them."""
    d = str(tmp_path)
    bundle = tmp_path / "logs.json"
    bundle.write_bytes(_bundle())
    for venue in ("aave_v1", "aave_v2", "aave_v3", "compound_v2"):
        CliRunner().invoke(main, ["ingest", "--venue", venue, "--format", "eth-logs", str(bundle), "--data-dir", d])
    window = ["--start", "2020-01-01", "--end", "2024-01-01", "--data-dir", d, "--json"]
    r = json.loads(CliRunner().invoke(main, ["report", "-m", "derivatives-plus-lending", *window]).output,
                   parse_float=Decimal)
    # Collateral seized: cUSDC (cETH log), cBAT (cUSDT log) and LINK (Aave v1) have no price source.
    assert r["events"] == 2
    assert r["coverage"]["not_valued"]["events"] == 3
    assert r["coverage"]["not_valued"]["by_venue"] == {"aave_v1": 1, "compound_v2": 2}
    assert any("3 lending liquidations have no price" in n for n in r["coverage"]["notes"])
    listed = json.loads(CliRunner().invoke(main, ["explain", "--not-valued", "-m", "derivatives-plus-lending",
                                                  *window]).output)["listed"]
    assert sorted(x["market"] for x in listed) == ["ethereum:LINK/sUSD", "ethereum:cBAT/USDT", "ethereum:cUSDC/ETH"]
    assert all(x["usd"] is None for x in listed)
    # Derivatives only: lending is out of scope, so there is nothing to disclose.
    s = json.loads(CliRunner().invoke(main, ["report", "-m", "standard", *window]).output)
    assert s["coverage"]["not_valued"] is None
