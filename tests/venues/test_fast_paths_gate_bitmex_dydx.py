"""The twists of three declared fast paths (tests/venues/test_fast_paths.py runs the generic conformance).

- Gate: no side field, the sign of ``size`` is the side; notional = |size| x quanto_multiplier x price.
- BitMEX: the rows carry no time (the event's is the receipt time); the id is the venue's ``orderID``;
  XBTUSD is inverse (1 USD per contract), the USDT contracts linear.
- dYdX: a push mixes trade types (LIMIT trades are no liquidation), DELEVERAGED is kind ADL, and
  ``createdAt`` is an ISO-8601 time, read exactly as ``parse_iso_ns`` reads it.

Every frame is a real fixture, or one of its values changed; each test compares the fast path with the
reference on the same frames, and the taken values with hand-computed ones.
"""

from __future__ import annotations

import calendar
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqscope._identity import digest
from liqscope.events import Source
from liqscope.venues import get_venue
from tests.venues.test_fast_paths import _HYPO, RECV, _assert_same, _both

FIXTURES = Path(__file__).parents[1] / "fixtures/venues"
_GATE = (FIXTURES / "gate_futures/ws_public_liquidates_doc.jsonl").read_bytes().splitlines()[0]
_BITMEX = (FIXTURES / "bitmex/ws_liquidation.jsonl").read_bytes().splitlines()[0]
_DYDX = (FIXTURES / "dydx_v4/ws_v4_trades.jsonl").read_bytes().splitlines()[0]


def _taken(venue: str, raws: list[bytes], recv: list[int] | None = None) -> tuple[list[int], list[dict[str, object]]]:
    """(the records handed back, the fast rows), after checking the fast path equals the reference on them."""
    recv = recv or [RECV + i for i in range(len(raws))]
    _assert_same(*_both(venue, raws, recv))  # type: ignore[arg-type]
    part = get_venue(venue).parse_batch(raws, recv, [f"ref:{i}" for i in range(len(raws))], Source.WS)  # type: ignore[misc]
    return list(part.fallback), part.table.to_pylist() if part.table is not None else []


def _edit(raw: bytes, old: str, new: str) -> bytes:
    assert old.encode() in raw
    return raw.replace(old.encode(), new.encode(), 1)


# ---- Gate: the side is the sign of size ----------------------------------------------------------------------

def test_gate_real_update_is_taken_side_from_the_sign_notional_contracts_times_multiplier_times_price() -> None:
    buy = _edit(_GATE, '"size":"-124"', '"size":"124"')
    fallback, rows = _taken("gate_futures", [_GATE, buy])
    assert fallback == []
    # -124 = a sell order = a LONG closed; 124 BTC_USDT contracts of 0.0001 BTC at 215.1: 2.66724 USDT.
    assert [(r["liquidated_side"], r["venue_side"], r["quantity"], r["notional_usd"]) for r in rows] == [
        ("LONG", "sell", Decimal(124), Decimal("2.66724")), ("SHORT", "buy", Decimal(124), Decimal("2.66724"))]
    # The id digests the SIGNED size as the reference does.
    assert rows[0]["event_id"] == f"gate_futures:BTC_USDT:1541486601123:{digest(Decimal('-124'), Decimal('215.1'))}"
    assert rows[1]["event_id"] == f"gate_futures:BTC_USDT:1541486601123:{digest(Decimal('124'), Decimal('215.1'))}"
    assert [r["ts_event"] for r in rows] == [1_541_486_601_123_000_000] * 2


@pytest.mark.parametrize("size", ['-124', '"-0"', '"0"', '"--124"', '"+124"', '"-0.0000001"', '"-00.5"', '"-1e2"'])
def test_gate_sizes_the_fast_path_is_unsure_of_go_down_the_reference_path(size: str) -> None:
    # An integer size (Gate's default without the decimal header), a zero, a plus sign, exponents: handed back.
    fallback, rows = _taken("gate_futures", [_edit(_GATE, '"size":"-124"', f'"size":{size}')])
    assert (fallback, rows) == ([0], [])


_GATE_SIZES = ["-124", "124", "-0.5", "0.5", "-1", "-999999", "-0", "0", "-0.0000001", "-0.000001", "1.000"]


_GATE_ORDER = st.tuples(st.sampled_from(_GATE_SIZES), st.sampled_from(["215.1", "0.10", "1e2", "100000000.1", "3"]),
                        st.sampled_from(["BTC_USDT", "ETH_USDT", "ADA_USDT", "BTC_USD", ""]))


@_HYPO
@given(st.lists(_GATE_ORDER, min_size=1, max_size=4), st.booleans())
def test_hypothesis_gate_orders_fast_path_equals_reference(orders: list[tuple[str, str, str]], quoted: bool) -> None:
    result = ",".join(f'{{"price":{p},"size":{json.dumps(s) if quoted else s},"time_ms":1541486601123,'
                      f'"contract":"{c}"}}' for s, p, c in orders)
    _assert_same(*_both("gate_futures", [_edit(_GATE, _GATE.decode().split('"result":')[1][:-1], f"[{result}]")]))


# ---- BitMEX: the receipt time is the event time; the id is the orderID ---------------------------------------

def test_bitmex_real_insert_is_taken_at_its_receipt_time_inverse_notional_is_the_contracts() -> None:
    partial = _edit(_BITMEX, '"action":"insert"', '"action":"partial"')
    recv = [1_559_347_228_619_000_000, 1_559_347_300_000_000_001]
    fallback, rows = _taken("bitmex", [_BITMEX, partial], recv)
    assert fallback == []
    assert [r["ts_event"] for r in rows] == recv  # each frame's own receipt time
    # XBTUSD: 9214 contracts of 1 USD each, whatever the price; Buy = a SHORT closed.
    assert [(r["notional_usd"], r["liquidated_side"], r["margining"]) for r in rows] == [
        (Decimal(9214), "SHORT", "inverse")] * 2
    assert {r["event_id"] for r in rows} == {"bitmex:dd9cea25-207c-0dab-15b5-b88da776f500"}


def test_bitmex_linear_notional_is_contracts_times_size_times_price() -> None:
    linear = _edit(_edit(_BITMEX, '"symbol":"XBTUSD"', '"symbol":"ETHUSDT"'), '"side":"Buy"', '"side":"Sell"')
    linear = _edit(_edit(linear, '"price":10106', '"price":1850.25'), '"leavesQty":9214', '"leavesQty":30000')
    fallback, rows = _taken("bitmex", [linear])
    assert fallback == []
    # 30000 contracts of 0.00001 ETH at 1850.25 USDT = 555.075.
    assert [(r["notional_usd"], r["liquidated_side"], r["margining"]) for r in rows] == [
        (Decimal("555.075"), "LONG", "linear")]


@pytest.mark.parametrize(("old", "new"), [
    ('"orderID":"dd9cea25', '"orderID":"dd9 cea25'),    # a space: LiquidationEvent refuses the id
    ('"orderID":"dd9cea25', '"orderID":"dd9\u00e9cea25'),  # not ASCII: printable or not, the reference decides
    ('"orderID":"dd9cea25', '"orderID":"' + "x" * 300),  # longer than an event id may be
    ('"symbol":"XBTUSD"', '"symbol":"ETHUSD"'),          # quanto: not in instruments.json
    ('"price":10106', '"price":"10106"'),                # a string price: decoded alike, not this template
    ('"leavesQty":9214', '"leavesQty":9.214e3'),
    ('"action":"insert"', '"action":"update"'),
])
def test_bitmex_rows_the_fast_path_is_unsure_of_go_down_the_reference_path(old: str, new: str) -> None:
    fallback, rows = _taken("bitmex", [_edit(_BITMEX, old, new)])
    assert (fallback, rows) == ([0], [])


def test_bitmex_non_int_receipt_times_go_down_the_reference_path() -> None:
    _assert_same(*_both("bitmex", [_BITMEX, _BITMEX], [RECV, float(RECV)]))  # type: ignore[list-item]


# ---- dYdX: mixed trade types, kinds, ISO times --------------------------------------------------------------

def _dydx(*trades: dict[str, str]) -> bytes:
    frame = json.loads(_DYDX)
    frame["contents"]["trades"] = list(trades)
    return json.dumps(frame, separators=(",", ":")).encode()


_TRADES = json.loads(_DYDX)["contents"]["trades"]
_LIMIT, _LIQUIDATED = _TRADES


def test_dydx_real_push_gives_the_liquidated_trade_only() -> None:
    fallback, rows = _taken("dydx_v4", [_DYDX])
    assert fallback == []
    # SELL taker = a LONG closed; 3.9 x 22.87 = 89.193 USD; 2024-08-04T07:34:50.628Z.
    assert [(r["event_id"], r["liquidated_side"], r["notional_usd"], r["ts_event"], r["liquidation_kind"])
            for r in rows] == [("dydx_v4:BTC-USD:014f495a0000000200000005", "LONG", Decimal("89.193"),
                                1_722_756_890_628_000_000, "market")]


def test_dydx_deleveraged_is_adl_limit_only_is_a_proven_skip_unknown_type_goes_down_the_reference_path() -> None:
    adl = {**_LIQUIDATED, "id": "adl-1", "type": "DELEVERAGED", "side": "BUY"}
    raws = [_dydx(_LIMIT), _dydx(_LIQUIDATED, _LIMIT, adl), _dydx({**_LIQUIDATED, "type": "MARKET"}),
            _dydx(_LIMIT, {**_LIMIT, "id": "2", "side": "SIDEWAYS"})]
    fallback, rows = _taken("dydx_v4", raws)
    assert fallback == [2]  # an unknown type: the reference quarantines it
    assert [(r["event_id"], r["liquidation_kind"], r["liquidated_side"]) for r in rows] == [
        ("dydx_v4:BTC-USD:014f495a0000000200000005", "market", "LONG"), ("dydx_v4:BTC-USD:adl-1", "adl", "SHORT")]
    # LIMIT trades only: the reference's NotALiquidation, word for word (it reads no side of a LIMIT trade).
    part = get_venue("dydx_v4").parse_batch(raws, [RECV] * 4, ["r"] * 4, Source.WS)  # type: ignore[misc]
    assert part.skipped == {0: "1 trade(s) on BTC-USD, none liquidated", 3: "2 trade(s) on BTC-USD, none liquidated"}


def test_dydx_limit_trades_times_are_not_read_as_the_reference_does_not_read_them() -> None:
    # The reference skips a LIMIT trade before reading its createdAt: a LIMIT trade with no real date (Feb 30,
    # 1999) beside a liquidation is taken all the same, by both paths, giving the liquidation's row only.
    bad_limit = {**_LIMIT, "createdAt": "2024-02-30T00:00:00.000Z"}
    old_limit = {**_LIMIT, "createdAt": "1999-01-01T00:00:00.000Z"}
    fallback, rows = _taken("dydx_v4", [_dydx(bad_limit, _LIQUIDATED), _dydx(_LIQUIDATED, old_limit)])
    assert fallback == []
    assert [(r["event_id"], r["ts_event"]) for r in rows] == [
        ("dydx_v4:BTC-USD:014f495a0000000200000005", 1_722_756_890_628_000_000)] * 2
    # The liquidated trade's own bad time is still read, and refused: that record goes down the reference path.
    fallback, rows = _taken("dydx_v4", [_dydx(_LIMIT, {**_LIQUIDATED, "createdAt": "2024-02-30T00:00:00.000Z"})])
    assert (fallback, rows) == ([0], [])


def _iso(year: int, month: int, day: int, hour: int, minute: int, second: int, fraction: str, zone: str) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"


_FRACTIONS = ["", ".", ".6", ".62", ".628", ".6281", ".62812", ".628123", ".6281234", ".628123456", ".0000000001", ",5"]
# Mostly real times (every day of every month, so February 29-31 too), and the odd forms around them.
_ISO = st.one_of(
    st.builds(_iso, st.integers(2009, 2099), st.integers(1, 12), st.integers(1, 31), st.integers(0, 23),
              st.integers(0, 59), st.integers(0, 59), st.sampled_from(_FRACTIONS[:8]), st.just("Z")),
    st.builds(_iso, st.sampled_from([2008, 2009, 2024, 2023, 2099, 2100, 2101, 1970, 0]), st.integers(0, 13),
              st.sampled_from([0, 1, 2, 3, 28, 29, 30, 31, 32]), st.sampled_from([0, 7, 23, 24]),
              st.sampled_from([0, 34, 59, 60]), st.sampled_from([0, 50, 59, 60, 61]), st.sampled_from(_FRACTIONS),
              st.sampled_from(["Z", "z", "+00:00", "", "+01:00", "Z "])))


@_HYPO
@given(st.lists(_ISO, min_size=1, max_size=6))
def test_hypothesis_dydx_iso_times_fast_path_equals_reference(stamps: list[str]) -> None:
    """Real dates and impossible ones, every fraction length, other zones: taken exactly as parse_iso_ns reads them."""
    raws = [_dydx(_LIMIT, {**_LIQUIDATED, "createdAt": stamp}) for stamp in stamps]
    fallback, rows = _taken("dydx_v4", raws)
    for i, row in zip(sorted(set(range(len(raws))) - set(fallback)), rows, strict=True):
        # Hand arithmetic for each stamp taken: whole seconds from the calendar, the fraction padded to ns.
        stamp = stamps[i]
        whole = calendar.timegm((int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                                 int(stamp[14:16]), int(stamp[17:19])))
        assert row["ts_event"] == whole * 1_000_000_000 + int(stamp[20:-1].ljust(9, "0") or 0)


@pytest.mark.parametrize(("stamp", "ns"), [
    ("2024-02-29T23:59:59.999999Z", 1_709_251_199_999_999_000),  # a leap day, 6 digits
    ("2009-01-03T00:00:00Z", 1_230_940_800_000_000_000),         # the first instant parse_iso_ns takes
    ("2099-12-31T23:59:59.5Z", 4_102_444_799_500_000_000),
])
def test_dydx_iso_times_at_the_edges_are_taken_to_the_ns(stamp: str, ns: int) -> None:
    fallback, rows = _taken("dydx_v4", [_dydx({**_LIQUIDATED, "createdAt": stamp})])
    assert fallback == [] and [r["ts_event"] for r in rows] == [ns]


@pytest.mark.parametrize("stamp", ["2009-01-02T23:59:59.999Z", "2023-02-29T00:00:00Z", "2024-08-04T24:00:00Z",
                                   "2024-08-04T07:34:60Z", "2100-01-01T00:00:00Z", "2024-08-04T07:34:50.6281234Z",
                                   "2024-08-04 07:34:50Z", "2024-08-04T07:34:50.628z", "2024-08-04T07:34:50+00:00"])
def test_dydx_iso_times_the_fast_path_does_not_prove_go_down_the_reference_path(stamp: str) -> None:
    fallback, rows = _taken("dydx_v4", [_dydx({**_LIQUIDATED, "createdAt": stamp})])
    assert (fallback, rows) == ([0], [])


# ---- the new mapping keys are parsed strictly -----------------------------------------------------------------

_SRC = Path(__file__).parents[2] / "src/liqscope/venues"


@pytest.mark.parametrize(("venue", "edit", "message"), [
    ("gate_futures", ('"<sdec:size>"', '"<dec:size>"'), "side.sign needs side.field 'size' to be an <sdec"),
    ("gate_futures", ('sign = { negative = "sell", positive = "buy" }, ', ""), "read only as the side's sign"),
    ("gate_futures", ('negative = "sell"', 'minus = "sell"'), "unknown field `minus`"),
    ("bitmex", ('ts_unit = "ns"', 'ts_unit = "ms"'), 'ts_unit must be "ns"'),
    ("dydx_v4", ('ts_unit = "ns"', 'ts_unit = "ms"'), 'ts_unit must be "ns"'),
    ("dydx_v4", ('ts_event = "createdAt"', 'ts_event = "price"'), "<iso:...> field is read only as mapping.ts_event"),
    ("dydx_v4", ('price_kind = "average_fill"', 'price_kind = "average_fill"\nliquidation_kind = "market"'),
     "both mapping.kind and a constant"),
    ("dydx_v4", ('"type":"<str:type>","createdAt"', '"kind":"<str:type>","createdAt"'), "must hold the same fields"),
    ("dydx_v4", ('skip = ["LIMIT"]', 'skip = ["LIMIT"], also = 1'), "unknown field `also`"),
    ("dydx_v4", ("on {market}", "on {trade_id}"),
     r"kind.reason names \['trade_id'\]; valid: elements, market"),
    ("dydx_v4", ("on {market}", "on {market!r}"), "only plain {name} placeholders"),
    ("dydx_v4", ("on {market}", "on {market"), "kind.reason"),
])
def test_a_broken_new_key_is_an_error_naming_the_file(tmp_path: Path, venue: str, edit: tuple[str, str],
                                                      message: str) -> None:
    from liqscope.venues import _vectorized

    bad = tmp_path / "fast.toml"
    text = (_SRC / venue / "fast.toml").read_text()
    assert edit[0] in text
    bad.write_text(text.replace(*edit))
    with pytest.raises(ValueError, match=message) as e:
        _vectorized.load(bad)
    assert str(bad) in str(e.value)
