"""Live lending capture over ``eth_subscribe``, against a loopback JSON-RPC node replaying the real logs.

The node (tests/capture/_eth_node.py) announces real blocks and delivers the five real liquidation logs of
tests/fixtures/lending/ to the four lending venues' subscriptions, with a deep reorg (a confirmed log removed),
a shallow one (a log removed before it was confirmed, re-included in the replacement block) and a disconnect
during which a log is included (recovered by the eth_getLogs backfill). Totals are checked against sums worked
out here from the PROVENANCE amounts and the Chainlink answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from liqscope.capture import Capture
from liqscope.cli import main
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.store.transcript import Marker

from ._eth_node import EthNode, block_hash
from ._live import options, run, transcript

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lending"
VENUES = ["aave_v1", "aave_v2", "aave_v3", "compound_v2"]
_Q = Decimal("1e-18")


def _utc(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def _fixture() -> tuple[dict[int, dict], dict[int, int]]:
    logs = {int(log["blockNumber"], 16): log for log in json.loads((FIXTURES / "ethereum_liquidation_logs"
                                                                    ".eth_getLogs.json").read_text())}
    blocks = {int(b["number"], 16): int(b["timestamp"], 16)
              for b in json.loads((FIXTURES / "ethereum_blocks.json").read_text())}
    return logs, blocks


# Real blocks after the logs' blocks: Chainlink ETH/USD updates (update_block_number, update_block_time_utc) of
# the bundled series, used as later heads so the logs before them are confirmed.
AFTER_V2 = (17318233, _utc("2023-05-22 23:55:35"))
AFTER_V3 = (17945086, _utc("2023-08-18 23:55:35"))
C_ETH, C_USDT, AAVE_V1, AAVE_V2, AAVE_V3 = 9817257, 14756345, 15248339, 17313211, 17938283


async def _until(check, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _scenario(catalog: Catalog) -> dict[str, int]:
    logs, times = _fixture()
    async with EthNode() as node:
        cap = Capture(catalog, VENUES, options(rpc_url=node.url, confirmations=1, silence_s=30.0))
        rec = {r.venue: r for r in cap._recorders}
        stop = asyncio.Event()
        task = asyncio.create_task(cap.run(stop))
        try:
            await node.wait_subscribed(len(VENUES))
            await _until(lambda: all(r.head is not None for r in rec.values()), "the first eth_blockNumber")

            # Phase 1, connected: two Compound v2 logs and the Aave v1 one; the second Compound log is then
            # removed by a reorg deeper than the declared depth (1), after it was confirmed.
            await node.head(C_ETH, times[C_ETH])
            await node.emit(logs[C_ETH])
            await node.head(C_USDT, times[C_USDT])            # confirms cETH
            usdt = await node.emit(logs[C_USDT])
            await node.head(AAVE_V1, times[AAVE_V1])          # confirms cUSDT
            await node.emit(logs[AAVE_V1])
            await node.remove(usdt)
            await _until(lambda: rec["compound_v2"].counts["retracted"] == 1 and len(rec["aave_v1"]._pending) == 1
                         and all(r.head == AAVE_V1 for r in rec.values()), "phase 1")

            # Phase 2, the node drops every connection and refuses new ones while the Aave v2 log is included.
            marks = {"dropped": time.time_ns()}
            await node.drop()
            node.accepting = False
            await node.head(AAVE_V2, times[AAVE_V2])
            await node.emit(logs[AAVE_V2])
            await node.head(*AFTER_V2)
            await asyncio.sleep(0.3)
            marks["accepting"] = time.time_ns()
            node.accepting = True
            await node.wait_subscribed(len(VENUES))
            await _until(lambda: rec["aave_v2"].counts["confirmed"] == 1 and rec["aave_v1"].counts["confirmed"] == 1,
                         "the backfill")
            marks["backfilled"] = time.time_ns()

            # Phase 3: the Aave v3 log is delivered in block a, removed by a reorg before it is confirmed, and
            # re-included in the replacement block b, which the next head confirms.
            await node.head(AAVE_V3, times[AAVE_V3], "a")
            first = await node.emit(logs[AAVE_V3], "a")
            await _until(lambda: len(rec["aave_v3"]._pending) == 1, "the first Aave v3 delivery")
            await node.remove(first)
            await node.head(AAVE_V3, times[AAVE_V3], "b")
            await node.emit(logs[AAVE_V3], "b")
            await node.head(*AFTER_V3)
            await _until(lambda: rec["aave_v3"].counts["confirmed"] == 1, "phase 3")
        finally:
            stop.set()
            result = await task
    assert {v: s.lending for v, s in result.venues.items()} == {
        "aave_v1": {"confirmed": 1, "retracted": 0, "dropped_unconfirmed": 0, "backfilled": 0},
        "aave_v2": {"confirmed": 1, "retracted": 0, "dropped_unconfirmed": 0, "backfilled": 1},
        "aave_v3": {"confirmed": 1, "retracted": 0, "dropped_unconfirmed": 1, "backfilled": 0},
        "compound_v2": {"confirmed": 2, "retracted": 1, "dropped_unconfirmed": 0, "backfilled": 0},
    }
    return marks


def _report(data_dir: Path, methodology: str) -> dict:
    res = CliRunner().invoke(main, ["report", "--start", "2015-01-01", "--end", "2030-01-01", "-m", methodology,
                                    "--data-dir", str(data_dir), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output, parse_float=Decimal)


def _lake_rows(catalog: Catalog) -> list[tuple]:
    con = catalog.connect()
    try:
        return con.execute(f"SELECT venue, event_id, coalesce(retraction, false) FROM "
                           f"{catalog.relation_sql(catalog.event_files())} ORDER BY venue, ts_recv").fetchall()
    finally:
        con.close()


def test_capture_survives_a_reorg_and_a_disconnect_and_counts_the_surviving_logs(tmp_path):
    catalog = Catalog(tmp_path / "live")
    marks = run(_scenario(catalog))
    _, times = _fixture()

    # The lake: one row per confirmed log, and the deep reorg's retraction; the Aave v3 copy of block a never
    # reached it (removed before it was confirmed).
    rows = _lake_rows(catalog)
    usdt = "compound_v2:ethereum:0x0001a89e439c3673b8264f880730784ebd698502bb9dd62949d42a66a4129f23:268"
    assert [(v, r) for v, e, r in rows if e == usdt] == [("compound_v2", False), ("compound_v2", True)]
    assert sorted(v for v, _, r in rows if not r) == ["aave_v1", "aave_v2", "aave_v3", "compound_v2", "compound_v2"]

    # Collateral seized (the preset's basis). cETH seized cUSDC and Aave v1 seized LINK: no price, not valued.
    v2_coll = (Decimal("0.956418919660594328") * Decimal("1804.62203291")).quantize(_Q)  # Chainlink 2023-05-21
    v3_coll = (Decimal("0.018891825379519208") * Decimal("1683.55")).quantize(_Q)       # Chainlink 2023-08-17
    r = _report(catalog.root, "derivatives-plus-lending")
    assert (r["total_usd"], r["events"]) == (v2_coll + v3_coll, 2)
    assert r["long_usd"] == v3_coll  # WETH collateral against USDC debt: a long of ETH
    assert r["coverage"]["not_valued"]["events"] == 2  # cETH and Aave v1; the retracted cUSDT is not there
    assert r["coverage"]["not_valued"]["by_venue"] == {"aave_v1": 1, "compound_v2": 1}
    res = CliRunner().invoke(main, ["explain", "--not-valued", "--start", "2015-01-01", "--end", "2030-01-01", "-m",
                                    "derivatives-plus-lending", "--data-dir", str(catalog.root), "--json"])
    listed = json.loads(res.output)["listed"]
    assert sorted((x["event_id"], x["usd"]) for x in listed) == [  # seized LINK, and seized cUSDC: no price
        ("aave_v1:ethereum:0x75ef28b5593efd3f0f9eff338e234f59b2bd34a7148a90ce020122900722a832:192", None),
        ("compound_v2:ethereum:0x160c0e6db0df5ea0c1cc9b1b31bd90c842ef793c9b2ab496efdc62bdd80eeb52:35", None)]

    # Debt repaid: the retracted cUSDT repayment (1,907.307144 USDT at par) must not count.
    toml = tmp_path / "debt.toml"
    toml.write_text('name = "debt"\n[coverage]\ninstrument_kinds = ["lending"]\n[valuation]\nlending = "debt_repaid"\n')
    v2_debt = (Decimal("0.910875161581518408") * Decimal("1804.62203291")).quantize(_Q)
    d = _report(catalog.root, str(toml))
    assert d["total_usd"] == Decimal("30.660134") + v2_debt + Decimal("274.021843682369759590")
    assert d["events"] == 3
    assert d["coverage"]["not_valued"]["events"] == 1  # cETH: ETH debt in 2020, before the imported series

    # The disconnect: one GAP per venue, in receipt time between the drop and the reconnect, and in blocks
    # from the one after the last head seen to the head at reconnect, with both ends' block times.
    for venue in ("aave_v1", "aave_v2", "aave_v3", "compound_v2"):
        gaps = [ln.detail for ln in transcript(catalog, venue) if ln.marker is Marker.GAP]
        assert len(gaps) == 1, venue
        g = gaps[0]
        assert marks["dropped"] <= g["from_ns"] < marks["accepting"] <= g["to_ns"] <= marks["backfilled"]
        assert (g["from_block"], g["to_block"]) == (AAVE_V1 + 1, AFTER_V2[0])
        assert (g["from_block_ns"], g["to_block_ns"]) == (times[AAVE_V1] * 10**9, AFTER_V2[1] * 10**9)
        assert g["backfilled"] is True
        assert g["backfilled_logs"] == (1 if venue == "aave_v2" else 0)
    # The transcript header keeps the node's host, never the URL's path (where providers put API keys).
    header = transcript(catalog, "aave_v2")[0].detail
    assert header["url"].endswith("/...") and "not-a-key" not in json.dumps(header)
    assert header["confirmations"] == 1

    # Rebuilt from the transcripts into an empty lake: the same counted figures.
    fresh = Catalog(tmp_path / "rebuilt")
    for venue in VENUES:
        for path in sorted((catalog.root / "transcripts" / f"venue={venue}").rglob("*.tsv.gz")):
            ingest_file(fresh, venue, path, fmt="transcript")
    again = _report(fresh.root, "derivatives-plus-lending")
    assert (again["total_usd"], again["events"]) == (r["total_usd"], r["events"])
    assert block_hash(AAVE_V3, "b") != block_hash(AAVE_V3, "a")
