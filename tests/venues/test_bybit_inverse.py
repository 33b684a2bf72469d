"""bybit_inverse: 1-USD contracts (notional = v USD), position side, ids from REST records.

Inputs are the real frames in tests/fixtures/venues/bybit_inverse/ and bybit_linear/. No real inverse
``allLiquidation`` push was found, so those tests take Bybit's documented ROSEUSDT push and replace its
symbol in memory, as they say.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import UnexpectedPayload
from liqscope.events import InstrumentKind, Margining, PositionSide, PriceKind, QtyUnit
from liqscope.venues.bybit_inverse import SPEC
from liqscope.venues.bybit_inverse.parse import is_inverse_symbol
from tests.venues._frames import frame, parse

ETHUSD_PRE_V5 = frame("bybit_inverse", "ws_liquidation_deprecated.jsonl", 1)   # Sell, qty 3655, price 3384.15
GENERATED_3 = frame("bybit_inverse", "ws_liquidation_generated.jsonl", 2)      # three Buy records
ROSE_DOC = frame("bybit_linear", "ws_all_liquidation_doc.jsonl", 1)           # allLiquidation, Sell, v 20000


def test_notional_is_the_contract_count_in_usd_not_contracts_times_price():
    (e,) = parse("bybit_inverse", ETHUSD_PRE_V5)
    assert e.notional_usd == Decimal("3655")
    assert e.notional_usd != Decimal("3655") * Decimal("3384.15")  # 12,369,068.25 if v were read as coins
    assert (e.quantity, e.quantity_unit, e.contract_size, e.contract_size_unit) == (
        Decimal("3655"), QtyUnit.CONTRACTS, Decimal("1"), QtyUnit.QUOTE)
    assert (e.margining, e.base_asset, e.quote_asset, e.settle_asset) == (Margining.INVERSE, "ETH", "USD", "ETH")
    assert (e.price, e.price_kind) == (Decimal("3384.15"), PriceKind.BANKRUPTCY)


def test_buy_means_a_long_was_liquidated():
    events = parse("bybit_inverse", GENERATED_3)
    assert [e.liquidated_side for e in events] == [PositionSide.LONG] * 3
    assert sum(e.notional_usd for e in events) == 1257079 + 2314 + 650 == 1260043
    assert parse("bybit_inverse", ETHUSD_PRE_V5)[0].liquidated_side is PositionSide.SHORT


def test_rest_records_keep_their_bybit_id_and_stream_pushes_hash_the_tuple():
    assert [e.event_id for e in parse("bybit_inverse", GENERATED_3)] == [
        "bybit_inverse:BTCUSD:id:10759329", "bybit_inverse:BTCUSD:id:10759323", "bybit_inverse:BTCUSD:id:10759328"]
    assert parse("bybit_inverse", ETHUSD_PRE_V5)[0].event_id.startswith("bybit_inverse:ETHUSD:1631608881954:")


def test_all_liquidation_push_on_the_inverse_stream():
    (e,) = parse("bybit_inverse", ROSE_DOC.replace(b"ROSEUSDT", b"BTCUSD"))
    assert (e.market, e.liquidated_side, e.notional_usd) == ("BTCUSD", PositionSide.SHORT, Decimal("20000"))
    assert e.ts_event == 1739502302929 * 1_000_000
    (dated,) = parse("bybit_inverse", ROSE_DOC.replace(b"ROSEUSDT", b"BTCUSDZ25"))
    assert (dated.instrument_kind, dated.base_asset) == (InstrumentKind.DATED_FUTURE, "BTC")


def test_a_linear_symbol_is_quarantined_naming_bybit_linear():
    with pytest.raises(UnexpectedPayload, match="bybit_linear") as caught:
        parse("bybit_inverse", ROSE_DOC)
    assert caught.value.field == "data.s"


@pytest.mark.parametrize(("symbol", "inverse"), [("BTCUSD", True), ("ETHUSDH25", True), ("BTCUSDT", False),
                                                 ("1000PEPEUSDT", False), ("BTCPERP", False), ("BTCUSDC", False)])
def test_inverse_symbols_are_coin_usd_with_an_optional_month_code(symbol, inverse):
    assert is_inverse_symbol(symbol) is inverse


def test_declared_spec():
    assert not SPEC.sampled and SPEC.sampling is None
    assert SPEC.quantity_unit is QtyUnit.CONTRACTS
    assert "tardis-csv" in SPEC.formats
