"""OKX v3 ``futures/liquidation`` and ``swap/liquidation`` frames (2019-2021): history found in Tardis archives.

The four frames are corpus lines 5, 6, 10 and 11 of tests/fixtures/tardis_corpus/ (a byte-for-byte copy of
shared/data/real/venue_liquidation_messages_tardis, see its .source.txt): Tardis's frames generated from v3 REST
polling ("generated": true). Every figure below is worked out by hand from the frame and the contract value
(instruments.json), not read back from the parser.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload, UnknownInstrument
from liqscope.events import Margining, PositionSide, PriceKind, QtyUnit, Received
from liqscope.normalize import normalize_record
from liqscope.venues import venues

CORPUS = Path(__file__).parent.parent / "fixtures" / "tardis_corpus" / "liquidation_messages_by_venue.jsonl"
RX = Received(ts_ns=1_800_000_000_000_000_000, ref="test:1")
VENUE_OF = {"okex-futures": "okx_futures", "okex-swap": "okx_swap"}


def _frame(line: int) -> tuple[str, bytes]:
    text = CORPUS.read_text(encoding="utf-8").splitlines()[line - 1]
    venue = VENUE_OF[json.loads(text)["venue"]]
    start = text.index('"message":') + len('"message":')
    return venue, text[start:-1].encode()  # the frame's own bytes


def _parse(line: int, raw: bytes | None = None):
    venue, frame = _frame(line)
    spec = venues()[venue]
    return spec.parse(spec.decode(raw if raw is not None else frame), RX)


# (corpus line, venue, instrument, side, contracts, ctVal, USD notional by hand, venue time in ms)
EXPECTED = [
    # ETH-USD dated future, inverse: 475 contracts x 10 USD
    (5, "okx_futures", "ETH-USD-210326", PositionSide.LONG, "475", "10", Decimal(475) * 10, 1608251458559),
    # BTC-USD dated future, inverse: 8 contracts x 100 USD
    (6, "okx_futures", "BTC-USD-210326", PositionSide.SHORT, "8", "100", Decimal(8) * 100, 1608280354576),
    # UNI-USD perpetual, inverse: 8 contracts x 10 USD
    (10, "okx_swap", "UNI-USD-SWAP", PositionSide.LONG, "8", "10", Decimal(8) * 10, 1608251458374),
    # BTC-USDT perpetual, linear: 30 contracts x 0.01 BTC x 22376.9 USDT
    (11, "okx_swap", "BTC-USDT-SWAP", PositionSide.LONG, "30", "0.01",
     Decimal(30) * Decimal("0.01") * Decimal("22376.9"), 1608251468794),
]


@pytest.mark.parametrize(("line", "venue", "market", "side", "contracts", "ctval", "usd", "ts_ms"), EXPECTED,
                         ids=[f"line{e[0]}-{e[2]}" for e in EXPECTED])
def test_each_v3_frame_gives_the_hand_computed_event(line, venue, market, side, contracts, ctval, usd, ts_ms):
    (event,) = _parse(line)
    assert (event.venue, event.market, event.liquidated_side) == (venue, market, side)
    assert (event.quantity, event.quantity_unit, event.contract_size) == (Decimal(contracts), QtyUnit.CONTRACTS,
                                                                          Decimal(ctval))
    assert event.notional_usd == usd
    assert event.price_kind is PriceKind.ORDER
    assert event.ts_event == ts_ms * 1_000_000          # created_at, not our receipt time
    assert event.ts_recv == RX.ts_ns


def test_the_four_tardis_v3_frames_total_12343_07_usd():
    """4,750 + 800 + 80 + 6,713.07: the figure the issue quotes for the corpus's v3 frames."""
    inverse = Decimal(475) * 10 + Decimal(8) * 100 + Decimal(8) * 10   # contracts x USD face value
    linear = Decimal(30) * Decimal("0.01") * Decimal("22376.9")         # contracts x BTC per contract x price
    by_hand = inverse + linear
    assert by_hand == Decimal("12343.07")
    events = [e for line in (5, 6, 10, 11) for e in _parse(line)]
    assert len(events) == 4
    assert sum(e.notional_usd for e in events) == by_hand
    long_usd = sum(e.notional_usd for e in events if e.liquidated_side is PositionSide.LONG)
    assert long_usd == Decimal(4750) + 80 + Decimal("6713.07")   # type 3 = close long, three of them
    assert {e.margining for e in events} == {Margining.INVERSE, Margining.LINEAR}


def test_type_3_closes_a_long_and_type_4_a_short():
    """Type is what the liquidation order closed (OKX v3 order types 3/4; Tardis: "3" -> order side sell)."""
    assert _parse(5)[0].liquidated_side is PositionSide.LONG
    assert _parse(5, _frame(5)[1].replace(b'"type":"3"', b'"type":"4"'))[0].liquidated_side is PositionSide.SHORT


def test_an_unknown_type_is_quarantined_naming_the_field():
    venue, frame = _frame(10)
    spec = venues()[venue]
    out = normalize_record(spec.decode, spec.parse, frame.replace(b'"type":"3"', b'"type":"1"'), RX)
    assert out.quarantined and out.field == "data.type" and out.code == "unknown_value"


def test_a_created_at_without_zone_is_quarantined():
    venue, frame = _frame(11)
    spec = venues()[venue]
    out = normalize_record(spec.decode, spec.parse, frame.replace(b'794Z"', b'794"'), RX)
    assert out.quarantined and out.field == "data.created_at" and out.code == "bad_timestamp"


def test_a_table_of_the_other_okx_venue_is_refused_with_its_home():
    _, swap_frame = _frame(10)
    with pytest.raises(UnexpectedPayload, match="belongs to venue okx_swap") as caught:
        venues()["okx_futures"].parse(venues()["okx_futures"].decode(swap_frame), RX)
    assert caught.value.field == "table"
    _, futures_frame = _frame(5)
    with pytest.raises(UnexpectedPayload, match="belongs to venue okx_futures"):
        venues()["okx_swap"].parse(venues()["okx_swap"].decode(futures_frame), RX)


def test_an_instrument_without_a_contract_value_is_quarantined_never_guessed():
    """APT-USD-SWAP has no bundled contract value: its contracts cannot be priced."""
    with pytest.raises(UnknownInstrument, match="APT-USD-SWAP") as caught:
        _parse(10, _frame(10)[1].replace(b"UNI-USD-SWAP", b"APT-USD-SWAP"))
    assert caught.value.field == "data.instrument_id"


def test_an_empty_v3_frame_and_other_v3_tables_are_skips_not_errors():
    spec = venues()["okx_swap"]
    with pytest.raises(NotALiquidation, match="empty"):
        spec.parse(spec.decode(b'{"table":"swap/liquidation","data":[]}'), RX)
    with pytest.raises(NotALiquidation, match="swap/ticker"):
        spec.parse(spec.decode(b'{"table":"swap/ticker","data":[]}'), RX)
