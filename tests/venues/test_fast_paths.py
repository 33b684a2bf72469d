"""Every declared fast path (``VenueSpec.parse_batch``, venues/<id>/fast.toml) equals the reference parser.

For each venue with a fast path: every real fixture of every venue that shares its wire, the venue's
malformed corpus, and Hypothesis frames built from its real bodies give the same rows, counts and outcomes
through ``normalize_batch`` with and without the fast path. tests/test_normalize_batch.py holds the deeper
Binance USD-M suite (real recordings, traps at every bound).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqscope.events import Source
from liqscope.normalize import normalize_batch
from liqscope.venues import get_venue, venues
from tests._data import HL_BLOCKS
from tests.venues import _frames

FIXTURES = Path(__file__).parents[1] / "fixtures"
RECV = 1_800_000_000_000_000_000
FAST = sorted(v for v, spec in venues().items() if spec.parse_batch is not None)
# Every recorded frame we hold, fed to every fast venue (most go down its reference path): the venues' real
# fixtures, the malformed corpora, and the Tardis corpus messages (one venue's wire is often another's).
_FILES = sorted(p for p in (*(FIXTURES / "venues").rglob("*.jsonl"), *(FIXTURES / "malformed").rglob("*.jsonl"))
                if not p.name.endswith(".expected.jsonl"))
_TARDIS = FIXTURES / "tardis_corpus/liquidation_messages_by_venue.jsonl"


def _ws(venue: str) -> list[Path]:
    # The venue's own real live records: its websocket pushes (a node feed's lines: Hyperliquid's blocks).
    folder = FIXTURES / "venues" / venue
    return sorted(p for p in (*folder.glob("ws_*.jsonl"), *folder.glob("node_*.jsonl")) if p.name.count(".") == 1)


def _tardis_messages() -> list[bytes]:
    return [json.dumps(json.loads(line)["message"], separators=(",", ":")).encode()
            for line in _TARDIS.read_bytes().splitlines()]


_HYPO = settings(max_examples=120, deadline=None, database=None, derandomize=True, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


_both = _frames.both
_assert_same = _frames.assert_same


def test_the_fast_venues() -> None:
    assert FAST == ["binance_coinm", "binance_usdm", "bitget_futures", "bitmex", "bybit_inverse", "bybit_linear",
                    "deribit", "dydx_v4", "gate_futures", "hyperliquid", "kraken_futures", "okx_futures", "okx_swap"]


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
    (('name = "raw stream"', 'name = "raw stream"\nrequire = { stream = "btc" }'), "names no field \\['stream'\\]"),
])
def test_a_broken_mapping_file_is_an_error_naming_it(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    from liqscope.venues import _vectorized

    bad = tmp_path / "fast.toml"
    bad.write_text(_USDM.read_text().replace(*edit))
    with pytest.raises(ValueError, match=message) as e:
        _vectorized.load(bad)
    assert str(bad) in str(e.value)


def test_a_mapping_loaded_where_a_freed_one_was_runs_its_own_plans() -> None:
    """Plans are cached per mapping object: a new mapping that reuses a freed one's id gets its own plans."""
    import gc
    import importlib

    from liqscope.venues import _vectorized

    frames = {v: _ws(v)[0].read_bytes().splitlines()[:1] for v in ("binance_usdm", "bybit_linear")}
    probes = {v: importlib.import_module(f"liqscope.venues.{v}.batch").probe for v in frames}
    for k in range(40):
        venue = ("binance_usdm", "bybit_linear")[k % 2]
        mapping = _vectorized.load(Path(__file__).parents[2] / f"src/liqscope/venues/{venue}/fast.toml")
        part = _vectorized.run(mapping, frames[venue], [RECV], ["ref:0"], Source.WS, probes[venue])
        assert part.fallback == [], (venue, k)
        del mapping, part
        gc.collect()  # the next mapping may take this one's id (it did, before the cache kept its mapping)


def test_one_element_and_longer_arrays_in_one_batch_keep_record_then_element_order() -> None:
    """An array shape's one-element records and its longer ones are read by two plans; rows stay in order."""
    (real,) = (FIXTURES / "venues/bybit_linear/ws_all_liquidation.jsonl").read_bytes().splitlines()
    frame = json.loads(real)
    (element,) = frame["data"]
    longer = {**frame, "data": [element, {**element, "T": element["T"] + 1, "S": "Buy"}, {**element, "v": "3"}]}
    raws = [json.dumps(f, separators=(",", ":")).encode() for f in (frame, longer, frame, longer, longer, frame)]
    fast, slow = _both("bybit_linear", raws)
    _assert_same(fast, slow)
    assert fast.counts == [1, 3, 1, 3, 3, 1]
    part = get_venue("bybit_linear").parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws), Source.WS)  # type: ignore[misc]
    assert part.fallback == [] and part.rows.to_pylist() == [0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5]



def test_rows_out_of_record_then_element_order_are_sorted_back() -> None:
    """The statement has no ORDER BY: rows it returned out of order would be sorted, in order left as they are."""
    import pyarrow as pa

    from liqscope.venues import _vectorized

    got = pa.table({"n": [3, 1, 1, 0, 3], "k1": [1, 2, 1, 1, 2], "row": ["d", "c", "b", "a", "e"]})
    assert _vectorized._in_order(got, ["n", "k1"])["row"].to_pylist() == ["a", "b", "c", "d", "e"]
    ordered = got.take([3, 2, 1, 0, 4])
    assert _vectorized._in_order(ordered, ["n", "k1"]) is ordered

# ---- Hyperliquid node_fills_by_block -------------------------------------------------------------------

_HL = FIXTURES / "venues/hyperliquid"
# Every real line of the venue and its malformed corpus go through the every-fixture test above; here the
# bundled 1,000-block node sample and the cases only blocks have.


def _hl_real() -> list[bytes]:
    return gzip.decompress(HL_BLOCKS.read_bytes()).splitlines()


def test_hyperliquid_real_node_sample_equals_the_reference_and_is_all_proven() -> None:
    """The 1,000 real blocks: 999 proven skips with the reference's reason, the WLFI trade taken, none handed back."""
    raws = _hl_real()
    fast, slow = _both("hyperliquid", raws)
    _assert_same(fast, slow)
    part = get_venue("hyperliquid").parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws),  # type: ignore[misc]
                                                Source.ARCHIVE)
    assert list(part.fallback) == [] and len(part.skipped) == 999
    (line,) = part.rows.to_pylist()
    assert json.loads(raws[line])["block_number"] == 777010856
    assert part.skipped[0] == f"block {json.loads(raws[0])['block_number']} has no liquidation fill"
    row = part.table.to_pylist()[0]
    # The fixture's source note: 890 WLFI @ 0.15327, the liquidated user's own leg is B (a SHORT closed).
    assert (row["quantity"], row["price"], row["notional_usd"]) == (Decimal(890), Decimal("0.15327"),
                                                                    Decimal(890) * Decimal("0.15327"))
    assert (row["liquidated_side"], row["venue_side"], row["account"]) == (
        "SHORT", "B", "0xa59f55114ccb120487c4fb5766cb89b123c13563")
    assert row["ts_recv"] == 1761584402_684975680  # its local_time, 2025-10-27T17:00:02.684975680


def test_hyperliquid_blocks_the_shape_cannot_prove_go_down_the_reference_path() -> None:
    """Pretty-printed, reordered, escaped and duplicated-key blocks and per-fill pairs: none taken, none skipped."""
    quiet = _HL.joinpath("node_fills_by_block.jsonl").read_bytes().splitlines()[0]
    block = json.loads(quiet)
    raws = [json.dumps(block).encode(),                                   # spaces after separators
            quiet.replace(b'"block_time"', b'"block_time":"x","block_time"'),  # a key twice
            quiet.replace(b'"coin":"WLFI"', b'"coin":"WL\\u0046I"', 1),      # an escape
            quiet.replace(b'{"local_time":', b'{"block_number":1,"local_time":'),
            json.dumps(block["events"][0], separators=(",", ":")).encode()]  # a node_fills pair
    part = get_venue("hyperliquid").parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws),  # type: ignore[misc]
                                                Source.ARCHIVE)
    assert list(part.fallback) == list(range(len(raws))) and not part.skipped and not len(part.rows)
    _assert_same(*_both("hyperliquid", raws))


def test_normalize_batch_keeps_outcomes_in_record_order_with_proven_skips() -> None:
    lines = _HL.joinpath("node_fills_by_block.jsonl").read_bytes().splitlines()
    raws = [lines[0], b"{", lines[6], lines[1], b'{"local_time":1}', lines[2]]
    fast, slow = _both("hyperliquid", raws)
    _assert_same(fast, slow)
    assert list(fast.outcomes) == [0, 1, 3, 4, 5] and fast.counts == [0, 0, 1, 0, 0, 0]
    assert fast.outcomes[3].skipped == "block 777010851 has no liquidation fill"


# Hypothesis: blocks built from the real fills (the fixture's and the documented ADL fill), mutated where the
# fast path has to decide: legs grouped or not, whose leg is whose, ADL, spot and scaled coins, odd values.
_REAL_BLOCKS = [json.loads(r) for r in _HL.joinpath("node_fills_by_block.jsonl").read_bytes().splitlines()]
_FILLS = [pair for b in _REAL_BLOCKS for pair in b["events"]]
_ADL_FILL = json.loads(_HL.joinpath("documented_adl_block_758800641.json").read_text())["events"][0]
_LIQ_FILLS = [p for p in [*_FILLS, _ADL_FILL] if "liquidation" in p[1]]
_VICTIM = _LIQ_FILLS[0][1]["liquidation"]["liquidatedUser"]
_COINS = ["BTC", "kPEPE", "@107", "PURR/USDC", "xyz:TSLA", "WLFI", "", "A B", "k", "kBONK", "X" * 70, "币"]
_DIRS = ["Close Long", "Open Short", "Auto-Deleveraging", "Liquidated Cross Long", "Liquidated Isolated Short",
         "Liquidated Cross Long\n", "liquidated cross long", "Liquidated Cross  Long"]
_HL_DECIMALS = ["0", "0.0", "-1", "1E-7", "0.0000001", "00.5", "12345678901234567890", "0.1234567890123456789",
                "99999999.9", "100000000.1", "1e3", "NaN", "0.00000000001", "1.0", "890.00"]
_TIMES = ["2025-10-27T17:00:02.684975680", "2025-10-27T17:00:02", "2025-10-27T17:00:02.5", "2025-02-30T00:00:00.1",
          "2025-10-27T24:00:00.1", "2025-10-27T17:00:60.1", "2008-12-31T23:59:59.9", "2100-01-01T00:00:00.0",
          "2025-10-27T17:00:02Z", "2025-10-27 17:00:02.1", "0000-01-01T00:00:00.0", "2025-10-27T17:00:02.1234567890"]
_HL_FAULTS = ["none"] * 50 + ["dir"] * 6 + ["px", "sz", "side", "coin", "method", "victim", "time", "tid", "markPx",
                                           "type", "drop", "repeat", "extra", "order", "null_liquidation", "twapId",
                                           "escape", "spaces"]


def _fill(draw: st.DrawFn, pair: list[object], clean: bool) -> list[object]:
    user, fill = pair
    fill = dict(fill)  # type: ignore[call-overload]
    # A clean fill: real, with at most its dir, method or coin changed to another real value.
    fault = draw(st.sampled_from(["none"] * 4 + ["dir", "dir", "method", "coin"] if clean else _HL_FAULTS))
    if fault in ("px", "sz", "markPx"):
        target = fill.setdefault("liquidation", dict(_LIQ_FILLS[0][1]["liquidation"])) if fault == "markPx" else fill
        target[fault] = draw(st.sampled_from(_HL_DECIMALS))
    elif fault == "side":
        fill["side"] = draw(st.sampled_from(["A", "B", "a", "", "S"]))
    elif fault == "coin":
        fill["coin"] = draw(st.sampled_from(_COINS[:6] if clean else _COINS))
    elif fault == "dir":
        fill["dir"] = draw(st.sampled_from(_DIRS[:5] if clean else _DIRS))
    elif fault in ("method", "victim") and "liquidation" in fill:
        liq = dict(fill["liquidation"])
        if fault == "method":
            liq["method"] = draw(st.sampled_from(["market", "backstop", *([] if clean else ["adl", "", "Market"])]))
        else:
            liq["liquidatedUser"] = draw(st.sampled_from([user, _VICTIM, "", "0x 1", "x" * 300, "é"]))
        fill["liquidation"] = liq
    elif fault == "time":
        fill["time"] = draw(st.sampled_from([0, 1761584402387000, 4_102_444_800_000, 4_102_444_799_999,
                                             1_230_768_000_000, 2**63, -1, "1761584402387", 1.5]))
    elif fault == "tid":
        fill["tid"] = draw(st.sampled_from([0, 1, 2**63, "1", -5]))
    elif fault == "type":
        fill[draw(st.sampled_from(sorted(fill)))] = draw(st.sampled_from([None, 1, "1", True, [], {}]))
    elif fault == "drop":
        fill.pop(draw(st.sampled_from(sorted(fill))))
    elif fault == "extra":
        fill[draw(st.sampled_from(["builder", "deployerFee", "builderFee", "cloid"]))] = draw(
            st.sampled_from(["0x1", "0.1", None, 1]))
    elif fault == "null_liquidation":
        fill["liquidation"] = None
    elif fault == "twapId":
        fill["twapId"] = draw(st.sampled_from([None, 7, "7"]))
    pairs = [(k, json.dumps(v, ensure_ascii=False, separators=(",", ":"))) for k, v in fill.items()]
    if fault == "repeat":
        k, v = draw(st.sampled_from(pairs))
        pairs.insert(draw(st.integers(0, len(pairs))), (k, draw(st.sampled_from([v, '"x"']))))
    elif fault == "order":
        pairs = draw(st.permutations(pairs))
    elif fault == "escape":
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = (pairs[i][0], pairs[i][1].replace("e", "\\u0065"))
    body = "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"
    return [user, _Raw(body if fault != "spaces" else body.replace(",", ", "))]


class _Raw(str):
    """A fill already rendered as JSON text."""


@st.composite
def _block(draw: st.DrawFn) -> bytes:
    legs: list[list[object]] = []
    clean = draw(st.booleans())  # half the blocks: real fills with at most a dir changed
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["quiet", "liquidation", "trade", "trade", "adl"]))
        if kind == "quiet":
            legs.append(_fill(draw, draw(st.sampled_from(_FILLS)), clean))
        elif kind == "adl":
            legs.append(_fill(draw, _ADL_FILL, clean))
        elif kind == "liquidation":
            legs.append(_fill(draw, draw(st.sampled_from(_LIQ_FILLS)), clean))
        else:  # both legs of one trade, in either order, maybe with a coin or tid in common with others
            pair = [_fill(draw, p, clean) for p in draw(st.permutations(_LIQ_FILLS[:2]))]
            legs.extend(pair)
    if draw(st.booleans()):
        legs = draw(st.permutations(legs))
    events = "[" + ",".join(f"[{json.dumps(u)},{f}]" for u, f in legs) + "]"
    local_time = draw(st.sampled_from(_TIMES[:1] * 24 + _TIMES))
    number = draw(st.sampled_from([777010856] * 8 + [0, 2**63, -1]))
    header = [("local_time", json.dumps(local_time)), ("block_time", '"2025-10-27T17:00:02.387"'),
              ("block_number", str(number)), ("events", events)]
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.permutations(header))
    return ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in header) + "}").encode()


def test_hypothesis_hyperliquid_blocks_fast_path_equals_reference() -> None:
    """Equal outcomes on every generated batch; and the generator is not vacuous: it reaches every decision."""
    seen: Counter[str] = Counter()

    @_HYPO
    @given(st.lists(_block(), min_size=1, max_size=12))
    def run(raws: list[bytes]) -> None:
        fast, slow = _both("hyperliquid", raws)
        _assert_same(fast, slow)
        part = get_venue("hyperliquid").parse_batch(raws, [RECV] * len(raws), ["r"] * len(raws),  # type: ignore[misc]
                                                    Source.WS)
        seen.update(batches=1, taken=len(set(part.rows.to_pylist())), skipped=len(part.skipped),
                    fallback=len(part.fallback))
        for name in ("liquidation_kind", "margin_mode", "liquidated_side", "quantity_unit"):
            seen.update(f"{name}={v}" for v in (part.table[name].to_pylist() if part.table is not None else []))

    run()
    assert seen["batches"] >= 100 and min(seen["taken"], seen["skipped"], seen["fallback"]) >= 50, seen
    for value in ("liquidation_kind=adl", "liquidation_kind=backstop", "liquidation_kind=market", "margin_mode=cross",
                  "margin_mode=isolated", "liquidated_side=LONG", "liquidated_side=SHORT", "quantity_unit=contracts"):
        assert seen[value] > 0, (value, seen)


_HL_SHAPE = Path(__file__).parents[2] / "src/liqscope/venues/hyperliquid/fast.toml"


@pytest.mark.parametrize(("edit", "message"), [
    (('["px", "price"]', '["px", "float"]'), "fill.px has kind 'float'"),
    (('venue = "hyperliquid"', 'venue = "hyperliquid"\nvenu = 1'), "unknown field `venu`"),
    (('["tid", "int"], ', ""), "fill names no \\['tid'\\]"),
    (('["sz", "price"]', '["px", "price"]'), "fill names a key twice"),
    (('["block_time", "str"]', '["block_time?", "str"]'), "only fill keys after the first may be optional"),
])
def test_a_broken_hyperliquid_shape_file_is_an_error_naming_it(tmp_path: Path, edit: tuple[str, str],
                                                               message: str) -> None:
    from liqscope.venues.hyperliquid import batch

    bad = tmp_path / "fast.toml"
    text = _HL_SHAPE.read_text()
    assert edit[0] in text
    bad.write_text(text.replace(*edit))
    with pytest.raises(ValueError, match=message) as e:
        batch.load(bad)
    assert str(bad) in str(e.value)
