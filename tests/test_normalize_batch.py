"""normalize_batch: the columnar fast path gives exactly the per-record path's rows, counts and outcomes.

Real Binance USD-M recordings and fixtures, then Hypothesis frames built from real bodies with the
mutations that matter to the fast path (odd decimals, symbols, times, shapes, extra / repeated keys).
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liqscope.events import Source
from liqscope.normalize import Batch, _duplicate_key, _duplicate_key_exact
from liqscope.venues import get_venue
from liqscope.venues.binance_usdm import batch as binance_batch
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN
from tests.venues import _frames

SPEC = get_venue("binance_usdm")
FIXTURES = Path(__file__).parent / "fixtures"
REAL = [BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN,
        FIXTURES / "venues/binance_usdm/ws_force_order.jsonl",
        FIXTURES / "venues/binance_usdm/ws_force_order_combined.jsonl",
        FIXTURES / "malformed/binance_usdm/frames.jsonl",
        FIXTURES / "malformed/binance_usdm/ws_non_ascii_symbol.jsonl"]
RECV = 1_800_000_000_000_000_000
_HYPO = settings(max_examples=150, deadline=None, database=None, derandomize=True, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.splitlines()


def _both(raws: list[bytes], ts_recv: list[object] | None = None) -> tuple[Batch, Batch]:
    return _frames.both("binance_usdm", raws, ts_recv, recv=RECV)


_assert_same = _frames.assert_same


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_binance_frames_fast_path_equals_per_record_path(path: Path) -> None:
    _assert_same(*_both(_lines(path)))


@pytest.mark.parametrize(("path", "longs", "shorts", "usd"), [
    (BINANCE_0817, 156, 300, 442_311), (BINANCE_0818, 95, 290, 472_964), (BINANCE_RIFTFERN, 880, 1_165, 2_051_029)])
def test_real_recordings_are_all_taken_by_the_fast_path_with_provenance_figures(path: Path, longs: int, shorts: int,
                                                                                 usd: int) -> None:
    """Every real frame goes columnar, and the rows add up to the figures in demo_data/PROVENANCE.md."""
    raws = _lines(path)
    part = binance_batch.parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws), Source.WS)
    assert list(part.fallback) == [] and part.rows.to_pylist() == list(range(len(raws)))
    table = part.table
    sides = table["liquidated_side"].to_pylist()
    assert (sides.count("LONG"), sides.count("SHORT")) == (longs, shorts)
    assert round(sum(table["notional_usd"].to_pylist())) == usd
    # ... and each notional is z × ap of its raw frame, computed here from stdlib json and Decimal.
    by_hand = [Decimal(o["z"]) * Decimal(o["ap"]) for o in (json.loads(r)["o"] for r in raws)]
    assert table["notional_usd"].to_pylist() == by_hand


def test_mixed_batch_keeps_record_order_between_fast_and_per_record_rows() -> None:
    """Real frames, acks and broken frames interleaved: rows stay in record order, outcomes by index."""
    good = _lines(FIXTURES / "venues/binance_usdm/ws_force_order.jsonl")[:4]
    raws = [good[0], b'{"result":null,"id":1}', good[1], good[2][:-1], good[3].replace(b'"T":', b'"T":"'),
            good[0].replace(b'"S":"BUY"', b'"S":"BUY","S":"SELL"'), good[1]]
    fast, slow = _both(raws)
    _assert_same(fast, slow)
    assert fast.counts == [1, 0, 1, 0, 0, 0, 1]
    assert fast.table["record_key"].to_pylist() == ["key:0", "key:2", "key:6"]
    assert fast.outcomes[1].skipped and fast.outcomes[3].error.startswith("DecodeError")  # type: ignore[union-attr]
    assert fast.outcomes[5].field == "S"


def test_fast_event_id_is_the_parsers_identity() -> None:
    raw = _lines(FIXTURES / "venues/binance_usdm/ws_force_order_combined.jsonl")[0]
    part = binance_batch.parse_batch([raw], [RECV], ["r"], Source.WS)
    body = SPEC.decode(raw).data.o
    from liqscope.venues.binance_usdm.parse import identity

    assert part.table["event_id"].to_pylist() == [identity("binance_usdm", body)]
    assert pc.sum(part.table["quantity"]).as_py() == Decimal("0.014")


# ---- Hypothesis: real bodies, mutated where the fast path has to decide --------------------------------

_REAL_FRAMES = [json.loads(r) for p in REAL[3:5] for r in _lines(p)]
_BODIES = [f["data"]["o"] if "data" in f else f["o"] for f in _REAL_FRAMES]
_ODD_DECIMALS = ["0", "0.0", "-1", "1E-7", "0.0000001", "0.000001", "0.00000100", "1e3", "00.5", " 1", "NaN",
                 "Infinity", "1_000", "12345678901234567890", "9999999999999999999.5", "0.1234567890123456789",
                 "1.000000000000000000", "99999999.9", "100000000.1", "0.00000000001", "5E+2", "٣", ""]
_SYMBOLS = ["BTCUSDT", "1000PEPEUSDT", "BTCUSDT_250328", "BTCUSD_PERP", "ETHBTC", "", "A BUSDT", "X" * 70 + "USDT",
            "币安人生USDT", "kPEPEUSDT", "BTC\u0000USDT", "USDT"]
_decimal = st.one_of(st.sampled_from([v for b in _BODIES for k, v in b.items() if k in "qpaplz"]),
                     st.sampled_from(_ODD_DECIMALS), st.from_regex(r"\A[0-9]{1,21}(\.[0-9]{1,20})?\Z"),
                     st.decimals(allow_nan=False, allow_infinity=False).map(str))


def _text(value: object, *, escape: bool = False) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text.replace(":", "\\u003a") if escape and isinstance(value, str) else text


def _render(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


_FAULTS = ["none"] * 6 + ["decimal", "decimal", "decimal", "scale", "scale", "symbol", "symbol", "side", "time", "time",
                           "json_number", "ps", "repeat", "note", "drop", "colon", "e", "E", "event_repeat",
                           "event_drop", "control", "both", "pad", "swallow"]


def _scaled(text: object, exponent: int) -> str:
    return format(Decimal(str(text)).scaleb(exponent), "f")


@st.composite
def _frame(draw: st.DrawFn) -> list[bytes]:
    """A real body, wrapped or not, with at most one fault (so single faults reach the fast path alone)."""
    fault = draw(st.sampled_from(_FAULTS))
    body: dict[str, object] = dict(draw(st.sampled_from(_BODIES)))
    if fault == "decimal":
        body[draw(st.sampled_from(["q", "p", "ap", "l", "z"]))] = draw(_decimal)
    elif fault == "scale":  # prices and quantity moved together across the sanity and lake bounds
        price_shift, quantity_shift = draw(st.integers(-14, 12)), draw(st.integers(-14, 14))
        body.update(p=_scaled(body["p"], price_shift), ap=_scaled(body["ap"], price_shift),
                    z=_scaled(body["z"], quantity_shift), q=_scaled(body["q"], quantity_shift),
                    l=_scaled(body["l"], draw(st.sampled_from([0, quantity_shift, -7]))))
    elif fault == "symbol":
        body["s"] = draw(st.sampled_from(_SYMBOLS))
    elif fault == "side":
        body["S"] = draw(st.sampled_from(["buy", "", "SELL ", "LONG"]))
    elif fault == "time":
        t = int(body["T"])  # type: ignore[call-overload]
        body["T"] = draw(st.sampled_from([t * 1000, t // 1000, -t, 2**64, 2**63 - 1, 0, 4_102_444_799_999,
                                          4_102_444_800_000, 1_230_768_000_000, 1_230_767_999_999, str(t), t + 0.5]))
    pairs = [(k, _text(v)) for k, v in body.items()]
    if fault == "json_number":  # a number as a JSON number (or another type), not a string
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = (pairs[i][0], draw(st.sampled_from(["1", "0.5", "1e3", "null", "true", "[]", "{}"])))
    elif fault == "ps":
        pairs.append(("ps", '"BTCUSD"'))
    elif fault == "repeat":  # a repeated key, same or other value
        k, v = draw(st.sampled_from(pairs))
        pairs.insert(draw(st.integers(0, len(pairs))), (k, draw(st.sampled_from([v, '"x"', "1"]))))
    elif fault == "note":
        pairs.append(("note", _text(draw(st.sampled_from(["a:b", "plain", ":"])), escape=draw(st.booleans()))))
    elif fault == "drop":
        pairs.pop(draw(st.integers(0, len(pairs) - 1)))
    elif fault == "colon":  # a colon inside a string value the fast path reads
        i = draw(st.sampled_from([i for i, (k, _) in enumerate(pairs) if k in ("o", "f", "X")]))
        pairs[i] = (pairs[i][0], _text("FILL:ED", escape=draw(st.booleans())))
    event = [("e", '"forceOrder"'), ("E", "1766845883281"), ("o", _render(pairs))]
    if fault == "e":
        event[0] = ("e", draw(st.sampled_from(['"other"', '"FORCEORDER"', "null", "1"])))
    elif fault == "E":
        event[1] = ("E", draw(st.sampled_from(["null", '"1"', "1.5", str(2**64)])))
    elif fault == "event_repeat":
        event.insert(draw(st.integers(0, 3)), draw(st.sampled_from(event)))
    elif fault == "event_drop":
        event.pop(draw(st.integers(0, 2)))
    stream = ("stream", _text(draw(st.sampled_from(["btcusdt@forceOrder", "a:b", "!forceOrder@arr"]))))
    if fault == "control":
        text = draw(st.sampled_from(['{"result":null,"id":1}', '{"stream":"x@forceOrder"}', "[]", "{", "",
                                     '{"e":"forceOrder"}', '{"a":[1', "2]}"]))
    elif fault == "both":
        text = _render([stream, ("data", _render(event)), *event])
    elif draw(st.booleans()):
        text = _render([stream, ("data", _render(event))])
    else:
        text = _render(event)
    if fault == "pad":
        text = draw(st.sampled_from([" ", "\r", "\n", "\t"])) + text + draw(st.sampled_from(["", " ", "\r\n"]))
    if fault == "swallow":  # a broken record that, joined to the next with a comma, would eat its start
        return [b'{"x":[{}', b"{}]}," + text.encode()]
    return [text.encode()]


_RECV_TIMES = st.sampled_from([RECV] * 12 + [0, True, 4_102_444_800_000_000_000, 2**63, 1.8e18,
                                             1_230_768_000_000_000_000, 4_102_444_799_999_999_999])


_REAL_TEXT = _lines(REAL[3])[0].decode()
_TRAPS = [_REAL_TEXT.replace('"q":"4500.0"', '"q":"0.0000001"'),  # str(Decimal) is "1E-7": id must hash that
          _REAL_TEXT.replace('"l":"1032.0"', '"l":"00.50"'),
          _REAL_TEXT.replace('"p":"0.2139000","ap":"0.2108477"', '"p":"99999999","ap":"100000000.1"')
                    .replace('"z":"4500.0"', '"z":"0.001"'),  # fill price above $1E+8 per unit, the rest fine
          _REAL_TEXT.replace('"ap":"0.2108477"', '"ap":"0.10695"'),  # fill / order price exactly 1/2
          _REAL_TEXT.replace('"T":1766845883281', '"T":1766845883281000'),
          # z × ap just above $1E+10 while z × p is exactly on it, and the reverse
          _REAL_TEXT.replace('"p":"0.2139000","ap":"0.2108477"', '"p":"100","ap":"100.5"').replace('"z":"4500.0"',
                                                                                              '"z":"100000000"'),
          _REAL_TEXT.replace('"p":"0.2139000","ap":"0.2108477"', '"p":"100.5","ap":"100"').replace('"z":"4500.0"',
                                                                                              '"z":"100000000"'),
          # a rounding tie at the 19th decimal: the lake rounds half to even (1.000000000000000000)
          _REAL_TEXT.replace('"p":"0.2139000","ap":"0.2108477"', '"p":"2.1","ap":"2.000000000000000001"')
                    .replace('"z":"4500.0"', '"z":"0.5"')]


@_HYPO
@given(st.lists(st.tuples(_frame(), _RECV_TIMES), min_size=1, max_size=30))
@example([([b'{"x":[{}', b"{}]}," + _REAL_TEXT.encode()], RECV)])
@example([([t.encode()], RECV) for t in _TRAPS])
def test_hypothesis_frames_fast_path_equals_per_record_path(frames: list[tuple[list[bytes], object]]) -> None:
    raws = [raw for group, _ in frames for raw in group]
    _assert_same(*_both(raws, [t for group, t in frames for _ in group]))


# ---- the duplicate-key screen is exact --------------------------------------------------------------

_KEY = st.sampled_from(["a", "b", "a:b", ":", "é"])
_LEAF = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.booleans(), st.none(),
                  st.text(alphabet="ab:\\\"é\u2028", max_size=4))


def _json(value: object, escape: bool) -> str:
    if isinstance(value, list) and value and isinstance(value[0], tuple):  # an object, pairs kept (repeats too)
        return "{" + ",".join(f"{_text(k, escape=escape)}:{_json(v, escape)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v, escape) for v in value) + "]"
    return _text(value, escape=escape)


_VALUE = st.recursive(_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.lists(st.tuples(_KEY, inner), min_size=1, max_size=4)),
                      max_leaves=12)


@_HYPO
@given(_VALUE, st.booleans())
@example([("a", 1), ("a", 2)], False)
@example([("a", "x:y"), ("a", 1)], False)
@example([("a", [("b", ":")]), ("b", [("a", 1), ("a", 2)])], True)
@example([(":", 1), (":", 2)], True)
def test_duplicate_key_screen_agrees_with_the_stdlib_check(value: object, escape: bool) -> None:
    raw = _json(value, escape).encode()
    assert _duplicate_key(raw) == _duplicate_key_exact(raw)


def test_duplicate_key_screen_names_the_key() -> None:
    assert _duplicate_key(b'{"o":{"s":"X","s":"Y"}}') == "s"
    assert _duplicate_key(b'{"o":{"s":"X:Y"}}') is None
    assert _duplicate_key(b'{"s":"\\u003a","s":1}') == "s"


def test_a_batch_split_across_threads_equals_the_per_record_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big batches run in parts on threads: the rows, their order and the fallbacks are the same as in one part."""
    from liqscope.venues import _vectorized

    raws = _lines(BINANCE_RIFTFERN)
    raws = [*raws[:700], b"not json", b'{"e":"forceOrder"}', *raws[700:]]
    whole = _both(raws)
    monkeypatch.setattr(_vectorized, "_MIN_PART", 97)  # about 30 parts over 2,047 records
    monkeypatch.setattr(_vectorized, "_CHUNK", 97)
    split = _both(raws)
    _assert_same(*split)
    _assert_same(split[0], whole[0])
    assert split[0].table.num_rows == 2045  # PROVENANCE: the riftfern recording holds 2,045 liquidations
