"""kraken_futures: type=liquidation trades, taker side, PI_ USD contracts vs PF_ base units.

Inputs are the real trades in tests/fixtures/venues/kraken_futures/. Variants edit them in memory and
say so.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import Margining, PositionSide, QtyUnit
from liqscope.venues.kraken_futures import SPEC
from tests.venues import _frames
from tests.venues._frames import frame, parse

XRP_SELL = frame("kraken_futures", "ws_trade.jsonl", 1)  # PI_XRPUSD, taker sell, qty 12000 @ 0.1736
ETH_BUY = frame("kraken_futures", "ws_trade.jsonl", 2)   # PI_ETHUSD, taker buy, qty 250 @ 231.6


def test_inverse_qty_counts_usd_contracts_and_a_taker_sell_closes_a_long():
    (e,) = parse("kraken_futures", XRP_SELL)
    assert (e.liquidated_side, e.notional_usd) == (PositionSide.LONG, Decimal("12000"))
    assert e.notional_usd != Decimal("12000") * Decimal("0.1736")  # 2083.2 if qty were coins
    assert (e.quantity_unit, e.contract_size, e.margining) == (QtyUnit.CONTRACTS, Decimal("1"), Margining.INVERSE)
    assert e.event_id == "kraken_futures:PI_XRPUSD:3ee209b8-bc9f-4ed5-965b-8c6208b26411"


def test_taker_buy_closes_a_short():
    (e,) = parse("kraken_futures", ETH_BUY)
    assert (e.liquidated_side, e.notional_usd) == (PositionSide.SHORT, Decimal("250"))


def test_linear_pf_product_counts_the_base_coin():
    (e,) = parse("kraken_futures", ETH_BUY.replace(b"PI_ETHUSD", b"PF_ETHUSD"))
    assert e.notional_usd == Decimal("250") * Decimal("231.6") == Decimal("57900")
    assert (e.quantity_unit, e.margining, e.settle_asset) == (QtyUnit.BASE, Margining.LINEAR, "USD")


def test_xbt_is_btc():
    (e,) = parse("kraken_futures", XRP_SELL.replace(b"PI_XRPUSD", b"PI_XBTUSD"))
    assert (e.base_asset, e.market) == ("BTC", "PI_XBTUSD")


def test_ordinary_fills_are_not_liquidations():
    with pytest.raises(NotALiquidation, match="fill"):
        parse("kraken_futures", XRP_SELL.replace(b'"type":"liquidation"', b'"type":"fill"'))


def test_a_snapshot_yields_only_its_liquidation_trades():
    """A trade_snapshot assembled in memory from the two real trades, one turned into a plain fill."""
    trades = [json.loads(XRP_SELL), json.loads(ETH_BUY.replace(b'"type":"liquidation"', b'"type":"fill"'))]
    snapshot = json.dumps({"feed": "trade_snapshot", "product_id": "PI_XRPUSD", "trades": trades}).encode()
    assert [e.market for e in parse("kraken_futures", snapshot)] == ["PI_XRPUSD"]


def test_unknown_product_prefix_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("kraken_futures", XRP_SELL.replace(b"PI_XRPUSD", b"XRPUSD"))
    assert caught.value.field == "product_id"


def test_declared_spec():
    assert not SPEC.sampled and str(SPEC.side_convention) == "taker"


# ---- the declared fast path (fast.toml): what it takes, with the reference's values -------------------------

RECV = 1_800_000_000_000_000_000


def _fast(raws: list[bytes]):
    return _frames.fast("kraken_futures", raws, RECV)


def test_fast_path_inverse_notional_is_contracts_times_one_usd_and_linear_is_qty_times_price():
    part, rows = _fast([XRP_SELL, ETH_BUY, ETH_BUY.replace(b"PI_ETHUSD", b"PF_ETHUSD")])
    assert (part.rows.to_pylist(), list(part.fallback)) == ([0, 1, 2], [])
    assert [r["notional_usd"] for r in rows] == [Decimal(12000) * 1, Decimal(250) * 1, Decimal("57900")]  # 250 x 231.6
    assert [(r["margining"], r["quantity_unit"], r["contract_size"]) for r in rows] == [
        ("inverse", "contracts", Decimal(1)), ("inverse", "contracts", Decimal(1)), ("linear", "base", None)]
    assert [(r["liquidated_side"], r["venue_side"]) for r in rows] == [("LONG", "sell"), ("SHORT", "buy"),
                                                                       ("SHORT", "buy")]
    assert rows[0]["event_id"] == "kraken_futures:PI_XRPUSD:3ee209b8-bc9f-4ed5-965b-8c6208b26411"
    assert rows[0]["price"] == Decimal("0.1736") and rows[0]["ts_event"] == 1593561965283 * 10**6


def test_fast_path_proves_other_trade_types_skipped_hands_back_products_the_reference_rewrites():
    raws = [XRP_SELL.replace(b'"type":"liquidation"', b'"type":"fill"'),   # skipped by the reference
            XRP_SELL.replace(b"PI_XRPUSD", b"pi_xrpusd"),                   # the reference upper-cases it
            XRP_SELL.replace(b"PI_XRPUSD", b"XRPUSD"),                      # quarantined
            ETH_BUY,
            ETH_BUY.replace(b'"type":"liquidation"', b'"type":"termination"').replace(b'"side":"buy"',
                                                                                  b'"side":"up"'),
            XRP_SELL.replace(b'"type":"liquidation"', b'"type":"settlement"')]  # no known type: the reference's
    part, rows = _fast(raws)
    assert (part.rows.to_pylist(), list(part.fallback)) == ([3], [1, 2, 5])
    # The reference's words; it reads nothing of a skipped trade but its type (not even a side it would refuse).
    assert part.skipped == {0: "trade type fill, not liquidation", 4: "trade type termination, not liquidation"}
    assert [r["event_id"] for r in rows] == ["kraken_futures:PI_ETHUSD:e7f3a144-5c04-4ed6-999e-5922cd0b6160"]
