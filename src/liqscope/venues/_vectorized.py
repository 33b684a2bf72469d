"""Run a venue's declared mapping (``venues/<id>/fast.toml``) over a whole batch: Arrow and DuckDB, no row loop.

A mapping declares each record shape as a template: the exact compact JSON the venue sends with every value
a typed placeholder. Arrow matches the template over the batch (one RE2 pass: it proves the keys, their
order, that each occurs once, every value's JSON type, no escape, plain decimal strings); one DuckDB
statement then reads every field of the records that match (``json_extract_string`` of every path at once),
checks the side and computes the scheme-2 event id (md5, ``liqscope._identity``). Arrow then casts the
decimals exactly, checks the bounds ``LiquidationEvent`` checks and multiplies the notionals (``_columnar``).
Symbol-derived columns come from the venue's reference parser, once per distinct symbol. A shape with arrays
has two plans: its records whose every array holds one element are read like a flat record (``$.data[0].x``,
one pass, no unnest), then the others by unnesting each level. No Python runs per record; a record that
fails any check is handed back to the per-record path (the reference), so the fast path only has to be right
about the records it takes (tests/test_normalize_batch.py).
"""

from __future__ import annotations

import contextvars
import enum
import json
import os
import re
import string
import threading
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope import _identity, _time
from liqscope._registry import BatchPart, ParseBatch
from liqscope.events import (
    _MAX_ID_CHARS,
    _TS_MAX_NS,
    _TS_MIN_NS,
    MAX_NOTIONAL_USD,
    MIN_NOTIONAL_USD,
    LiquidationEvent,
    Received,
    Source,
)
from liqscope.normalize import MAX_RECORD_BYTES, ascending
from liqscope.venues import _columnar as col
from liqscope.venues import _instruments

__all__ = ["PROBE_RX", "Mapping", "fast_path", "load", "run"]

_MIN_PRICE, _MAX_PRICE = Decimal(10) ** -10, Decimal(10) ** 8
_TS_MIN_MS, _TS_MAX_MS = _TS_MIN_NS // 1_000_000, _TS_MAX_NS // 1_000_000
_MARGIN = 1e-9
_BELOW_1E19 = Decimal("9999999999999999999.999999999999999999")
_CHUNK = 262_144  # records per SQL statement at most: bounds memory
_MIN_PART = 16_384  # below this many records a batch is not split across threads
_THREADS = max(1, min(4, os.cpu_count() or 1))


class Shape(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    template: str
    # Array levels: the template holds ``[<each>]`` once, for an array of records each matching each[0]; each[0]
    # may hold ``[<each>]`` for an array of each[1], and so on. One row per innermost element. A level may be a
    # list of templates, the same fields in other key orders: each element matches one of them.
    each: list[str | list[str]] = []
    # Field -> prefix, for records of this shape only, on top of ``mapping.require`` (Bybit inverse: the
    # allLiquidation array and the deprecated liquidation object are told apart by their topic).
    require: dict[str, str] = {}


class Agree(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: str
    map: dict[str, str]


class Sign(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    negative: str
    positive: str


class Flip(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: str
    map: dict[str, bool]


class Side(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: str
    map: dict[str, str]
    # A second field that, when it holds one of ``agree.map``'s keys, must name the same side (OKX's hedge-mode
    # posSide); any other value of it says nothing.
    agree: Agree | None = None
    # The side is the sign of ``field`` (an ``sdec``): the venue's value is ``sign.negative``/``sign.positive``,
    # then ``map`` applies (Gate's signed size). Its decimals are read without the sign.
    sign: Sign | None = None
    # A second field whose value says whether the liquidated side is the opposite of what ``map`` names
    # (Deribit: ``map`` reads the taker's direction, ``liquidation`` "M" = the maker was liquidated); a value
    # outside ``flip.map`` is not taken.
    flip: Flip | None = None


class Kind(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # The liquidation kind of each element, from a field: ``map`` venue value -> kind; an element whose value is
    # in ``skip`` is no liquidation (no row); a record with no other element goes down the reference path.
    field: str
    map: dict[str, str]
    skip: list[str] = []
    # The reference's reason for a record whose every element is skipped ("{elements} trade(s) on {market}, none
    # liquidated"): ``{elements}`` is the record's number of elements, ``{<field>}`` a field of the record's top
    # level. With it, such records are proven skips (``BatchPart.skipped``); without, they go down the reference path.
    reason: str | None = None


# Factors of a notional: one list, or one list per margining (the probe's ``margining``: "linear"/"inverse").
Factors = list[str] | dict[str, list[str]]


class Rules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    market: str
    side: Side
    price: str
    quantity: str
    notional: Factors
    ts_event: str
    # Fields whose values alone decide the instrument columns (kind, assets, margining, quantity unit,
    # contract size): the reference parser is run once per distinct combination (``Probe``).
    by_symbol: list[str]
    ts_unit: str = "ms"  # of ts_event: s, ms, us or ns
    order_price: str | None = None
    notional_order: Factors | None = None
    fill_to_order_ratio: list[str] | None = None
    # Field -> the prefix its value must start with (Bybit's topic "allLiquidation.").
    require: dict[str, str] = {}
    kind: Kind | None = None


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
        fields = [_shape_fields(shape) for shape in m.shapes]
    except (tomllib.TOMLDecodeError, msgspec.ValidationError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
    # The array placeholder is no field: a shape with arrays and one without may name the same fields.
    known = {name for level in fields[0] for name in level} - {_EACH}
    if any({name for level in f for name in level} - {_EACH} != known for f in fields):
        raise ValueError(f"{path}: every shape must name the same fields")
    r = m.mapping
    if r.ts_unit not in _TS_UNITS:
        raise ValueError(f"{path}: mapping.ts_unit is {r.ts_unit!r}; valid: {', '.join(_TS_UNITS)}")
    _check_extensions(path, m, _known_kinds(fields))
    if m.mapping.kind is not None and m.mapping.kind.reason is not None:
        top = {name for name in fields[0][0] if name != _EACH}
        try:
            named = _reason_fields(m.mapping.kind.reason)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        bad = [name for name in named if name != _ELEMENTS and name not in top]
        if bad:
            raise ValueError(f"{path}: mapping.kind.reason names {bad}; valid: {', '.join([_ELEMENTS, *sorted(top)])}")
    for factors in (r.notional, r.notional_order):
        if isinstance(factors, dict) and set(factors) - _MARGININGS:
            raise ValueError(f"{path}: notional keys {sorted(set(factors) - _MARGININGS)} are no margining; "
                             f"valid: {', '.join(sorted(_MARGININGS))}")
    used = {*r.by_symbol, r.market, r.side.field, r.price, r.quantity, *_all_factors(r.notional),
            *_all_factors(r.notional_order), r.ts_event, *m.identity.prefix, *r.require,
            *(f for f in m.identity.digest if not f.startswith("'")), *([r.side.agree.field] if r.side.agree else []),
            *(f for shape in m.shapes for f in shape.require),
            *(r.fill_to_order_ratio or []), *([r.order_price] if r.order_price else []),
            *([r.kind.field] if r.kind else []), *([r.side.flip.field] if r.side.flip else [])
            } - {"contract_size", _RECEIPT, _SIDE}
    if r.side.flip and set(r.side.map.values()) - set(_OPPOSITE):
        raise ValueError(f"{path}: a flipped side map names {sorted(set(r.side.map.values()) - set(_OPPOSITE))}; "
                         f"valid: {', '.join(_OPPOSITE)}")
    if used - known:
        raise ValueError(f"{path}: names no field {sorted(used - known)}; the templates' fields are {sorted(known)}")
    return m


_ELEMENTS = "elements"  # in a kind's reason: the record's number of elements


def _reason_fields(reason: str) -> list[str]:
    # The fields a reason names, strictly: "{name}" only (no format spec, conversion, index or attribute).
    try:
        parts = list(string.Formatter().parse(reason))
    except ValueError as e:
        raise ValueError(f"mapping.kind.reason {reason!r}: {e}") from None
    names = [name for _, name, spec, conv in parts if name is not None]
    if any(spec or conv for _, name, spec, conv in parts if name is not None) or not all(
            re.fullmatch(r"\w+", n) for n in names):
        raise ValueError(f"mapping.kind.reason {reason!r}: only plain {{name}} placeholders are read")
    return names


_TS_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_MARGININGS = {"linear", "inverse"}
_SIDE = "liquidated_side"  # an identity part that is no field: the side the mapping derives (LONG/SHORT)
_OPPOSITE = {"LONG": "SHORT", "SHORT": "LONG"}
_RECEIPT = "ts_recv"  # ts_event = "ts_recv": the record carries no time; the event's is its receipt time (BitMEX)


def _known_kinds(fields: list[list[dict[str, tuple[str, str]]]]) -> dict[str, str]:
    return {name: kind for level in fields[0] for name, (_, kind) in level.items()}


def _check_extensions(path: Path, m: Mapping, kinds: dict[str, str]) -> None:
    # The keys added for signed sides, ISO and receipt times and per-element kinds, checked strictly.
    r = m.mapping
    if r.side.sign is not None and kinds.get(r.side.field) != "sdec":
        raise ValueError(f"{path}: mapping.side.sign needs side.field {r.side.field!r} to be an <sdec:...> field")
    if any(kind == "sdec" and (name != r.side.field or r.side.sign is None) for name, kind in kinds.items()):
        raise ValueError(f"{path}: an <sdec:...> field is read only as the side's sign (mapping.side.sign)")
    time_kind = _RECEIPT if r.ts_event == _RECEIPT else kinds.get(r.ts_event)
    if time_kind in (_RECEIPT, "iso") and r.ts_unit != "ns":
        raise ValueError(f"{path}: ts_event {r.ts_event!r} is read in ns: mapping.ts_unit must be \"ns\"")
    if any(kind == "iso" for kind in kinds.values()) and time_kind != "iso":
        raise ValueError(f"{path}: an <iso:...> field is read only as mapping.ts_event")
    if r.kind is not None and "liquidation_kind" in m.constants:
        raise ValueError(f"{path}: liquidation_kind is both mapping.kind and a constant")


def _all_factors(factors: Factors | None) -> list[str]:
    if factors is None:
        return []
    return factors if isinstance(factors, list) else [f for fs in factors.values() for f in fs]


# Placeholder kind -> the bytes it matches (RE2), exactly what the reference decodes to the same value.
_KINDS = {
    "str": r'"[^"\\\x00-\x1f]*"',   # a JSON string without escapes or control characters: its text is its value
    "dec": f'"{col._PLAIN[1:-1]}"',     # a plain decimal string (see _columnar._PLAIN)
    "int": "[1-9][0-9]{0,17}",         # a positive JSON integer that fits int64
    "uint": "(?:0|[1-9][0-9]{0,17})",  # the same, or 0 (a field only matched, such as Deribit's tick_direction)
    "digits": '"[1-9][0-9]{0,17}"',    # a positive integer written as a JSON string ("1692266434010")
    # A plain decimal written as a JSON number (4469.5, 1120): msgspec decodes its text to Decimal exactly, but
    # DuckDB re-renders numbers (0.10 -> 0.1), so the statement reads these from the text (``_Plan.quote``).
    "num": col._PLAIN[1:-1],
    # A plain decimal string with an optional minus (Gate's signed size "-124"): str(Decimal) of it is its text.
    "sdec": f'"-?{col._PLAIN[1:-1]}"',
    # An ISO-8601 UTC time with 0 to 6 fractional digits and Z, the one form parse_iso_ns reads to the same ns
    # (datetime keeps 6 digits, so 7+ go down the reference path); ``_iso_ns_sql`` reads it, date checked.
    "iso": '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?Z"',
}
_PLACEHOLDER = re.compile(r'"?<(str|dec|int|uint|digits|num|sdec|iso)(?::(\w+))?>"?')
_EACH = "[<each>]"


def _alternatives(level: str | list[str]) -> list[str]:
    return [level] if isinstance(level, str) else level


def _shape_fields(shape: Shape) -> list[dict[str, tuple[str, str]]]:
    # One dict per level (the line, then each array level): field -> (JSON path within its level, kind).
    levels = [shape.template, *shape.each]
    for depth, level in enumerate(levels):
        if not _alternatives(level):
            raise ValueError(f"shape {shape.name!r}: level {depth} has no template")
        for template in _alternatives(level):
            if template.count(_EACH) != (depth < len(shape.each)):
                raise ValueError(f"shape {shape.name!r}: level {depth} must hold {_EACH} "
                                 f"{'once' if depth < len(shape.each) else 'nowhere'}")
    out: list[dict[str, tuple[str, str]]] = []
    for depth, level in enumerate(levels):
        first, *others = (_fields(t) for t in _alternatives(level))
        if any(other != first for other in others):  # the same paths and kinds: one statement reads them all
            raise ValueError(f"shape {shape.name!r}: the templates of level {depth} must hold the same fields")
        out.append(first)
    seen: set[str] = set()
    for fields in out:
        names = {n for n in fields if n != _EACH}
        if names & seen:
            raise ValueError(f"field {sorted(names & seen)[0]!r} appears twice in a template")
        seen |= names
    return out


def _fields(template: str) -> dict[str, tuple[str, str]]:
    # Field -> (JSON path, kind), read from the template made valid JSON (placeholders as strings); the
    # array placeholder, when there is one, is the entry _EACH (its path is the array's).
    out: dict[str, tuple[str, str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, str) and node == _EACH:
            out[_EACH] = (path, "each")
        elif isinstance(node, str) and (hit := re.fullmatch(_PLACEHOLDER.pattern[2:-2], node)) and hit[2]:
            if hit[2] in out:
                raise ValueError(f"field {hit[2]!r} appears twice in a template")
            out[hit[2]] = (path, hit[1])

    text = _PLACEHOLDER.sub(lambda h: f'"<{h[1]}{":" + h[2] if h[2] else ""}>"', template)
    walk(json.loads(text.replace(_EACH, json.dumps(_EACH))), "$")
    return out


def _pattern(levels: Sequence[str | list[str]], *, single: bool = False) -> str:
    # The template's bytes, escaped, with each placeholder (and its quotes) replaced by what it matches and
    # the array placeholder by one or more elements of the next level, comma-separated (``single``: exactly one).
    level, *rest = levels
    if not isinstance(level, str):  # alternatives: an element matches one of them
        return "|".join(f"(?:{_pattern([t, *rest], single=single)})" for t in level)
    template = level
    out, at = [], 0
    for hit in re.finditer(re.escape(_EACH) + "|" + _PLACEHOLDER.pattern, template):
        out.append(re.escape(template[at:hit.start()]))
        if hit[0] == _EACH:
            item = _pattern(rest, single=single)
            out.append(f"\\[(?:{item})\\]" if single else f"\\[(?:{item})(?:,(?:{item}))*\\]")
        else:
            out.append(_KINDS[hit[1]])
        at = hit.end()
    return "".join([*out, re.escape(template[at:])])


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class _Plan(msgspec.Struct, frozen=True, kw_only=True):
    prefix: str   # the template's bytes up to its first placeholder: a cheap first screen
    pattern: str  # the whole template as an anchored RE2 pattern
    # (RE2 pattern, rewrite) that puts quotes around the values of the ``num`` fields of a matched record, so
    # DuckDB reads their text, not a float; None when there is no ``num`` field. The template proved each such
    # key occurs only as a key (a matched string holds no quote) and its value a plain decimal.
    quote: tuple[str, str] | None = None
    sql: str      # reads the records that match: one row per innermost element
    # Its columns that order the rows: the record ("n"), then each array level's 1-based position ("k1", ...).
    order: list[str]


# id(mapping) -> (the mapping, its plans). The mapping is kept with its plans: an id is unique only while its
# object lives, and a mapping loaded and freed (a test's) must not hand its plans to the next one at that id.
_PLANS: dict[int, tuple[Mapping, list[_Plan]]] = {}


def _plans(m: Mapping) -> list[_Plan]:
    entry = _PLANS.get(id(m))
    if entry is None or entry[0] is not m:
        # A shape with arrays gets a plan for its records whose every array holds one element first (most of
        # them: Bybit's, OKX's and Deribit's pushes), read in one pass over the record like a flat one, then the
        # general plan for the others: 2-3x faster statements than unnesting and re-parsing every element.
        entry = _PLANS[id(m)] = (m, [plan for shape in m.shapes for plan in (
            [_plan(m, shape, single=True), _plan(m, shape)] if shape.each else [_plan(m, shape)])])
    return entry[1]


def _one_element(levels: list[dict[str, tuple[str, str]]]) -> list[dict[str, tuple[str, str]]]:
    # The fields of every level as those of one flat level, at their paths in a record whose every array holds
    # exactly one element ("$.data[0].details[0].sz").
    out: dict[str, tuple[str, str]] = {}
    prefix = "$"
    for fields in levels:
        inner = prefix
        for name, (path, kind) in fields.items():
            if name == _EACH:
                inner = f"{prefix}{path[1:]}[0]"
            else:
                out[name] = (f"{prefix}{path[1:]}", kind)
        prefix = inner
    return [out]


def _plan(m: Mapping, shape: Shape, *, single: bool = False) -> _Plan:
    levels = _shape_fields(shape)
    if single:
        levels = _one_element(levels)
    cols: dict[str, str] = {}
    kinds: dict[str, str] = {}
    extracts, order, rows = [], ["n"], "lines"
    for depth, fields in enumerate(levels):
        source = "line" if depth == 0 else f"e{depth}"
        names = [n for n in fields if n != _EACH]
        cols |= {n: f"v{depth}[{k + 1}]" for k, n in enumerate(names)}
        kinds |= {n: fields[n][1] for n in names}
        if names:
            extracts.append(f"json_extract_string({source}, [{', '.join(_lit(fields[n][0]) for n in names)}]) "
                            f"AS v{depth}")
        if _EACH in fields:
            # unnest in the projection (the array and its 1-based positions, zipped): 2.7-3.7x faster in DuckDB
            # than a lateral join WITH ORDINALITY, the same rows.
            arr, elem, pos = f"a{depth + 1}", f"e{depth + 1}", f"k{depth + 1}"
            rows = (f"(SELECT *, unnest({arr}) AS {elem}, unnest(range(1, len({arr}) + 1)) AS {pos} FROM "
                    f"(SELECT *, json_extract({source}, {_lit(fields[_EACH][0] + '[*]')}) AS {arr} FROM {rows}))")
            order.append(f"k{depth + 1}")
    rules = m.mapping
    venue_side = _side_value(rules.side, cols[rules.side.field])
    values = {d: f"ltrim({cols[d]}, '-')" if kinds[d] == "sdec" else cols[d] for d in cols}  # decimals unsigned
    checks = [f"{venue_side} IN ({', '.join(_lit(k) for k in rules.side.map)})"]
    if (agree := rules.side.agree) is not None:
        # When the second field names a side, it is the same one.
        checks += [f"NOT ({cols[agree.field]} = {_lit(k)} AND {venue_side} NOT IN "
                   f"({', '.join(_lit(s) for s, side in rules.side.map.items() if side == v) or 'NULL'}))"
                   for k, v in agree.map.items()]
    checks += [f"starts_with({cols[f]}, {_lit(prefix)})" for f, prefix in [*rules.require.items(),
                                                                           *shape.require.items()]]
    if (flip := rules.side.flip) is not None:
        checks.append(f"{cols[flip.field]} IN ({', '.join(_lit(k) for k in flip.map)})")
    # str(Decimal(s)) == s for a plain decimal, except that str() writes 0.000000x in scientific notation.
    checks += [f"NOT starts_with({values[d]}, {_lit(col._SCIENTIFIC_IN_STR)})" for d, kind in kinds.items()
               if kind in ("dec", "num", "sdec")]
    side = _side_sql(rules.side, venue_side, cols)
    part = {**cols, _SIDE: side}  # identity parts: the fields, and the derived side
    digest = [_identity.digest_sql(*(f if f.startswith("'") else part[f] for f in m.identity.digest))
              ] if m.identity.digest else []  # none: the venue's own id is the identity (BitMEX's orderID)
    event_id = "concat_ws(':', " + ", ".join([_lit(m.venue), *(part[f] for f in m.identity.prefix), *digest]) + ")"
    # An identity part the probe never saw (a venue's own id, BitMEX's orderID) must be printable ASCII without
    # a space, and the whole id within LiquidationEvent's length (counted in bytes: never fewer than characters).
    free = [f for f in m.identity.prefix if kinds.get(f) == "str" and f not in rules.by_symbol]
    checks += [f"regexp_full_match({cols[f]}, '[!-~]*')" for f in free]
    if free:  # else every part is bounded: a probed name (<= 64 characters), digits, the digest
        checks.append(f"strlen({event_id}) <= {_MAX_ID_CHARS}")
    kind_columns: list[str] = []
    if (kind := rules.kind) is not None:
        checks.append(f"{cols[kind.field]} IN ({', '.join(_lit(k) for k in [*kind.map, *kind.skip])})")
        kind_columns = ["CASE " + " ".join(f"WHEN {cols[kind.field]} = {_lit(k)} THEN {_lit(v)}"
                                           for k, v in kind.map.items()) + " END AS liquidation_kind",
                        f"{cols[kind.field]} IN ({', '.join(map(_lit, kind.skip)) or 'NULL'}) AS skipped",
                        *(f"{cols[f]} AS reason_{f}" for f in dict.fromkeys(_reason_fields(kind.reason or ""))
                          if f != _ELEMENTS)]
    if rules.ts_event == _RECEIPT:
        ts_event = "NULL::BIGINT"  # _finish takes the receipt time
    elif kinds[rules.ts_event] == "iso":
        ts_event = _iso_ns_sql(cols[rules.ts_event])
    else:
        ts_event = f"CAST({cols[rules.ts_event]} AS BIGINT)"
    if kind is not None and kind.skip:
        # An element that is no liquidation gives no row, and the reference never reads its time (dYdX's LIMIT
        # trades, most of a real v4_trades feed): not read here either (an ISO time is ~1 us an element).
        ts_event = f"CASE WHEN {cols[kind.field]} IN ({', '.join(map(_lit, kind.skip))}) THEN NULL ELSE {ts_event} END"
    decimals = _decimals(rules)
    key = "concat_ws(chr(31), " + ", ".join(cols[f] for f in rules.by_symbol) + ")"
    select = ["n", f"{key} AS instrument_key", f"{' AND '.join(checks)} AS ok", f"{cols[rules.market]} AS market",
              f"{side} AS liquidated_side", f"{venue_side} AS venue_side",
              f"{ts_event} AS ts_event", f"{event_id} AS event_id",
              *(f"{values[d]} AS {d}" for d in decimals), *kind_columns]
    inner = f"SELECT {', '.join([*order, *extracts])} FROM {rows}"
    # No ORDER BY: on one thread DuckDB emits the unnested rows in record then element order, which _in_order
    # checks (and sorts, should it ever not hold) in a pass over the positions, ~8% of an array statement less.
    select += order[1:]
    sql = f"SELECT {', '.join(select)} FROM ({inner})"
    template = shape.template
    keys = sorted({levels[d][n][0].rsplit(".", 1)[-1] for d in range(len(levels)) for n in levels[d]
                   if levels[d][n][1] == "num"})
    quote = (f'"({"|".join(map(re.escape, keys))})":([0-9.]+)', '"\\1":"\\2"') if keys else None
    pattern = _pattern([template, *shape.each], single=single)
    return _Plan(prefix=template[:template.index("<")], pattern=f"^{pattern}$", sql=sql, quote=quote, order=order)


def _side_sql(side: Side, venue_side: str, cols: dict[str, str]) -> str:
    # The liquidated side: ``side.map`` of the venue's side value, the opposite where ``side.flip`` says so.
    flips = [(f" AND {cols[side.flip.field]} = {_lit(k)}", flipped) for k, flipped in side.flip.map.items()
             ] if side.flip else [("", False)]
    when = [(f"{venue_side} = {_lit(k)}{also}", _OPPOSITE[v] if flipped else v)
            for also, flipped in flips for k, v in side.map.items()]
    return "CASE " + " ".join(f"WHEN {c} THEN {_lit(v)}" for c, v in when) + " END"


def _side_value(side: Side, column: str) -> str:
    # The venue's side value: the field's, or its sign's spelling (``Side.sign``).
    if side.sign is None:
        return column
    return f"CASE WHEN starts_with({column}, '-') THEN {_lit(side.sign.negative)} ELSE {_lit(side.sign.positive)} END"


def _iso_ns_sql(column: str) -> str:
    # ns of an ``iso`` value (the template proved its form: YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z), exactly parse_iso_ns:
    # the date and time must be real (strptime, then rendered back to the same text: no day 30 of February, no
    # hour 24, no second 60), the fraction is right-padded to ns. NULL (not taken) for anything else, and for a
    # year outside 2009..2099 (which no event may have; it would overflow epoch_ns).
    whole, fmt = f"left({column}, 19)", "'%Y-%m-%dT%H:%M:%S'"
    parsed = f"try_strptime({whole}, {fmt})"
    fraction = f"CAST(rpad(CASE WHEN length({column}) > 20 THEN substr({column}, 21, length({column}) - 21) " \
               f"ELSE '' END, 9, '0') AS BIGINT)"
    return (f"CASE WHEN left({column}, 4) BETWEEN '2009' AND '2099' AND strftime({parsed}, {fmt}) = {whole} "
            f"THEN epoch_ns({parsed}) + {fraction} END")


def _decimals(rules: Rules) -> list[str]:
    return sorted({rules.price, rules.quantity, *_all_factors(rules.notional), *_all_factors(rules.notional_order),
                   *([rules.order_price] if rules.order_price else [])} - {"contract_size"})


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
    if set(map(type, ts_recv)) <= {int}:
        recv, recv_fits = col.to_int64(list(ts_recv))
    else:  # LiquidationEvent takes only int (not bool, float, numpy) receipt times
        recv, recv_fits = col.to_int64([t if type(t) is int else 0 for t in ts_recv])
        recv_fits = pc.and_(recv_fits, pa.array([type(t) is int for t in ts_recv], type=pa.bool_()))
    recv_ok = pc.and_(recv_fits, col.in_range(recv, _TS_MIN_NS, _TS_MAX_NS, high_inclusive=False))
    ref_arr = pa.array(refs, type=pa.string())
    # Converted here, once: building an Arrow array from Python objects holds the GIL, and two parts doing it at
    # once on two threads took 3-6x as long as one after the other.
    all_lines = col.strings(raws)

    def part(start: int, end: int) -> tuple[list[tuple[pa.Table, pa.Array]], dict[int, str]]:
        out = []
        skips: dict[int, str] = {}
        con = _database().cursor()  # a connection of its own (its own registered "lines"), no new database
        try:
            lines = all_lines.slice(start, end - start)
            # The records no plan has matched yet (one shape per record, at most), and their indices: each plan's
            # patterns run over these only (the general plan of an array shape sees what its one-element plan left).
            free = pc.less_equal(pc.binary_length(lines), MAX_RECORD_BYTES)
            rest, at = lines.filter(free), pc.add(pc.indices_nonzero(free).cast(pa.int64()), start)
            for plan in _plans(m):
                if not len(rest):
                    break
                mask = pc.and_(pc.starts_with(rest, plan.prefix), pc.match_substring_regex(rest, plan.pattern))
                index = at.filter(mask)
                if not len(index):
                    continue
                matched = rest.filter(mask)
                rest, at = rest.filter(pc.invert(mask)), at.filter(pc.invert(mask))
                if plan.quote is not None:
                    matched = pc.replace_substring_regex(matched, plan.quote[0], plan.quote[1])
                con.register("lines", pa.table({"n": index, "line": matched}))
                got = _in_order(con.sql(plan.sql).to_arrow_table(), plan.order)
                con.unregister("lines")
                out.append(_finish(m, got, recv, recv_ok, ref_arr, source, probe, arrays=len(plan.order) > 1))
                skips.update(_skips(m, got))
        finally:
            con.close()
        return out, skips

    # Parts run on a thread each (Arrow and DuckDB release the GIL); each in a copy of the caller's context,
    # so a probe sees the instrument tables the caller set (venues._instruments.using).
    size = min(_CHUNK, max(_MIN_PART, -(-len(raws) // _THREADS)))
    bounds = [(start, min(start + size, len(raws))) for start in range(0, len(raws), size)]
    if len(bounds) == 1:
        parts = [part(*bounds[0])]
    else:
        with ThreadPoolExecutor(min(_THREADS, len(bounds))) as pool:
            # Copied here, in the caller's thread (copy_context() inside the pool would copy the worker's own
            # context, without the caller's tables), one copy per part (a context runs on one thread at a time).
            contexts = [contextvars.copy_context() for _ in bounds]
            parts = list(pool.map(lambda c, b: c.run(part, *b), contexts, bounds))
    tables = [t for p, _ in parts for t, _ in p]
    rows = [r for p, _ in parts for _, r in p]
    skipped = {i: reason for _, s in parts for i, reason in s.items()}
    if len(tables) > 1:
        # Several parts (in record order) or shapes (interleaved): one table, back in record order. Parts of one
        # shape are in order already, checked in a pass; the sort and its take (~10% of an ingest chunk's
        # normalize) run only when several shapes interleave. A stable sort keeps each record's elements' order.
        index = pa.chunked_array(rows, type=pa.int64()).combine_chunks()
        table = pa.concat_tables(tables)
        if not ascending(index, strictly=False):
            order = pc.sort_indices(index)
            table, index = table.take(order), index.take(order)
        tables, rows = [table], [index]
    taken = pa.chunked_array(rows, type=pa.int64()).combine_chunks() if rows else pa.array([], type=pa.int64())
    if pc.count_distinct(taken).as_py() + len(skipped) == len(raws):  # every record taken or skipped (the common
        fallback = []                                                    # case): nothing to find
    else:
        everything = pa.array(range(len(raws)), type=pa.int64())
        done = pc.is_in(everything, pa.concat_arrays([taken, pa.array(list(skipped), type=pa.int64())]))
        fallback = everything.filter(pc.invert(done)).to_pylist()
    return BatchPart(table=tables[0] if tables else None, rows=taken, fallback=fallback, skipped=skipped)


# One in-memory DuckDB for every batch (opening one costs 20-40 ms, a cursor ~10 us), on one thread per query:
# a batch is split into parts on threads of our own, and DuckDB's own scheduling costs ~10 ms per statement
# (a 10-record batch took 12 ms with DuckDB's threads, 3 ms without), which is what a live commit pays.
_DATABASE: list[Any] = []
_DATABASE_LOCK = threading.Lock()


def _database() -> Any:
    with _DATABASE_LOCK:
        if not _DATABASE:
            import duckdb

            _DATABASE.append(duckdb.connect(config={"threads": 1}))
        return _DATABASE[0]


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


# (probe, the instrument tables in use, key) -> its probe row. A probe is the reference parser run on the key and
# valid numbers: its answer depends on nothing else (the venue's constants and the tables, named by their
# content digests), so a live capture, which commits a few thousand frames at a time over the same few hundred
# symbols, probes each symbol once, not once per commit (~57 us each, 16% of a 1,000-frame commit).
_PROBED: dict[tuple[Probe, tuple[tuple[str, str], ...], str], tuple[object, ...] | None] = {}
_PROBED_MAX = 200_000  # entries; cleared when full (a venue lists a few thousand instruments)
_PROBED_LOCK = threading.Lock()


def _probed(probe: Probe, tables: tuple[tuple[str, str], ...], key: str) -> tuple[object, ...] | None:
    cache_key = (probe, tables, key)
    with _PROBED_LOCK:
        if cache_key in _PROBED:
            return _PROBED[cache_key]
    row = _probe_row(probe, key)
    with _PROBED_LOCK:
        if len(_PROBED) >= _PROBED_MAX:
            _PROBED.clear()
        _PROBED[cache_key] = row
    return row


def _instrument_columns(keys: pa.Array, ok: pa.Array, probe: Probe) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (mask of the keys the reference parser accepts, instrument columns): one probe per distinct key.
    keys = pc.if_else(ok, keys, "").fill_null("")
    unique = pc.unique(keys)
    index = pc.index_in(keys, unique)
    tables = _instruments.active_digests()
    found = [_probed(probe, tables, k) if k else None for k in unique.to_pylist()]
    columns = {k: pa.array([f[j] if f else None for f in found], type=col.MONEY if k == "contract_size" else
                           pa.string()).take(index) for j, k in enumerate(_BY_INSTRUMENT)}
    return pa.array([f is not None for f in found], type=pa.bool_()).take(index), columns


def _finish(m: Mapping, got: pa.Table, recv_all: pa.Array, recv_ok: pa.Array, ref_arr: pa.Array, source: Source,
            probe: Probe, *, arrays: bool) -> tuple[pa.Table, pa.Array]:
    rules = m.mapping
    n = got.num_rows
    index = got["n"].combine_chunks()
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
    unit = _TS_UNITS[rules.ts_unit]
    recv = recv_all.take(index)
    t_raw = recv if rules.ts_event == _RECEIPT else got["ts_event"].combine_chunks()
    # An ISO time is read by parse_iso_ns, which also refuses a time before _time.MIN_NS (2009-01-03).
    low = max(_TS_MIN_NS, _time.MIN_NS) if _is_iso_time(m) else _TS_MIN_NS
    in_time = col.in_range(t_raw, -(-low // unit), -(-_TS_MAX_NS // unit), high_inclusive=False)
    if rules.kind is not None and rules.kind.skip:  # a skipped element's time is not read (_plan): no bound
        in_time = pc.or_(in_time, got["skipped"].combine_chunks().fill_null(False))
    ok = pc.and_(ok, in_time)
    ok = pc.and_(ok, recv_ok.take(index))
    known, symbol_columns = _instrument_columns(got["instrument_key"].combine_chunks(), ok, probe)
    ok = pc.and_(ok, known)
    factors = {**dec, "contract_size": pc.if_else(ok, symbol_columns["contract_size"], Decimal(1))}
    notional, fits = _notional(rules.notional, factors, symbol_columns["margining"])
    ok = pc.and_(ok, fits)
    notional_order = notional
    if rules.notional_order:
        notional_order, fits = _notional(rules.notional_order, factors, symbol_columns["margining"])
        ok = pc.and_(ok, fits)
    ok = ok.fill_null(False)
    if arrays and got.num_rows and len(pc.unique(index)) != got.num_rows:
        # A record is taken whole or not at all: one element the fast path is unsure of sends it all back.
        ok = pc.and_(ok, pc.invert(pc.is_in(index, pc.unique(index.filter(pc.invert(ok))))))
    kind_columns: dict[str, pa.Array] = {}
    if rules.kind is not None:
        ok, kind_columns = _kinds(got, index, ok)
    ts_event = pc.multiply(pc.if_else(ok, t_raw, 0), unit)
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
        **kind_columns,
    }
    if rules.kind is not None:  # the elements that are no liquidation give no row
        ok = pc.and_(ok, pc.invert(got["skipped"].combine_chunks()))
    return pa.table(columns).filter(ok), index.filter(ok)


def _skips(m: Mapping, got: pa.Table) -> dict[int, str]:
    # Record index -> the reference's reason, for the records (template proven) whose every element the kind
    # skips (``Kind.reason``). The reference reads nothing else of such a record: it raises NotALiquidation.
    kind = m.mapping.kind
    if kind is None or kind.reason is None or not got.num_rows:
        return {}
    fields = list(dict.fromkeys(f for f in _reason_fields(kind.reason) if f != _ELEMENTS))
    grouped = pa.table({"n": got["n"], "skipped": got["skipped"].combine_chunks().fill_null(False),
                        **{f: got[f"reason_{f}"] for f in fields}}).group_by("n", use_threads=False).aggregate(
        [("skipped", "all"), ("skipped", "count"), *((f, "min") for f in fields)])
    grouped = grouped.filter(grouped["skipped_all"])
    if not grouped.num_rows:
        return {}
    values = {_ELEMENTS: pc.cast(grouped["skipped_count"], pa.string()), **{f: grouped[f"{f}_min"] for f in fields}}
    pieces: list[Any] = []
    for literal, name, _, _ in string.Formatter().parse(kind.reason):
        pieces += [literal] if literal else []
        pieces += [values[name]] if name is not None else []
    reasons = pc.binary_join_element_wise(*pieces, "") if pieces else pa.repeat(pa.scalar(""), grouped.num_rows)
    return dict(zip(grouped["n"].to_pylist(), (reasons if isinstance(reasons, pa.ChunkedArray | pa.Array)
                                                else pa.repeat(reasons, grouped.num_rows)).to_pylist(), strict=True))


def _in_order(got: pa.Table, order: list[str]) -> pa.Table:
    # The rows in record then element order: checked (each row's positions after the previous row's), sorted
    # only if they are not.
    if len(order) == 1 or got.num_rows < 2:
        return got
    keys = [got[c].combine_chunks() for c in order]
    after: pa.Array | None = None  # row i + 1 after row i, compared from the last position up
    for key in reversed(keys):
        a, b = key.slice(0, len(key) - 1), key.slice(1)
        after = pc.less(a, b) if after is None else pc.or_(pc.less(a, b), pc.and_(pc.equal(a, b), after))
    if pc.all(after).as_py():
        return got
    return got.take(pc.sort_indices(got, sort_keys=[(c, "ascending") for c in order]))


def _is_iso_time(m: Mapping) -> bool:
    return m.mapping.ts_event != _RECEIPT and _known_kinds([_shape_fields(m.shapes[0])])[m.mapping.ts_event] == "iso"


def _kinds(got: pa.Table, index: pa.Array, ok: pa.Array) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (ok, the liquidation_kind column) under ``Rules.kind``: a record whose every element is skipped is not
    # taken (the reference skips it as no liquidation).
    skipped = got["skipped"].combine_chunks().fill_null(True)
    live = pc.unique(index.filter(pc.invert(skipped)))
    ok = pc.and_(ok, pc.is_in(index, live))
    return ok, {"liquidation_kind": got["liquidation_kind"].combine_chunks()}


def _notional(factors: Factors, values: dict[str, pa.Array], margining: pa.Array) -> tuple[pa.Array, pa.Array]:
    # (the exact product of the factors as the lake stores it, the mask of rows where it is exact and sane).
    if isinstance(factors, list):
        return _product([values[k] for k in factors])
    out: pa.Array | None = None
    ok = pa.repeat(pa.scalar(False), len(margining))
    for kind, names in factors.items():
        product, fits = _product([values[k] for k in names])
        mine = pc.equal(margining, kind).fill_null(False)
        out = product if out is None else pc.if_else(mine, product, out)
        ok = pc.or_(ok, pc.and_(mine, fits))
    assert out is not None  # a mapping's dict has at least one margining (msgspec: non-empty by load's check)
    return out, ok


def _product(arrs: list[pa.Array]) -> tuple[pa.Array, pa.Array]:
    # Factors beyond two: each partial product is taken only when it is exact at 18 decimals and < 1E+19, so
    # the last exact_product sees what events.mul would (it multiplies exactly and the store rounds once).
    if len(arrs) == 1:
        return arrs[0], col.in_range(arrs[0], MIN_NOTIONAL_USD, MAX_NOTIONAL_USD)
    acc, ok = arrs[0], pa.repeat(pa.scalar(True), len(arrs[0]))
    for nxt in arrs[1:-1]:
        exact = pc.multiply(pc.cast(acc, pa.decimal256(37, 18)), pc.cast(nxt, pa.decimal256(38, 18)))
        fits = pc.and_(pc.equal(exact, pc.round(exact, ndigits=18)), col.in_range(exact, 0, _BELOW_1E19))
        fits = fits.fill_null(False)
        ok = pc.and_(ok, fits)
        acc = pc.cast(pc.if_else(fits, exact, pa.scalar(Decimal(0), exact.type)), col.MONEY)
    product, fits = col.exact_product(acc, arrs[-1])
    return product, pc.and_(ok, fits)


# The receipt a probe record is parsed with (its time is inside every venue's bounds).
PROBE_RX = Received(ts_ns=1_700_000_000_000_000_000, ref="probe")


def fast_path(m: Mapping, probe: Probe) -> ParseBatch:
    """A venue's ``parse_batch`` (``VenueSpec.parse_batch``): its mapping run over a batch with its probe.

    The function normalizes the records the mapping takes and hands back every other one (see ``run``).
    """

    def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
        return run(m, raws, ts_recv, refs, source, probe)

    parse_batch.__doc__ = (f"The declared fast path of {m.venue} (venues/{m.venue}/fast.toml): normalize the records "
                           "it takes in columns; hand back every record it is not sure of.")
    return parse_batch
