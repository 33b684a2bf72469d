"""What is specific to the OKX fast paths (okx_swap, okx_futures): nested data[].details[], ctVal, posSide.

The generic equality suite is tests/venues/test_fast_paths.py. Inputs here are the real frames in
tests/fixtures/venues/okx_*/; where a test needs a variant (several instruments in one push, a contradictory
posSide, another instId) it edits or combines real frames in memory and says so. Notionals are by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqscope.events import Source
from liqscope.venues import _instruments, get_venue
from tests.venues.test_fast_paths import _HYPO, RECV, _assert_same, _both

FIXTURES = Path(__file__).parents[1] / "fixtures" / "venues"


def _lines(venue: str, name: str) -> list[bytes]:
    return (FIXTURES / venue / name).read_bytes().splitlines()


def _fast(venue: str, raws: list[bytes]):  # type: ignore[no-untyped-def]
    return get_venue(venue).parse_batch(raws, [RECV] * len(raws), [f"r{i}" for i in range(len(raws))],  # type: ignore[misc]
                                        Source.WS)


SWAP = _lines("okx_swap", "ws_liquidation_orders.jsonl")
FUTURES = _lines("okx_futures", "ws_liquidation_orders.jsonl")
LEGACY = _lines("okx_futures", "ws_liquidation_legacy.jsonl")


def test_real_swap_pushes_are_taken_with_contracts_times_ctval_times_bkpx() -> None:
    """Linear swaps: sz x ctVal (base coin, instruments.json) x bkPx; every other line goes back."""
    part = _fast("okx_swap", SWAP)
    assert part.rows.to_pylist() == [0, 3] and part.fallback == [1, 2, 4, 5]  # pong, ack, a FUTURES push, an error
    assert part.table is not None
    assert part.table["market"].to_pylist() == ["IOST-USDT-SWAP", "BTC-USDT-SWAP"]
    # 13 x 1000 IOST x 0.007831; 10000 x 0.01 BTC x 57102.9
    assert part.table["notional_usd"].to_pylist() == [Decimal("101.803"), Decimal("5710290")]
    assert part.table["liquidated_side"].to_pylist() == ["SHORT", "LONG"]  # buy closes a short, sell a long
    assert part.table["venue_side"].to_pylist() == ["buy", "sell"]
    assert part.table["ts_event"].to_pylist() == [1692266434010 * 10**6, 1723038122631 * 10**6]
    _assert_same(*_both("okx_swap", SWAP))


def test_real_futures_pushes_are_taken_linear_and_inverse() -> None:
    """Dated futures, ctVal per family: inverse sz x ctVal USD, linear sz x ctVal x bkPx; both shapes taken."""
    raws = [FUTURES[0], *LEGACY]
    part = _fast("okx_futures", raws)
    assert part.rows.to_pylist() == [0, 1, 2] and part.fallback == [3, 4]  # the v3 futures/liquidation table goes back
    assert part.table is not None
    assert part.table["market"].to_pylist() == ["XRP-USD-230929", "BTC-USD-220624", "BTC-USDT-211231"]
    assert part.table["margining"].to_pylist() == ["inverse", "inverse", "linear"]
    # 39 x 10 USD; 12 x 100 USD (whatever bkPx); 40 x 0.01 BTC x 49674.2
    assert part.table["notional_usd"].to_pylist() == [Decimal(390), Decimal(1200), Decimal("19869.68")]
    assert part.table["contract_size"].to_pylist() == [Decimal(10), Decimal(100), Decimal("0.01")]
    _assert_same(*_both("okx_futures", raws))


def test_each_venue_leaves_the_other_insttype_to_the_reference() -> None:
    """The FUTURES push in okx_swap's fixture and the SWAP push in okx_futures' are quarantined, not taken."""
    assert _fast("okx_swap", [FUTURES[0]]).rows.to_pylist() == []
    assert _fast("okx_futures", [SWAP[0]]).rows.to_pylist() == []
    _assert_same(*_both("okx_swap", [FUTURES[0]]))
    _assert_same(*_both("okx_futures", [SWAP[0]]))


def _combined() -> dict[str, object]:
    # Two real pushes (the doc's IOST example, the ccxt BTC capture) made one: IOST with two details (its own,
    # and a copy of it 1 ms later with sz "7"), then BTC with its own.
    iost, btc = json.loads(SWAP[0]), json.loads(SWAP[3])
    first = dict(iost["data"][0]["details"][0])
    second = {**first, "sz": "7", "ts": str(int(first["ts"]) + 1)}
    iost["data"][0]["details"] = [first, second]
    iost["data"].append(btc["data"][0])
    return iost


def _dump(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def test_nested_details_give_one_row_each_in_frame_order() -> None:
    frame = _combined()
    part = _fast("okx_swap", [_dump(frame)])
    assert part.rows.to_pylist() == [0, 0, 0] and part.table is not None
    assert part.table["market"].to_pylist() == ["IOST-USDT-SWAP", "IOST-USDT-SWAP", "BTC-USDT-SWAP"]
    # 13 x 1000 x 0.007831; 7 x 1000 x 0.007831; 10000 x 0.01 x 57102.9
    assert part.table["notional_usd"].to_pylist() == [Decimal("101.803"), Decimal("54.817"), Decimal("5710290")]
    _assert_same(*_both("okx_swap", [_dump(frame)]))


def test_a_contradictory_posside_sends_the_whole_push_back() -> None:
    """posSide long on a buy order contradicts it: the reference quarantines the push, the fast path takes none
    of its details (not even the two good ones)."""
    frame = _combined()
    frame["data"][1]["details"][0]["posSide"] = "short"  # type: ignore[index]  # BTC's sell closes a long
    raws = [_dump(frame), SWAP[0]]
    part = _fast("okx_swap", raws)
    assert part.rows.to_pylist() == [1] and part.fallback == [0]
    fast, slow = _both("okx_swap", raws)
    _assert_same(fast, slow)
    assert fast.table.num_rows == 1


@pytest.mark.parametrize(("side", "pos_side", "taken"), [
    ("buy", "short", True), ("buy", "net", True), ("buy", "", True), ("buy", "long", False),
    ("sell", "long", True), ("sell", "net", True), ("sell", "short", False),
    ("Buy", "short", False), ("", "net", False),
])
def test_posside_must_agree_with_the_order_side(side: str, pos_side: str, taken: bool) -> None:
    detail = json.loads(SWAP[0])
    detail["data"][0]["details"][0].update(side=side, posSide=pos_side)  # the doc's IOST push, side edited
    raws = [_dump(detail)]
    assert (len(_fast("okx_swap", raws).rows) > 0) is taken
    fast, slow = _both("okx_swap", raws)
    _assert_same(fast, slow)
    assert fast.table.num_rows == taken


def test_ctval_comes_from_the_instrument_table_in_use_on_every_thread() -> None:
    """A refreshed table (DATA_DIR/instruments) overrides the bundled ctVal for fast path and reference alike,
    also in a batch big enough to run in parts on threads (each probe must see the caller's tables)."""
    bundled = _instruments.load("liqscope.venues.okx_swap")
    iost = bundled.instruments["IOST-USDT-SWAP"]
    table = _instruments.InstrumentFile(venue="okx_swap", version="test", source="test: IOST ctVal edited",
                                        instruments={"IOST-USDT-SWAP": msgspec.structs.replace(
                                            iost, contract_size=Decimal(10))})
    raws = [SWAP[0], SWAP[3]] * 20_000  # 40,000 frames: split across threads
    with _instruments.using(_instruments.InstrumentTables({"okx_swap": table})):
        part = _fast("okx_swap", raws)
        assert len(part.rows) == len(raws) and part.table is not None
        # 13 x 10 (the refreshed ctVal) x 0.007831; BTC-USDT-SWAP keeps the bundled 0.01: 10000 x 0.01 x 57102.9
        assert set(part.table["notional_usd"].to_pylist()) == {Decimal("1.01803"), Decimal("5710290")}
        _assert_same(*_both("okx_swap", raws[:4]))


def test_probes_are_remembered_per_instrument_table_never_across_tables() -> None:
    """The fast path remembers each instrument's probe across batches (a live capture commits the same symbols
    again and again), keyed by the content of the tables in use: bundled, refreshed, bundled again in one process
    give 13 x 1000 x 0.007831, then 13 x 10 x 0.007831, then the bundled figure again."""
    bundled = _instruments.load("liqscope.venues.okx_swap")
    edited = _instruments.InstrumentFile(venue="okx_swap", version="test", source="test: IOST ctVal edited",
                                         instruments={"IOST-USDT-SWAP": msgspec.structs.replace(
                                             bundled.instruments["IOST-USDT-SWAP"], contract_size=Decimal(10))})
    raws = [SWAP[0]]

    def notional() -> Decimal:
        part = _fast("okx_swap", raws)
        assert part.table is not None
        return part.table["notional_usd"].to_pylist()[0]  # type: ignore[no-any-return]

    assert notional() == Decimal("101.803")
    with _instruments.using(_instruments.InstrumentTables({"okx_swap": edited})):
        assert notional() == Decimal("1.01803")
    assert notional() == Decimal("101.803")
    with _instruments.using(_instruments.InstrumentTables({"okx_swap": edited})):  # a second, equal table
        assert notional() == Decimal("1.01803")


# ---- Hypothesis: real OKX details, the fields the fast path decides on mutated --------------------------------

_INST = {
    "okx_swap": ["IOST-USDT-SWAP", "BTC-USDT-SWAP", "BTC-USD-SWAP", "ETH-USD-SWAP", "XYZ-USDT-SWAP", "BTC-USD-230929",
                 ""],
    "okx_futures": ["XRP-USD-230929", "BTC-USD-220624", "BTC-USDT-211231", "ETH-USDT-250627", "XYZ-USD-230929",
                    "BTC-USD-SWAP", "BTC-USD-2306", ""],
}
_NUM = ["0", "1E-7", "0.0000001", "00.5", "1e3", "-1", "12345678901234567890", "0.1234567890123456789", "99999999.9",
        "100000000.1", "3", "0.5", "13", "57102.9", "1000000000"]
_TS = ["1692266434010", "0", "01692266434010", "1692266434010000", "99999999999999999999", "1692266434010.5", "-1"]


@st.composite
def _push(draw: st.DrawFn, venue: str) -> bytes:
    inst_type = "SWAP" if venue == "okx_swap" else "FUTURES"
    real = json.loads(SWAP[0] if venue == "okx_swap" else FUTURES[0])
    details = []
    for _ in range(draw(st.integers(1, 3))):
        d = dict(real["data"][0]["details"][0])
        field = draw(st.sampled_from(["none", "none", "side", "posSide", "sz", "bkPx", "ts"]))
        if field == "side":
            d["side"] = draw(st.sampled_from(["buy", "sell", "Buy", "SELL", ""]))
        elif field == "posSide":
            d["posSide"] = draw(st.sampled_from(["long", "short", "net", "", "LONG", "Long"]))
        elif field in ("sz", "bkPx"):
            d[field] = draw(st.sampled_from(_NUM))
        elif field == "ts":
            d["ts"] = draw(st.sampled_from(_TS))
        details.append(d)
    element = {**real["data"][0], "details": details, "instId": draw(st.sampled_from(_INST[venue])),
               "instType": draw(st.sampled_from([inst_type, inst_type, "SWAP", "FUTURES"]))}
    return _dump({"arg": {"channel": "liquidation-orders", "instType": inst_type},
                  "data": [element] * draw(st.integers(1, 2))})


@pytest.mark.parametrize("venue", ["okx_swap", "okx_futures"])
def test_hypothesis_okx_details_fast_path_equals_reference(venue: str) -> None:
    @_HYPO
    @given(st.lists(_push(venue), min_size=1, max_size=12))
    def check(raws: list[bytes]) -> None:
        _assert_same(*_both(venue, raws))

    check()
