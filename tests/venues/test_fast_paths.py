"""Every declared fast path (``VenueSpec.parse_batch``, venues/<id>/fast.toml) equals the reference parser.

For each venue with a fast path: every real fixture of every venue that shares its wire, the venue's
malformed corpus, and Hypothesis frames built from its real bodies give the same rows, counts and outcomes
through ``normalize_batch`` with and without the fast path. tests/test_normalize_batch.py holds the deeper
Binance USD-M suite (real recordings, traps at every bound).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqscope.events import Source
from liqscope.normalize import Batch, normalize_batch
from liqscope.venues import get_venue, venues

FIXTURES = Path(__file__).parents[1] / "fixtures"
RECV = 1_800_000_000_000_000_000
FAST = sorted(v for v, spec in venues().items() if spec.parse_batch is not None)
# Every recorded frame we hold, fed to every fast venue (most go down its reference path): the venues' real
# fixtures, the malformed corpora, and the Tardis corpus messages (one venue's wire is often another's).
_FILES = sorted(p for p in (*(FIXTURES / "venues").rglob("*.jsonl"), *(FIXTURES / "malformed").rglob("*.jsonl"))
                if not p.name.endswith(".expected.jsonl"))
_TARDIS = FIXTURES / "tardis_corpus/liquidation_messages_by_venue.jsonl"


def _ws(venue: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / "venues" / venue).glob("ws_*.jsonl") if p.name.count(".") == 1)


def _tardis_messages() -> list[bytes]:
    return [json.dumps(json.loads(line)["message"], separators=(",", ":")).encode()
            for line in _TARDIS.read_bytes().splitlines()]


_HYPO = settings(max_examples=120, deadline=None, database=None, derandomize=True, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _both(venue: str, raws: list[bytes], ts_recv: list[object] | None = None) -> tuple[Batch, Batch]:
    spec = get_venue(venue)
    n = len(raws)
    args = (spec.decode, spec.parse, raws, ts_recv or [RECV + i for i in range(n)], [f"ref:{i}" for i in range(n)],
            [f"key:{i}" for i in range(n)])
    return (normalize_batch(*args, source=Source.WS, fast=True),  # type: ignore[arg-type]
            normalize_batch(*args, source=Source.WS, fast=False))  # type: ignore[arg-type]


def _assert_same(fast: Batch, slow: Batch) -> None:
    assert fast.table.schema == slow.table.schema
    for name in slow.table.column_names:
        assert fast.table[name].to_pylist() == slow.table[name].to_pylist(), name
    assert fast.counts == slow.counts
    assert fast.outcomes == slow.outcomes


def test_the_fast_venues() -> None:
    assert FAST == ["binance_coinm", "binance_usdm", "bitget_futures", "bitmex", "bybit_linear", "deribit", "dydx_v4",
                    "gate_futures", "kraken_futures"]


@pytest.mark.parametrize("venue", FAST)
@pytest.mark.parametrize("path", _FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_path_equals_the_reference_on_every_fixture(venue: str, path: Path) -> None:
    _assert_same(*_both(venue, path.read_bytes().splitlines()))


@pytest.mark.parametrize("venue", FAST)
def test_fast_path_equals_the_reference_on_the_tardis_corpus(venue: str) -> None:
    _assert_same(*_both(venue, _tardis_messages()))


@pytest.mark.parametrize("venue", FAST)
def test_every_fast_venue_takes_its_own_real_frames(venue: str) -> None:
    """A fast path that takes nothing would pass every equality: each must take the venue's real pushes."""
    raws = [r for p in _ws(venue) for r in p.read_bytes().splitlines()]
    part = get_venue(venue).parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws), Source.WS)  # type: ignore[misc]
    assert part.table is not None and part.table.num_rows > 0


# ---- Hypothesis, every fast venue: its real frames, mutated anywhere in their JSON ---------------------------

_ODD = ["0", "1E-7", "0.0000001", "00.5", "1e3", "-1", "12345678901234567890", "0.1234567890123456789",
        "99999999.9", "100000000.1", "3", "0.5", "", " 1", "1.", "NaN"]


def _own_frames(venue: str) -> list[object]:
    raws = [r for p in _ws(venue) for r in p.read_bytes().splitlines()]
    spec = get_venue(venue)
    out = []
    for raw in raws:
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if normalize_batch(spec.decode, spec.parse, [raw], [RECV], ["r"], ["k"], source=Source.WS,
                           fast=False).table.num_rows:
            out.append(value)
    return out


def _objects(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    # The paths of every object and array in a JSON value.
    found = [path] if isinstance(node, dict | list) else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _objects(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _objects(v, (*path, i))
    return found


def _render(node: object, fault: str, target: tuple[object, ...], draw: st.DrawFn, path: tuple[object, ...] = ()
            ) -> str:
    """JSON text of ``node`` with one fault applied to the container at ``target``."""
    if isinstance(node, list):
        items = [_render(v, fault, target, draw, (*path, i)) for i, v in enumerate(node)]
        if path == target and fault in ("drop", "repeat", "order") and items:
            if fault == "drop":
                items.pop(draw(st.integers(0, len(items) - 1)))
            elif fault == "repeat":
                items.insert(draw(st.integers(0, len(items))), draw(st.sampled_from(items)))
            else:
                items = draw(st.permutations(items))
        return "[" + ",".join(items) + "]"
    if not isinstance(node, dict):
        return json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    pairs = [(k, _render(v, fault, target, draw, (*path, k))) for k, v in node.items()]
    if path == target and pairs:
        i = draw(st.integers(0, len(pairs) - 1))
        if fault == "value":
            pairs[i] = (pairs[i][0], draw(st.sampled_from(['"Buy"', '"sell"', '"LONG"', '"SWAP"', '"FUTURES"',
                                                           '"BTCUSD"', '"ETH-USD-SWAP"', "null", "{}", "[]", "1",
                                                           "0", "-5", "1.5", '"x"', '"1692266434010"'])))
        elif fault == "decimal":
            pairs[i] = (pairs[i][0], json.dumps(draw(st.sampled_from(_ODD))))
        elif fault == "drop":
            pairs.pop(i)
        elif fault == "repeat":
            pairs.insert(draw(st.integers(0, len(pairs))), draw(st.sampled_from(pairs)))
        elif fault == "order":
            pairs = draw(st.permutations(pairs))
        elif fault == "escape":
            pairs[i] = (pairs[i][0], pairs[i][1].replace("A", "\\u0041", 1).replace("1", "\\u0031", 1))
        elif fault == "space":
            pairs[i] = (pairs[i][0], " " + pairs[i][1])
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


_GENERIC_FAULTS = ["none"] * 4 + ["value", "decimal", "drop", "repeat", "order", "escape", "space"]


@st.composite
def _mutated(draw: st.DrawFn, frames: list[object]) -> bytes:
    frame = draw(st.sampled_from(frames))
    fault = draw(st.sampled_from(_GENERIC_FAULTS))
    target = draw(st.sampled_from(_objects(frame)))
    return _render(frame, fault, target, draw).encode()


@pytest.mark.parametrize("venue", FAST)
def test_hypothesis_mutated_real_frames_fast_path_equals_reference(venue: str) -> None:
    frames = _own_frames(venue)
    assert frames, f"{venue} has no real ws_*.jsonl frame the reference accepts"

    @_HYPO
    @given(st.lists(_mutated(frames), min_size=1, max_size=12))
    def check(raws: list[bytes]) -> None:
        _assert_same(*_both(venue, raws))

    check()


def test_real_coin_m_frames_are_taken_with_notional_contracts_times_face_value() -> None:
    """COIN-M BTC contracts are $100 each (instruments.json): notional = z × 100, whatever the price."""
    raws = [r for p in _ws("binance_coinm") for r in p.read_bytes().splitlines()]
    part = get_venue("binance_coinm").parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws),  # type: ignore[misc]
                                                  Source.WS)
    assert list(part.fallback) == [] and part.table is not None
    bodies = [f.get("data", f)["o"] for f in map(json.loads, raws)]
    assert part.table["notional_usd"].to_pylist() == [Decimal(o["z"]) * 100 for o in bodies]
    assert part.table["margining"].to_pylist() == ["inverse"] * len(raws)


# ---- Hypothesis: real COIN-M bodies, mutated where the fast path has to decide --------------------------

_COINM = [json.loads(r) for p in _ws("binance_coinm") for r in p.read_bytes().splitlines()]
_BODIES = [f.get("data", f)["o"] for f in _COINM]
_FAULTS = ["none"] * 4 + ["decimal", "symbol", "pair", "side", "time", "json_number", "drop", "repeat", "order"]
_DECIMALS = ["0", "1E-7", "0.0000001", "00.5", "1e3", "-1", "12345678901234567890", "0.1234567890123456789",
             "99999999.9", "100000000.1", "3", "0.5"]


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    fault = draw(st.sampled_from(_FAULTS))
    body: dict[str, object] = dict(draw(st.sampled_from(_BODIES)))
    if fault == "decimal":
        body[draw(st.sampled_from(["q", "p", "ap", "l", "z"]))] = draw(st.sampled_from(_DECIMALS))
    elif fault == "symbol":
        body["s"] = draw(st.sampled_from(["BTCUSD_PERP", "ETHUSD_PERP", "BTCUSDT", "BTCUSD_2412", "XYZUSD_PERP", ""]))
    elif fault == "pair":
        body["ps"] = draw(st.sampled_from(["ETHUSD", "", "BTCUSDT"]))
    elif fault == "side":
        body["S"] = draw(st.sampled_from(["buy", "LONG", ""]))
    elif fault == "time":
        body["T"] = draw(st.sampled_from([0, 2**63, int(body["T"]) * 1000, str(body["T"])]))  # type: ignore[call-overload]
    pairs = [(k, json.dumps(v, ensure_ascii=False)) for k, v in body.items()]
    if fault == "json_number":
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = (pairs[i][0], draw(st.sampled_from(["1", "null", "{}"])))
    elif fault == "drop":
        pairs.pop(draw(st.integers(0, len(pairs) - 1)))
    elif fault == "repeat":
        pairs.insert(draw(st.integers(0, len(pairs))), draw(st.sampled_from(pairs)))
    elif fault == "order":
        pairs = draw(st.permutations(pairs))
    inner = "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"
    event = f'{{"e":"forceOrder","E":1594622954023,"o":{inner}}}'
    if draw(st.booleans()):
        return f'{{"stream":"btcusd_perp@forceOrder","data":{event}}}'.encode()
    return event.encode()


@_HYPO
@given(st.lists(_frame(), min_size=1, max_size=20))
def test_hypothesis_coin_m_frames_fast_path_equals_reference(raws: list[bytes]) -> None:
    _assert_same(*_both("binance_coinm", raws))


# ---- the mapping files are our own config: parsed strictly ----------------------------------------------

_USDM = Path(__file__).parents[2] / "src/liqscope/venues/binance_usdm/fast.toml"


@pytest.mark.parametrize(("edit", "message"), [
    (('price = "ap"', 'price = "avg"'), "names no field \\['avg'\\]"),
    (('price = "ap"', 'price = "ap"\nprise = "ap"'), "unknown field `prise`"),
    (('"ap":"<dec:ap>"', '"ap":"<float:ap>"'), "names no field"),
    (('"l":"<dec:l>"', '"l":"<dec:z>"'), "field 'z' appears twice"),
])
def test_a_broken_mapping_file_is_an_error_naming_it(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    from liqscope.venues import _vectorized

    bad = tmp_path / "fast.toml"
    bad.write_text(_USDM.read_text().replace(*edit))
    with pytest.raises(ValueError, match=message) as e:
        _vectorized.load(bad)
    assert str(bad) in str(e.value)
