"""Columnar fast path for ``forceOrder`` frames: a whole batch straight to Arrow rows (``SPEC.parse_batch``).

It takes a frame only when it is sure the per-record path (``wire.decode_frame`` + ``parse.parse_force_order``
+ ``normalize_record``) would accept it and produce exactly the same row; every other frame (acks, COIN-M
``ps``, numbers as JSON numbers, odd decimals, out-of-bounds values, duplicate keys, ...) is handed back.
Taken: the two real shapes, ``{"stream", "data": {"e", "E", "o"}}`` and ``{"e", "E", "o"}``, with exactly
the 11 USD-M ``o`` fields, plain decimal strings and nothing else in the record.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from operator import methodcaller
from typing import Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope._registry import BatchPart
from liqscope.events import _TS_MAX_NS, _TS_MIN_NS, Received, Source
from liqscope.normalize import MAX_RECORD_BYTES
from liqscope.venues import _columnar as col
from liqscope.venues.binance_usdm import parse, wire

# Records per Arrow pass: bounds the joined buffer and the cost of one bad record's bisection.
_CHUNK = 16_384
_MIN_PRICE, _MAX_PRICE = Decimal(10) ** -10, Decimal(10) ** 8
_TS_MIN_MS, _TS_MAX_MS = _TS_MIN_NS // 1_000_000, _TS_MAX_NS // 1_000_000


# Strict twins of wire.ForceOrderBody / ForceOrderEvent / Frame: every field required, nothing unknown,
# decimals kept as Binance's strings. gc=False: they hold only strings and ints (2x faster to decode).
class _Body(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    s: str
    S: str
    o: str
    f: str
    q: str
    p: str
    ap: str
    X: str
    l: str  # noqa: E741 - Binance's name
    z: str
    T: int


class _Event(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    e: Literal["forceOrder"]
    E: int
    o: _Body


class _Wrapped(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    stream: str
    data: _Event


_SHAPES = col.Shapes(_Wrapped, _Event)
# Keys each strict shape proves present: stream, data, e, E, o + 11 body fields / e, E, o + 11.
_KEYS: dict[type, int] = {_Wrapped: 16, _Event: 14}
_blake = functools.partial(hashlib.blake2b, digest_size=10)
_hexdigest = methodcaller("hexdigest")
_SIDE = {"SELL": "LONG", "BUY": "SHORT"}  # parse.CLOSED_POSITION, as column values
_PROBE_RX = Received(ts_ns=1_700_000_000_000_000_000, ref="probe")


_BY_SYMBOL = ("instrument_kind", "base_asset", "quote_asset", "settle_asset", "quantity_unit", "contract_size",
              "contract_size_unit")


@functools.lru_cache(maxsize=4096)
def _symbol(symbol: str) -> tuple[object, ...] | None:
    # Everything that depends on the symbol alone, from the per-record parser itself run on a probe frame
    # of valid numbers; None when it rejects the symbol. Pure, so cached (bounded: symbols are few).
    one = Decimal(1)
    body = wire.ForceOrderBody(s=symbol, S="SELL", o="LIMIT", f="IOC", q=one, p=one, ap=one, X="FILLED", l=one,
                               z=one, T=_PROBE_RX.ts_ns // 1_000_000)
    try:
        (event,) = parse.parse_body(body, _PROBE_RX)
    except Exception:  # whatever it is, the per-record path meets it again and decides
        return None
    return tuple(v.value if isinstance(v, enum.Enum) else v for v in (getattr(event, k) for k in _BY_SYMBOL))


def _symbols(markets: pa.Array) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (mask of symbols the parser accepts, symbol-derived columns), via one probe per distinct symbol.
    unique = pc.unique(markets)
    index = pc.index_in(markets, unique)
    found = [_symbol(s) for s in unique.to_pylist()]
    columns = {k: pa.array([f[j] if f else None for f in found], type=col.MONEY if k == "contract_size" else
                           pa.string()).take(index) for j, k in enumerate(_BY_SYMBOL)}
    return pa.array([f is not None for f in found], type=pa.bool_()).take(index), columns


def _chunk(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: str,
           offset: int) -> tuple[pa.Table, list[int]]:
    n = len(raws)
    frames = _SHAPES.decode(raws, 0 if raws[0].startswith(b'{"stream"') else 1)
    decoded = pa.array([f is not None for f in frames], type=pa.bool_())
    expected = pa.array(map(_KEYS.get, map(type, frames)), type=pa.int64(), size=n)
    ok = pc.and_(decoded, pc.equal(col.colons(raws), expected).fill_null(False))
    ok = pc.and_(ok, pa.array([len(r) <= MAX_RECORD_BYTES for r in raws], type=pa.bool_()))
    empty = _Body(s="", S="", o="", f="", q="", p="", ap="", X="", l="", z="", T=0)
    bodies = [f.data.o if type(f) is _Wrapped else f.o if f is not None else empty for f in frames]

    s = [b.s for b in bodies]
    side = [b.S for b in bodies]
    q, p, ap, l_, z = ([getattr(b, k) for b in bodies] for k in ("q", "p", "ap", "l", "z"))
    t_ms = [b.T for b in bodies]
    canon = map("|".join, zip(s, side, [b.o for b in bodies], [b.f for b in bodies], q, p, ap,
                              [b.X for b in bodies], l_, z, map(str, t_ms), repeat("None"), strict=False))
    digests = pa.array(map(_hexdigest, map(_blake, map(str.encode, canon))), type=pa.string(), size=n)

    markets = pa.array(s, type=pa.string())
    side_arr = pa.array(side, type=pa.string())
    ok = pc.and_(ok, pc.is_in(side_arr, value_set=pa.array(list(_SIDE))))
    strings = {k: pa.array(v, type=pa.string()) for k, v in (("q", q), ("p", p), ("ap", ap), ("l", l_), ("z", z))}
    for arr in strings.values():
        ok = pc.and_(ok, col.plain_decimal(arr))
    # Cast only what passed (the others become "1"): every cast is then exact.
    every = pc.all(ok).as_py()
    dec = {k: pc.cast(strings[k] if every else pc.if_else(ok, strings[k], "1"), col.MONEY) for k in ("p", "ap", "z")}
    zero = pa.scalar(Decimal(0), col.MONEY)
    for k in ("p", "ap", "z"):
        ok = pc.and_(ok, pc.greater(dec[k], zero))
    ok = pc.and_(ok, col.in_range(dec["ap"], _MIN_PRICE, _MAX_PRICE))
    ok = pc.and_(ok, col.in_range(dec["p"], _MIN_PRICE, _MAX_PRICE))
    # Fill/order price ratio within [1/2, 2]; only strictly inside is taken (the per-record check divides
    # at 28 digits, which can round a ratio just outside onto the bound).
    two = pa.scalar(Decimal(2), pa.decimal256(1, 0))
    ap256, p256 = pc.cast(dec["ap"], pa.decimal256(38, 18)), pc.cast(dec["p"], pa.decimal256(38, 18))
    ok = pc.and_(ok, pc.and_(pc.greater(pc.multiply(ap256, two), p256), pc.less(ap256, pc.multiply(p256, two))))
    notional, fits = col.exact_product(dec["z"], dec["ap"])
    ok = pc.and_(ok, fits)
    notional_order, fits = col.exact_product(dec["z"], dec["p"])
    ok = pc.and_(ok, fits)

    t_arr, t_fits = col.to_int64(t_ms)
    ok = pc.and_(ok, pc.and_(t_fits, col.in_range(t_arr, _TS_MIN_MS, _TS_MAX_MS, high_inclusive=False)))
    if set(map(type, ts_recv)) <= {int}:
        recv, recv_fits = col.to_int64(list(ts_recv))
    else:  # LiquidationEvent takes only int (not bool, float, numpy) receipt times
        recv, recv_fits = col.to_int64([t if type(t) is int else 0 for t in ts_recv])
        recv_fits = pc.and_(recv_fits, pa.array([type(t) is int for t in ts_recv], type=pa.bool_()))
    ok = pc.and_(ok, pc.and_(recv_fits, col.in_range(recv, _TS_MIN_NS, _TS_MAX_NS, high_inclusive=False)))

    known, by_symbol = _symbols(markets if every else pc.if_else(ok, markets, ""))
    ok = pc.and_(ok, known).fill_null(False)

    t_ok = pc.if_else(ok, t_arr, 0)
    ts_event = pc.multiply(t_ok, 1_000_000)
    event_id = pc.binary_join_element_wise(parse.VENUE, markets, pc.cast(t_ok, pa.string()), digests, ":")
    const = {"venue": parse.VENUE, "margining": "linear", "price_kind": "average_fill", "liquidation_kind": "market",
             "source": source}
    columns: dict[str, pa.Array] = {
        **{k: pa.repeat(pa.scalar(v, pa.string()), n) for k, v in const.items()},
        **by_symbol,
        "market": markets,
        "liquidated_side": pc.if_else(pc.equal(side_arr, "SELL"), "LONG", "SHORT"),
        "venue_side": side_arr,
        "price": dec["ap"],
        "order_price": dec["p"],
        "quantity": dec["z"],
        "notional_usd": notional,
        "notional_order_usd": notional_order,
        "margin_mode": pa.nulls(n, pa.string()),
        "account": pa.nulls(n, pa.string()),
        "ts_event": ts_event,
        "ts_recv": recv,
        "event_id": event_id,
        "raw_ref": pa.array(refs, type=pa.string()),
    }
    table = pa.table(columns).filter(ok)
    taken = pc.indices_nonzero(ok).to_pylist()
    return table, [offset + i for i in taken]


def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
    """Normalize the ``forceOrder`` frames of a batch in columns; hand back every frame it is not sure of.

    Args:
        raws: Raw records (one JSON message each).
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record.
        source: How the records reached us.

    Returns:
        The rows of the frames it took (every ``EVENT_SCHEMA`` column but ``record_key`` and ``synthetic``),
        their record indices, and the indices of the others.
    """
    tables: list[pa.Table] = []
    rows: list[int] = []
    for start in range(0, len(raws), _CHUNK):
        end = start + _CHUNK
        table, taken = _chunk(raws[start:end], ts_recv[start:end], refs[start:end], str(source), start)
        tables.append(table)
        rows.extend(taken)
    taken_set = set(rows)
    fallback = [i for i in range(len(raws)) if i not in taken_set]
    table = pa.concat_tables(tables) if tables else None
    return BatchPart(table=table, rows=rows, fallback=fallback)
