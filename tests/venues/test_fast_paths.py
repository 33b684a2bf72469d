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
# Fixtures that share a wire with a fast venue: each is fed to every fast venue (most go down its reference).
def _ws(venue: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / "venues" / venue).glob("ws_*.jsonl") if p.name.count(".") == 1)


_BINANCE = [*_ws("binance_usdm"), *_ws("binance_coinm"),
            FIXTURES / "malformed/binance_usdm/frames.jsonl", FIXTURES / "malformed/binance_coinm/frames.jsonl"]
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


def test_the_fast_venues_are_binance_usd_m_and_coin_m() -> None:
    assert FAST == ["binance_coinm", "binance_usdm"]


@pytest.mark.parametrize("venue", FAST)
@pytest.mark.parametrize("path", _BINANCE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_path_equals_the_reference_on_every_fixture(venue: str, path: Path) -> None:
    _assert_same(*_both(venue, path.read_bytes().splitlines()))


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
