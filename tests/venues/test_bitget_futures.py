"""bitget_futures: max-per-side sampling, position side per Tardis, amount read as quote notional.

Inputs are the real push and Bitget's documented push in tests/fixtures/venues/bitget_futures/.
Variants edit them in memory and say so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import PositionSide, QtyUnit
from liqscope.venues import bitget_futures
from liqscope.venues.bitget_futures import SPEC
from tests.venues import _frames
from tests.venues._frames import frame, parse

PUSH = frame("bitget_futures", "ws_liquidation.jsonl", 1)  # APEUSDT and IPUSDT, side buy
DOC = frame("bitget_futures", "ws_liquidation.jsonl", 2)


def test_amount_over_price_is_a_whole_lot_count_so_amount_is_the_usdt_notional():
    ape, ip = parse("bitget_futures", PUSH)
    assert ape.quantity / ape.price == Decimal("83.1")  # 13.70319 / 0.1649
    assert (ip.quantity / ip.price).quantize(Decimal("0.000001")) == Decimal("286.500000")
    assert (ape.notional_usd, ape.quantity_unit) == (Decimal("13.70319"), QtyUnit.QUOTE)
    assert ip.notional_usd == Decimal("143.330431857868")


def test_buy_is_read_as_a_long_liquidated_and_sell_as_a_short():
    assert [e.liquidated_side for e in parse("bitget_futures", PUSH)] == [PositionSide.LONG] * 2
    (e,) = parse("bitget_futures", DOC.replace(b'"side":"buy"', b'"side":"sell"'))
    assert e.liquidated_side is PositionSide.SHORT


def test_one_record_per_pair_side_and_second_is_the_identity():
    ape, _ = parse("bitget_futures", PUSH)
    assert ape.event_id == "bitget_futures:APEUSDT:1777358886549:LONG"


def test_coin_margined_amounts_have_no_known_unit_and_are_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("bitget_futures", DOC.replace(b"usdt-futures", b"coin-futures"))
    assert caught.value.field == "arg.instType"


def test_subscribe_reply_and_pong_are_skips():
    with pytest.raises(NotALiquidation):
        parse("bitget_futures", b"pong")
    with pytest.raises(NotALiquidation):
        parse("bitget_futures", DOC.replace(b'"action":"update"', b'"event":"subscribe"'))


def test_declared_spec_states_the_sampling_and_the_uncertainty():
    assert SPEC.sampled and "max-per-side" in SPEC.sampling and "largest" in SPEC.sampling
    assert "NOT confirmed" in bitget_futures.__doc__


# ---- the declared fast path (fast.toml): what it takes, with the reference's values -------------------------

RECV = 1_800_000_000_000_000_000


def _fast(raws: list[bytes]):
    return _frames.fast("bitget_futures", raws, RECV)


def test_fast_path_takes_both_recorded_key_orders_one_row_per_element():
    part, rows = _fast([PUSH, DOC, DOC.replace(b'"side":"buy"', b'"side":"sell"')])
    assert (part.rows.to_pylist(), list(part.fallback)) == ([0, 0, 1, 2], [])
    assert [r["event_id"] for r in rows] == ["bitget_futures:APEUSDT:1777358886549:LONG",
                                             "bitget_futures:IPUSDT:1777358876983:LONG",
                                             "bitget_futures:BTCUSDT:1736371332162:LONG",
                                             "bitget_futures:BTCUSDT:1736371332162:SHORT"]
    # amount is the USDT notional as sent, not amount x price.
    assert [r["notional_usd"] for r in rows] == [Decimal("13.70319"), Decimal("143.330431857868"),
                                                 Decimal("37.722858"), Decimal("37.722858")]
    assert [r["ts_event"] for r in rows][:2] == [1777358886549 * 10**6, 1777358876983 * 10**6]


def test_fast_path_hands_back_coin_futures_a_mismatched_quote_and_replies():
    raws = [DOC.replace(b"usdt-futures", b"coin-futures"),     # quarantined: no known unit
            DOC.replace(b"usdt-futures", b"usdc-futures"),     # BTCUSDT is not quoted in USDC
            DOC.replace(b'"ts":"1736371332162"', b'"ts":"01736371332162"'),  # the reference reads int(ts)
            DOC.replace(b'"action":"update"', b'"event":"subscribe"'),
            PUSH]
    part, rows = _fast(raws)
    assert (part.rows.to_pylist(), list(part.fallback)) == ([4, 4], [0, 1, 2, 3])
    assert [r["market"] for r in rows] == ["APEUSDT", "IPUSDT"]
