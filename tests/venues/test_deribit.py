"""deribit: the M/T/MT flag and the taker's direction decide the side; MT is two events; USD amounts.

Inputs are the real T and M trades in tests/fixtures/venues/deribit/. No real MT trade was found, so
the MT test edits the T trade's flag in memory; other variants say what they edit too.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import InstrumentKind, Margining, PositionSide, QtyUnit
from liqscope.venues.deribit import SPEC
from tests.venues import _frames
from tests.venues._frames import frame, parse

TAKER_SELL = frame("deribit", "ws_trades.jsonl", 1)  # trade 66460463, "T", direction sell, 1120 USD @ 4469.5
MAKER_BUY = frame("deribit", "ws_trades.jsonl", 2)   # trade 66460626, "M", direction buy, 2500 USD @ 4458.5


def test_taker_liquidated_selling_closes_a_long():
    (e,) = parse("deribit", TAKER_SELL)
    assert (e.liquidated_side, e.event_id) == (PositionSide.LONG, "deribit:BTC-PERPETUAL:66460463:LONG")


def test_maker_liquidated_is_on_the_other_side_of_the_takers_direction():
    (e,) = parse("deribit", MAKER_BUY)  # the taker bought, so the liquidated maker sold: a LONG
    assert e.liquidated_side is PositionSide.LONG


def test_mt_means_both_sides_were_liquidated_two_events():
    events = parse("deribit", TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"MT"'))
    assert [e.liquidated_side for e in events] == [PositionSide.LONG, PositionSide.SHORT]
    assert [e.event_id for e in events] == ["deribit:BTC-PERPETUAL:66460463:LONG",
                                            "deribit:BTC-PERPETUAL:66460463:SHORT"]
    assert sum(e.notional_usd for e in events) == Decimal("2240")  # 1120 USD on each side


def test_perpetual_amount_is_usd_and_linear_amount_is_coin():
    (inverse,) = parse("deribit", TAKER_SELL)
    assert (inverse.quantity, inverse.quantity_unit, inverse.notional_usd) == (
        Decimal("1120"), QtyUnit.QUOTE, Decimal("1120"))
    assert (inverse.margining, inverse.settle_asset) == (Margining.INVERSE, "BTC")
    raw = TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC_USDC-PERPETUAL").replace(b'"amount":1120', b'"amount":0.5')
    (linear,) = parse("deribit", raw)
    assert linear.notional_usd == Decimal("0.5") * Decimal("4469.5") == Decimal("2234.75")
    assert (linear.quantity_unit, linear.margining, linear.quote_asset, linear.settle_asset) == (
        QtyUnit.BASE, Margining.LINEAR, "USDC", "USDC")


def test_dated_future_name():
    (e,) = parse("deribit", TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC-27MAR20"))
    assert e.instrument_kind is InstrumentKind.DATED_FUTURE


def test_a_trade_without_the_flag_is_not_a_liquidation():
    with pytest.raises(NotALiquidation):
        parse("deribit", TAKER_SELL.replace(b'"liquidation":"T",', b""))


def test_option_liquidations_are_quarantined():
    with pytest.raises(UnexpectedPayload, match="not a perpetual or a future"):
        parse("deribit", TAKER_SELL.replace(b'"instrument_name":"BTC-PERPETUAL"',
                                            b'"instrument_name":"BTC-27MAR20-5000-P"'))


def test_an_unknown_flag_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("deribit", TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"X"'))
    assert caught.value.field == "params.data.liquidation"


def test_declared_spec():
    assert not SPEC.sampled and str(SPEC.side_convention) == "taker"


# ---- the declared fast path (fast.toml): what it takes, with the reference's values -------------------------

def _fast(raws: list[bytes]):
    return _frames.fast("deribit", raws, RECV)


RECV = 1_800_000_000_000_000_000
_HEAD, _TAIL = TAKER_SELL.split(b'"data":[')
_T_ELEMENT, _M_ELEMENT = _TAIL[:-3], MAKER_BUY.split(b'"data":[')[1][:-3]


def _push(*elements: bytes) -> bytes:
    """TAKER_SELL's envelope around other trades (edited in memory from the two real trades)."""
    return _HEAD + b'"data":[' + b",".join(elements) + b"]}}"


def test_fast_path_takes_t_and_m_trades_with_the_reference_sides_and_ids():
    part, rows = _fast([TAKER_SELL, MAKER_BUY, _push(_T_ELEMENT, _M_ELEMENT)])
    assert (part.rows.to_pylist(), list(part.fallback)) == ([0, 1, 2, 2], [])
    # T sell: the taker sold, a LONG. M buy: the taker bought, the liquidated maker sold, a LONG too.
    assert [(r["liquidated_side"], r["venue_side"]) for r in rows] == [("LONG", "sell"), ("LONG", "buy")] * 2
    assert [r["event_id"] for r in rows] == ["deribit:BTC-PERPETUAL:66460463:LONG",
                                             "deribit:BTC-PERPETUAL:66460626:LONG"] * 2
    # Inverse perpetual: amount is USD, the notional itself, whatever the price.
    assert [r["notional_usd"] for r in rows] == [Decimal(1120), Decimal(2500)] * 2
    assert [(r["quantity_unit"], r["margining"], r["contract_size"]) for r in rows] == [("quote", "inverse", None)] * 4
    assert [r["ts_event"] for r in rows] == [1584058044032 * 10**6, 1584058067675 * 10**6] * 2


def test_fast_path_flips_the_side_when_the_maker_was_liquidated():
    raws = [TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"M"'),     # maker bought: a SHORT
            MAKER_BUY.replace(b'"liquidation":"M"', b'"liquidation":"T"')]      # taker bought: a SHORT
    part, rows = _fast(raws)
    assert list(part.fallback) == [] and [r["liquidated_side"] for r in rows] == ["SHORT", "SHORT"]
    assert rows[0]["event_id"] == "deribit:BTC-PERPETUAL:66460463:SHORT"


def test_fast_path_linear_notional_is_amount_times_price():
    raw = TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC_USDC-PERPETUAL").replace(b'"amount":1120', b'"amount":0.5')
    part, (row,) = _fast([raw])
    assert part.rows.to_pylist() == [0]
    assert (row["notional_usd"], row["quantity"], row["margining"], row["quantity_unit"]) == (
        Decimal("2234.75"), Decimal("0.5"), "linear", "base")  # 0.5 BTC x 4469.5 USDC


def test_fast_path_hands_back_mt_mixed_pushes_and_options():
    plain = _T_ELEMENT.replace(b'"liquidation":"T",', b"")  # an ordinary trade: no liquidation key
    raws = [TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"MT"'),  # two events: the reference's
            _push(_T_ELEMENT, plain),                                          # one liquidation beside a trade
            _push(plain),                                                      # no liquidation: a skip
            TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC-27MAR20-5000-P"),       # an option: quarantined
            MAKER_BUY]
    part, rows = _fast(raws)
    assert (part.rows.to_pylist(), list(part.fallback)) == ([4], [0, 1, 2, 3])
    assert [r["event_id"] for r in rows] == ["deribit:BTC-PERPETUAL:66460626:LONG"]


@pytest.mark.parametrize(("edit", "message"), [
    (('field = "liquidation", map', 'field = "liq", map'), "names no field \\['liq'\\]"),
    (("T = false", 'T = "no"'), "mapping.side.flip.map"),
    (('sell = "LONG"', 'sell = "long"'), "a flipped side map names \\['long'\\]"),
    (('flip = {', 'flop = {'), "unknown field `flop`"),
])
def test_a_broken_flip_in_the_mapping_file_is_an_error_naming_it(tmp_path, edit, message):
    from liqscope.venues import _vectorized
    from liqscope.venues.deribit import batch

    bad = tmp_path / "fast.toml"
    bad.write_text(Path(batch.__file__).with_name("fast.toml").read_text().replace(*edit))
    with pytest.raises(ValueError, match=message) as e:
        _vectorized.load(bad)
    assert str(bad) in str(e.value)
