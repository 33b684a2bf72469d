"""What is specific to the bybit_inverse fast path: 1-USD contracts, and three shapes told apart by topic.

The generic equality suite is tests/venues/test_fast_paths.py. The inverse fixtures hold the deprecated
``liquidation.*`` pushes (real, from the Tardis corpus) but no ``allLiquidation`` push on an inverse symbol;
for that shape the real bybit_linear pushes (tests/fixtures/venues/bybit_linear/ws_all_liquidation*.jsonl) are
edited in memory to an inverse symbol and topic, and say so. Notionals are by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqscope.events import Source
from liqscope.venues import get_venue
from tests.venues.test_fast_paths import _HYPO, RECV, _assert_same, _both

FIXTURES = Path(__file__).parents[1] / "fixtures" / "venues"
DEPRECATED = (FIXTURES / "bybit_inverse/ws_liquidation_deprecated.jsonl").read_bytes().splitlines()
GENERATED = (FIXTURES / "bybit_inverse/ws_liquidation_generated.jsonl").read_bytes().splitlines()
LINEAR = [json.loads(line) for name in ("ws_all_liquidation.jsonl", "ws_all_liquidation_doc.jsonl")
          for line in (FIXTURES / "bybit_linear" / name).read_bytes().splitlines()]


def _fast(raws: list[bytes]):  # type: ignore[no-untyped-def]
    return get_venue("bybit_inverse").parse_batch(raws, [RECV] * len(raws),  # type: ignore[misc]
                                                  [f"r{i}" for i in range(len(raws))], Source.WS)


def _dump(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _inverse(frame: dict[str, object], symbol: str, topic: str = "allLiquidation.") -> bytes:
    # A real linear allLiquidation push moved to an inverse symbol (topic and every element's s).
    data = [{**item, "s": symbol} for item in frame["data"]]  # type: ignore[attr-defined]
    return _dump({**frame, "topic": topic + symbol, "data": data})


def test_real_deprecated_pushes_are_taken_with_notional_v_usd() -> None:
    """Pre-v5 and v5 liquidation.* pushes: v contracts of 1 USD, whatever the price; BTCUSDT and Tardis's
    generated frames go back (the reference quarantines the one, reads record ids from the other)."""
    raws = [*DEPRECATED, *GENERATED]
    part = _fast(raws)
    assert part.rows.to_pylist() == [0, 1, 2] and part.fallback == [3, 4, 5]
    assert part.table is not None
    assert part.table["market"].to_pylist() == ["ETHUSD", "BTCUSD", "XRPUSD"]
    assert part.table["notional_usd"].to_pylist() == [Decimal(3655), Decimal(2329), Decimal(6949)]
    assert part.table["quantity_unit"].to_pylist() == ["contracts"] * 3
    assert part.table["ts_event"].to_pylist() == [1631608881954 * 10**6, 1632123949005 * 10**6,
                                                  1680673944093 * 10**6]
    _assert_same(*_both("bybit_inverse", raws))


def test_all_liquidation_on_inverse_symbols_is_taken() -> None:
    """The live shape: v USD whatever p; a dated symbol is a dated future; a linear one goes back."""
    pippin, rose = LINEAR  # v 2846 p 0.02456; v 20000 p 0.04499
    raws = [_inverse(pippin, "BTCUSD"), _inverse(rose, "ETHUSDH25"), _dump(rose)]
    part = _fast(raws)
    assert part.rows.to_pylist() == [0, 1] and part.fallback == [2]
    assert part.table is not None
    assert part.table["notional_usd"].to_pylist() == [Decimal(2846), Decimal(20000)]
    assert part.table["instrument_kind"].to_pylist() == ["perpetual", "dated_future"]
    assert part.table["base_asset"].to_pylist() == ["BTC", "ETH"]
    _assert_same(*_both("bybit_inverse", raws))


@pytest.mark.parametrize("raw", [
    # an array under the deprecated topic, an object under allLiquidation: the reference quarantines both
    pytest.param(lambda: _inverse(LINEAR[0], "BTCUSD", topic="liquidation."), id="array under liquidation.*"),
    pytest.param(lambda: DEPRECATED[2].replace(b'"liquidation.', b'"allLiquidation.'),
                 id="object under allLiquidation.*"),
])
def test_a_shape_under_the_other_topic_goes_back(raw) -> None:  # type: ignore[no-untyped-def]
    raws = [raw()]
    assert _fast(raws).rows.to_pylist() == []
    fast, slow = _both("bybit_inverse", raws)
    _assert_same(fast, slow)
    assert fast.counts == slow.counts and fast.table.num_rows == 0


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["all", "all", "deprecated"]))
    symbol = draw(st.sampled_from(["BTCUSD", "ETHUSD", "XRPUSDZ25", "BTCUSDT", "BTC-USD", ""]))
    if kind == "deprecated":
        frame = json.loads(draw(st.sampled_from(DEPRECATED)))
        frame["data"]["symbol"] = symbol
        frame["topic"] = draw(st.sampled_from(["liquidation.", "allLiquidation.", "liquidation", "trade."])) + symbol
        return _dump(frame)
    topic = draw(st.sampled_from(["allLiquidation.", "allLiquidation.", "liquidation.", "allLiquidation"]))
    frame = json.loads(_inverse(draw(st.sampled_from(LINEAR)), symbol, topic=topic))
    item = frame["data"][0]
    field = draw(st.sampled_from(["none", "S", "v", "p", "T"]))
    if field == "S":
        item["S"] = draw(st.sampled_from(["Buy", "Sell", "buy", ""]))
    elif field in ("v", "p"):
        item[field] = draw(st.sampled_from(["0", "1E-7", "0.0000001", "-1", "12345678901234567890", "3", "0.5",
                                            "10000000001"]))
    elif field == "T":
        item["T"] = draw(st.sampled_from([0, 2**63, 1740480207110 * 1000]))
    frame["data"] = frame["data"] * draw(st.integers(1, 3))
    return _dump(frame)


@_HYPO
@given(st.lists(_frame(), min_size=1, max_size=12))
def test_hypothesis_inverse_frames_fast_path_equals_reference(raws: list[bytes]) -> None:
    _assert_same(*_both("bybit_inverse", raws))
