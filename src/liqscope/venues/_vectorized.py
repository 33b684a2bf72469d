"""Run a venue's declared mapping (``venues/<id>/fast.toml``) over a whole batch: Arrow and DuckDB, no row loop.

A mapping declares each record shape as a template: the exact compact JSON the venue sends with every value
a typed placeholder. Arrow matches the template over the batch (one RE2 pass: it proves the keys, their
order, that each occurs once, every value's JSON type, no escape, plain decimal strings); one DuckDB
statement then reads every field of the records that match (``json_extract_string`` of every path at once),
checks the side and computes the scheme-2 event id (md5, ``liqscope._identity``). Arrow then casts the
decimals exactly, checks the bounds ``LiquidationEvent`` checks and multiplies the notionals (``_columnar``).
Symbol-derived columns come from the venue's reference parser, once per distinct symbol. No Python runs per
record; a record that fails any check is handed back to the per-record path (the reference), so the fast
path only has to be right about the records it takes (tests/test_normalize_batch.py).
"""

from __future__ import annotations

import enum
import json
import re
import tomllib
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope import _identity
from liqscope._registry import BatchPart
from liqscope.events import _TS_MAX_NS, _TS_MIN_NS, LiquidationEvent, Source
from liqscope.normalize import MAX_RECORD_BYTES
from liqscope.venues import _columnar as col

__all__ = ["Mapping", "load", "run"]

_MIN_PRICE, _MAX_PRICE = Decimal(10) ** -10, Decimal(10) ** 8
_TS_MIN_MS, _TS_MAX_MS = _TS_MIN_NS // 1_000_000, _TS_MAX_NS // 1_000_000
_MARGIN = 1e-9
_CHUNK = 262_144  # records per SQL statement: bounds memory, not speed


class Shape(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    template: str


class Side(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: str
    map: dict[str, str]


class Rules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    market: str
    side: Side
    price: str
    quantity: str
    notional: list[str]
    ts_event_ms: str
    # Fields whose values alone decide the instrument columns (kind, assets, margining, quantity unit,
    # contract size): the reference parser is run once per distinct combination (``Probe``).
    by_symbol: list[str]
    order_price: str | None = None
    notional_order: list[str] | None = None
    fill_to_order_ratio: list[str] | None = None


class Identity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    prefix: list[str]
    digest: list[str]


class Mapping(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A venue's declared fast path (see ``venues/binance_usdm/fast.toml`` for every key)."""

    venue: str
    shapes: list[Shape]
    mapping: Rules
    identity: Identity
    constants: dict[str, str]


def load(path: Path) -> Mapping:
    """Read and check a mapping file (strict: unknown keys, placeholders and field names are errors)."""
    try:
        m = msgspec.convert(tomllib.loads(path.read_text()), Mapping)
        fields = [_fields(shape.template) for shape in m.shapes]
    except (tomllib.TOMLDecodeError, msgspec.ValidationError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
    known = set(fields[0])
    if any(set(f) != known for f in fields):
        raise ValueError(f"{path}: every shape must name the same fields")
    r = m.mapping
    used = {*r.by_symbol, r.market, r.side.field, r.price, r.quantity, *r.notional, *(r.notional_order or []),
            r.ts_event_ms, *m.identity.prefix, *(f for f in m.identity.digest if not f.startswith("'")),
            *(r.fill_to_order_ratio or []), *([r.order_price] if r.order_price else [])} - {"contract_size"}
    if used - known:
        raise ValueError(f"{path}: names no field {sorted(used - known)}; the templates' fields are {sorted(known)}")
    return m


# Placeholder kind -> the bytes it matches (RE2), exactly what the reference decodes to the same value.
_KINDS = {
    "str": r'"[^"\\\x00-\x1f]*"',   # a JSON string without escapes or control characters: its text is its value
    "dec": f'"{col._PLAIN[1:-1]}"',     # a plain decimal string (see _columnar._PLAIN)
    "int": "[1-9][0-9]{0,17}",         # a positive JSON integer that fits int64
}
_PLACEHOLDER = re.compile(r'"?<(str|dec|int)(?::(\w+))?>"?')


def _fields(template: str) -> dict[str, tuple[str, str]]:
    # Field -> (JSON path, kind), read from the template made valid JSON (placeholders as strings).
    out: dict[str, tuple[str, str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, str) and (hit := re.fullmatch(r"<(str|dec|int)(?::(\w+))?>", node)) and hit[2]:
            if hit[2] in out:
                raise ValueError(f"field {hit[2]!r} appears twice in a template")
            out[hit[2]] = (path, hit[1])

    walk(json.loads(_PLACEHOLDER.sub(lambda h: f'"<{h[1]}{":" + h[2] if h[2] else ""}>"', template)), "$")
    return out


def _pattern(template: str) -> str:
    # The template's bytes, escaped, with each placeholder (and its quotes) replaced by what it matches.
    out, at = [], 0
    for hit in _PLACEHOLDER.finditer(template):
        out += [re.escape(template[at:hit.start()]), _KINDS[hit[1]]]
        at = hit.end()
    return "".join([*out, re.escape(template[at:])])


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class _Plan(msgspec.Struct, frozen=True):
    prefix: str   # the template's bytes up to its first placeholder: a cheap first screen
    pattern: str  # the whole template as an anchored RE2 pattern
    sql: str      # reads the records that match, in their order


_PLANS: dict[int, list[_Plan]] = {}  # id(mapping) -> its plans (mappings are loaded once, at import)


def _plans(m: Mapping) -> list[_Plan]:
    if (plans := _PLANS.get(id(m))) is None:
        plans = _PLANS[id(m)] = [_plan(m, shape) for shape in m.shapes]
    return plans


def _plan(m: Mapping, shape: Shape) -> _Plan:
    fields = _fields(shape.template)
    names = list(fields)
    cols = {n: f"v[{k + 1}]" for k, n in enumerate(names)}
    rules = m.mapping
    checks = [f"{cols[rules.side.field]} IN ({', '.join(_lit(k) for k in rules.side.map)})"]
    # str(Decimal(s)) == s for a plain decimal, except that str() writes 0.000000x in scientific notation.
    checks += [f"NOT starts_with({cols[d]}, {_lit(col._SCIENTIFIC_IN_STR)})" for d, (_, kind) in fields.items()
               if kind == "dec"]
    side = "CASE " + " ".join(f"WHEN {cols[rules.side.field]} = {_lit(k)} THEN {_lit(v)}"
                              for k, v in rules.side.map.items()) + " END"
    digest = _identity.digest_sql(*(f if f.startswith("'") else cols[f] for f in m.identity.digest))
    event_id = "concat_ws(':', " + ", ".join([_lit(m.venue), *(cols[f] for f in m.identity.prefix), digest]) + ")"
    decimals = _decimals(rules)
    key = "concat_ws(chr(31), " + ", ".join(cols[f] for f in rules.by_symbol) + ")"
    select = [f"{key} AS instrument_key", f"{' AND '.join(checks)} AS ok", f"{cols[rules.market]} AS market",
              f"{side} AS liquidated_side", f"{cols[rules.side.field]} AS venue_side",
              f"CAST({cols[rules.ts_event_ms]} AS BIGINT) AS ts_ms", f"{event_id} AS event_id",
              *(f"{cols[d]} AS {d}" for d in decimals)]
    sql = (f"SELECT {', '.join(select)} FROM (SELECT json_extract_string(line, "
           f"[{', '.join(_lit(fields[n][0]) for n in names)}]) AS v FROM lines)")
    return _Plan(prefix=shape.template[:shape.template.index("<")], pattern=f"^{_pattern(shape.template)}$", sql=sql)


def _decimals(rules: Rules) -> list[str]:
    return sorted({rules.price, rules.quantity, *rules.notional, *(rules.notional_order or []),
                   *([rules.order_price] if rules.order_price else [])} - {"contract_size"})


def _lines(raws: Sequence[bytes]) -> pa.Array:
    arr = pa.array(raws, type=pa.binary())
    try:
        return arr.cast(pa.string())
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere: those records go down the reference path
        return pa.array([r.decode() if _utf8(r) else "" for r in raws], type=pa.string())


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def run(m: Mapping, raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source,
        probe: Probe) -> BatchPart:
    """Normalize the records of ``raws`` the mapping takes; hand back the others (``VenueSpec.parse_batch``).

    Args:
        m: The venue's mapping.
        raws: Raw records (one JSON message each).
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record.
        source: How the records reached us.
        probe: The venue's reference parser run on the ``by_symbol`` field values (a probe record of valid
            numbers): the event it builds, or None when it rejects them.
    """
    import duckdb

    tables: list[pa.Table] = []
    rows: list[pa.Array] = []
    if set(map(type, ts_recv)) <= {int}:
        recv, recv_fits = col.to_int64(list(ts_recv))
    else:  # LiquidationEvent takes only int (not bool, float, numpy) receipt times
        recv, recv_fits = col.to_int64([t if type(t) is int else 0 for t in ts_recv])
        recv_fits = pc.and_(recv_fits, pa.array([type(t) is int for t in ts_recv], type=pa.bool_()))
    recv_ok = pc.and_(recv_fits, col.in_range(recv, _TS_MIN_NS, _TS_MAX_NS, high_inclusive=False))
    ref_arr = pa.array(refs, type=pa.string())
    con = duckdb.connect()
    try:
        for start in range(0, len(raws), _CHUNK):
            lines = _lines(raws[start:start + _CHUNK])
            small = pc.less_equal(pc.binary_length(lines), MAX_RECORD_BYTES)
            for plan in _plans(m):
                mask = pc.and_(small, pc.and_(pc.starts_with(lines, plan.prefix),
                                              pc.match_substring_regex(lines, plan.pattern)))
                index = pc.add(pc.indices_nonzero(mask).cast(pa.int64()), start)
                if not len(index):
                    continue
                con.register("lines", pa.table({"line": lines.filter(mask)}))
                got = con.sql(plan.sql).to_arrow_table()  # a projection: DuckDB keeps the row order
                con.unregister("lines")
                table, taken = _finish(m, got, index, recv, recv_ok, ref_arr, source, probe)
                tables.append(table)
                rows.append(taken)
    finally:
        con.close()
    if len(tables) > 1:  # several shapes: back to record order
        index = pa.chunked_array(rows, type=pa.int64()).combine_chunks()
        order = pc.sort_indices(index)
        tables, rows = [pa.concat_tables(tables).take(order)], [index.take(order)]
    taken_list = pa.chunked_array(rows, type=pa.int64()).to_pylist() if rows else []
    taken_set = set(taken_list)
    fallback = [i for i in range(len(raws)) if i not in taken_set]
    return BatchPart(table=tables[0] if tables else None, rows=taken_list, fallback=fallback)


Probe = Callable[[tuple[str, ...]], LiquidationEvent | None]
# The event columns that depend on the instrument alone, taken from the reference parser's probe event.
_BY_INSTRUMENT = ("instrument_kind", "base_asset", "quote_asset", "settle_asset", "margining", "quantity_unit",
                  "contract_size", "contract_size_unit")


def _probe_row(probe: Probe, key: str) -> tuple[object, ...] | None:
    try:
        event = probe(tuple(key.split("\x1f")))
    except Exception:  # whatever it is, the per-record path meets it again and decides
        return None
    if event is None:
        return None
    return tuple(v.value if isinstance(v, enum.Enum) else v for v in (getattr(event, k) for k in _BY_INSTRUMENT))


def _instrument_columns(keys: pa.Array, ok: pa.Array, probe: Probe) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (mask of the keys the reference parser accepts, instrument columns): one probe per distinct key.
    keys = pc.if_else(ok, keys, "").fill_null("")
    unique = pc.unique(keys)
    index = pc.index_in(keys, unique)
    found = [_probe_row(probe, k) if k else None for k in unique.to_pylist()]
    columns = {k: pa.array([f[j] if f else None for f in found], type=col.MONEY if k == "contract_size" else
                           pa.string()).take(index) for j, k in enumerate(_BY_INSTRUMENT)}
    return pa.array([f is not None for f in found], type=pa.bool_()).take(index), columns


def _finish(m: Mapping, got: pa.Table, index: pa.Array, recv_all: pa.Array, recv_ok: pa.Array, ref_arr: pa.Array,
            source: Source, probe: Probe) -> tuple[pa.Table, pa.Array]:
    rules = m.mapping
    n = got.num_rows
    ok = got["ok"].combine_chunks().fill_null(False)
    names = _decimals(rules)
    dec = {k: pc.cast(got[k].combine_chunks(), col.MONEY) for k in names}
    zero = pa.scalar(Decimal(0), col.MONEY)
    for arr in dec.values():
        ok = pc.and_(ok, pc.greater(arr, zero))
    ok = pc.and_(ok, col.in_range(dec[rules.price], _MIN_PRICE, _MAX_PRICE))
    if rules.order_price:
        ok = pc.and_(ok, col.in_range(dec[rules.order_price], _MIN_PRICE, _MAX_PRICE))
    if rules.fill_to_order_ratio:
        # Taken only well inside [1/2, 2] (a float ratio within 1e-9 of a bound goes down the reference
        # path, which divides at 28 digits): a float64 ratio is off by ~1e-16, far less than the margin.
        a, b = rules.fill_to_order_ratio
        ratio = pc.divide(pc.cast(dec[a], pa.float64()), pc.cast(dec[b], pa.float64()))
        ok = pc.and_(ok, pc.and_(pc.greater(ratio, 0.5 * (1 + _MARGIN)), pc.less(ratio, 2 * (1 - _MARGIN))))
    t_ms = got["ts_ms"].combine_chunks()
    ok = pc.and_(ok, col.in_range(t_ms, _TS_MIN_MS, _TS_MAX_MS, high_inclusive=False))
    recv = recv_all.take(index)
    ok = pc.and_(ok, recv_ok.take(index))
    known, symbol_columns = _instrument_columns(got["instrument_key"].combine_chunks(), ok, probe)
    ok = pc.and_(ok, known)
    factors = {**dec, "contract_size": pc.if_else(ok, symbol_columns["contract_size"], Decimal(1))}
    notional, fits = col.exact_product(*(factors[k] for k in rules.notional))
    ok = pc.and_(ok, fits)
    notional_order = notional
    if rules.notional_order:
        notional_order, fits = col.exact_product(*(factors[k] for k in rules.notional_order))
        ok = pc.and_(ok, fits)
    ok = ok.fill_null(False)
    ts_event = pc.multiply(pc.if_else(ok, t_ms, 0), 1_000_000)
    columns: dict[str, pa.Array] = {
        **{k: pa.repeat(pa.scalar(v, pa.string()), n) for k, v in {**m.constants, "source": str(source)}.items()},
        **symbol_columns,
        "market": got["market"].combine_chunks(),
        "liquidated_side": got["liquidated_side"].combine_chunks(),
        "venue_side": got["venue_side"].combine_chunks(),  # the venue's own spelling, as the record has it
        "price": dec[rules.price],
        "order_price": dec[rules.order_price] if rules.order_price else pa.nulls(n, col.MONEY),
        "quantity": dec[rules.quantity],
        "notional_usd": notional,
        "notional_order_usd": notional_order,
        "margin_mode": pa.nulls(n, pa.string()),
        "account": pa.nulls(n, pa.string()),
        "ts_event": ts_event,
        "ts_recv": recv,
        "event_id": got["event_id"].combine_chunks(),
        "raw_ref": ref_arr.take(index),
    }
    return pa.table(columns).filter(ok), index.filter(ok)
