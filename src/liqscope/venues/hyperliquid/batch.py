"""Vectorized fast path for ``node_fills_by_block`` lines (``SPEC.parse_batch``): the shape declared in ``fast.toml``.

It takes a line only when it can prove the per-record path (``wire.decode_line`` + ``parse.parse_node_line`` +
``normalize_record``, the reference) would give exactly the same outcome, and hands every other line back:

1. Proof (Arrow, one RE2 pass): the line is the declared block shape byte for byte, so the reference decodes
   it, no key repeats (``duplicate_key_failure`` finds nothing) and every string is its own text.
2. A proven line without a ``"liquidation":{`` key (most real blocks) is *skipped* with the reference's reason
   (``BatchPart.skipped``): the reference raises ``NotALiquidation`` before it reads anything else.
3. The other proven lines are split into their legs (Arrow: within a proven line ``}],["`` only ever separates
   two legs); the liquidation legs' fields are read by one RE2 extraction; one DuckDB statement groups them into
   trades by ``(coin, tid)`` with ``parse.trade_event``'s rules (first leg's liquidation object, side from the
   liquidated user's own leg, ADL from ``dir``, margin mode from the first ``Liquidated ...`` leg). Arrow casts
   the decimals exactly, checks every bound ``LiquidationEvent`` checks and multiplies the notionals.
4. A block is taken only when every one of its trades passed every check; one failing trade sends the whole
   block down the reference path (which then quarantines it, or not). Instrument columns come from the
   reference parser itself, once per distinct coin (``probe``).

No Python runs per record or per leg, only per distinct coin.
"""

from __future__ import annotations

import enum
import json
import re
import tomllib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope._registry import BatchPart
from liqscope.events import _TS_MAX_NS, _TS_MIN_NS, LiquidationEvent, LiquidationKind, PriceKind, Received, Source
from liqscope.normalize import MAX_RECORD_BYTES
from liqscope.venues import _columnar as col
from liqscope.venues.hyperliquid import parse, wire

__all__ = ["KINDS", "SHAPE", "parse_batch", "probe"]

# Value kind -> the bytes it matches (RE2): only JSON values wire.Block decodes, to the value the text spells.
KINDS = {
    "str": r'"[^"\\\x00-\x1f]*"',                           # a string without escapes or control characters
    "int": "(?:0|[1-9][0-9]{0,17})",                         # a non-negative integer that fits int64
    "int_or_null": "(?:null|0|[1-9][0-9]{0,17})",
    "bool": "(?:true|false)",
    "dec": r'"-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,30})?"',  # a plain decimal string (Decimal reads it as is)
    "price": f'"{col._PLAIN[1:-1]}"',  # what the lake holds exactly: < 1E+19, at most 18 decimals, no sign
    # node time, UTC, no zone: "2025-10-27T17:00:02.684975680" (parse.node_time_ns reads it)
    "node_time": r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"',
}
_LIQUIDATION_KEY = '"liquidation":{'  # in a proven line only a liquidation object's key spells this
_CHUNK = 65_536                        # records per pass: bounds memory, not speed
_CHUNK_BYTES = 1 << 30
_LIQUIDATED_FIELDS = ("liquidatedUser", "method")


class Shape(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The declared shape (``fast.toml``): each object's ``[key, kind]`` pairs in order, ``key?`` optional."""

    venue: str
    block: list[tuple[str, str]]
    fill: list[tuple[str, str]]
    liquidation: list[tuple[str, str]]


def load(path: Path) -> Shape:
    """Read and check a shape file (strict: unknown keys and kinds are errors naming the file)."""
    try:
        shape = msgspec.convert(tomllib.loads(path.read_text()), Shape)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as e:
        raise ValueError(f"{path}: {e}") from None
    objects = {"fills": None, "liquidation": None}
    for name, fields in (("block", shape.block), ("fill", shape.fill), ("liquidation", shape.liquidation)):
        for key, kind in fields:
            if kind not in KINDS and kind not in objects:
                raise ValueError(f"{path}: {name}.{key} has kind {kind!r}; valid: {sorted([*KINDS, *objects])}")
    keys = {"block": [k for k, _ in shape.block], "fill": [k.rstrip("?") for k, _ in shape.fill],
            "liquidation": [k for k, _ in shape.liquidation]}
    needed = {"block": ["local_time", "block_number", "events"],
              "fill": ["coin", "px", "sz", "side", "time", "dir", "tid", "liquidation"],
              "liquidation": list(_LIQUIDATED_FIELDS)}
    for name, want in needed.items():
        if missing := [k for k in want if k not in keys[name]]:
            raise ValueError(f"{path}: {name} names no {missing}; the fast path reads them")
        if len(set(keys[name])) != len(keys[name]):
            raise ValueError(f"{path}: {name} names a key twice")
    if any(k.endswith("?") for k, _ in (*shape.block, *shape.liquidation)) or shape.fill[0][0].endswith("?"):
        raise ValueError(f"{path}: only fill keys after the first may be optional")
    return shape


def _object(fields: list[tuple[str, str]], values: dict[str, str]) -> str:
    # An object's bytes: every key in order, an optional one inside an optional group (so at most once).
    out = []
    for i, (key, kind) in enumerate(fields):
        member = ("," if i else "") + f'"{re.escape(key.rstrip("?"))}":' + values.get(kind, KINDS.get(kind, ""))
        out.append(f"(?:{member})?" if key.endswith("?") else member)
    return r"\{" + "".join(out) + r"\}"


def _pattern(shape: Shape) -> str:
    if shape.block[0] != ("local_time", "node_time"):
        raise ValueError("the block's first key must be local_time (node_time): it starts every proven line")
    liquidation = _object(shape.liquidation, {})
    fill = r"\[" + KINDS["str"] + "," + _object(shape.fill, {"liquidation": liquidation}) + r"\]"
    return "^" + _object(shape.block, {"fills": rf"\[(?:{fill}(?:,{fill})*)?\]"}) + "$"


SHAPE = load(Path(__file__).with_name("fast.toml"))
_BLOCK = _pattern(SHAPE)
# What is read of a proven line besides its events: local_time (seconds, fraction) and the block number.
_HEADER = r'^\{"local_time":"(?P<seconds>[^".]*)(?:\.(?P<fraction>[0-9]*))?",'
_NUMBER = r'"block_number":(?P<number>[0-9]+),"events":'

_PROBE_TIME_MS = 1_700_000_000_000
_PROBE_RX = Received(ts_ns=_PROBE_TIME_MS * 1_000_000, ref="probe")
_ONE = Decimal(1)
_BY_INSTRUMENT = ("instrument_kind", "base_asset", "quote_asset", "settle_asset", "margining", "quantity_unit",
                  "contract_size", "contract_size_unit")


def probe(coin: str) -> LiquidationEvent:
    """The reference parser's event for a liquidation trade of ``coin`` with valid numbers (its instrument columns)."""
    liquidation = wire.Liquidation(liquidatedUser="0x0", markPx=_ONE, method="market")
    fill = wire.Fill(coin=coin, px=_ONE, sz=_ONE, side="A", time=_PROBE_TIME_MS, startPosition=_ONE,
                     dir="Close Long", closedPnl=_ONE, hash="0x0", oid=1, crossed=True, fee=_ONE, tid=1,
                     liquidation=liquidation)
    return parse.trade_event([("0x0", fill)], _PROBE_RX.ts_ns, _PROBE_RX)


def _probe_row(coin: str) -> tuple[object, ...] | None:
    try:
        event = probe(coin)
    except Exception:  # whatever it is, the per-record path meets it again and decides
        return None
    return tuple(v.value if isinstance(v, enum.Enum) else v for v in (getattr(event, k) for k in _BY_INSTRUMENT))


def _instrument_columns(coins: pa.Array) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (mask of the coins the reference parser accepts, their instrument columns): one probe per distinct coin.
    unique = pc.unique(coins)
    index = pc.index_in(coins, unique)
    found = [_probe_row(c) for c in unique.to_pylist()]
    columns = {k: pa.array([f[j] if f else None for f in found],
                           type=col.MONEY if k == "contract_size" else pa.string()).take(index)
               for j, k in enumerate(_BY_INSTRUMENT)}
    return pa.array([f is not None for f in found], type=pa.bool_()).take(index), columns


def _case(column: str, mapping: dict[str, Any]) -> str:
    whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(str(v))}" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# One DuckDB statement from the liquidation lines to their trades. The legs: every perp leg with a liquidation
# object, in line order, with what parse.trade_event reads of it (json_transform reads the fill; a proven
# line decodes). The trades: parse.trade_event per (coin, tid) of a block: the first leg's liquidation
# object names the liquidated user; the side is read from that user's first own leg, else (a lone leg) from
# the counterparty's; every leg must agree on px/sz/time (compared as text here: equal decimals spelled
# differently go down the reference path, which compares values). Trades come in line order, then in order
# of their first leg (the reference's dict order).
_FILL_TYPE = {"coin": "VARCHAR", "px": "VARCHAR", "sz": "VARCHAR", "side": "VARCHAR", "time": "VARCHAR",
              "dir": "VARCHAR", "tid": "VARCHAR", "liquidation": {k: "VARCHAR" for k in _LIQUIDATED_FIELDS}}
_LIQUIDATED = _lit(parse._LIQUIDATED_DIR.pattern)
_TRADES_SQL = f"""
WITH legs AS (
    SELECT blk, leg, users[leg + 1] AS trader, f.coin, f.px, f.sz, f.side, f.time, f.dir, f.tid,
           f.liquidation.liquidatedUser AS victim, f.liquidation.method AS method
    FROM (SELECT blk, users, leg, pair[2] AS f
          FROM (SELECT blk, users, unnest(range(len(events))) AS leg, unnest(events) AS pair
                FROM (SELECT blk, json_extract_string(line, '$.events[*][0]') AS users,
                             json_transform(line, {_lit(json.dumps({"events": [[_FILL_TYPE]]}))}).events AS events
                      FROM lines)))
    WHERE f.liquidation IS NOT NULL AND NOT (starts_with(f.coin, '@') OR contains(f.coin, '/'))  -- parse.is_spot
), trades AS (
    SELECT blk, coin, tid, min(leg) AS first_leg, count(*) AS legs,
           arg_min(px, leg) AS px, arg_min(sz, leg) AS sz, arg_min(time, leg) AS time_ms,
           count(DISTINCT px) = 1 AND count(DISTINCT sz) = 1 AND count(DISTINCT time) = 1 AS same,
           arg_min(victim, leg) AS account, list(trader ORDER BY leg) AS traders, list(side ORDER BY leg) AS sides,
           CASE WHEN bool_or(dir = {_lit(parse.ADL_DIR)}) THEN {_lit(LiquidationKind.ADL.value)}
                ELSE {_case("arg_min(method, leg)", {k: v.value for k, v in parse.KIND_OF_METHOD.items()})}
           END AS liquidation_kind,
           {_case(f"arg_min(regexp_extract(dir, {_LIQUIDATED}, 1), leg) FILTER (WHERE regexp_matches(dir, "
                  f"{_LIQUIDATED}))", {k: v.value for k, v in parse.MARGIN_MODE.items()})} AS margin_mode
    FROM legs GROUP BY blk, coin, tid
)
SELECT blk, coin, tid, legs, px, sz, time_ms, same, account, liquidation_kind, margin_mode, own IS NOT NULL AS own,
       coalesce(sides[own], sides[1]) AS venue_side,
       CASE WHEN own IS NOT NULL THEN {_case("sides[own]", parse.CLOSED_BY_OWN_FILL)}
            WHEN legs = 1 THEN {_case("sides[1]", parse.CLOSED_BY_COUNTERPARTY_FILL)} END AS liquidated_side
FROM (SELECT *, nullif(list_position(traders, account), 0) AS own FROM trades)
ORDER BY blk, first_leg
"""
_ACCOUNT = r"^[!-~]{0,256}$"  # printable ASCII without space: what LiquidationEvent accepts, and a bit less
_TS_MIN_MS, _TS_MAX_MS = _TS_MIN_NS // 1_000_000, _TS_MAX_NS // 1_000_000
_MIN_PRICE, _MAX_PRICE = Decimal(10) ** -10, Decimal(10) ** 8


def _chunks(raws: Sequence[bytes]) -> Iterator[tuple[int, int]]:
    # (start, stop) of consecutive records of at most _CHUNK records and _CHUNK_BYTES bytes (an Arrow string
    # array holds < 2 GiB); a record alone above the byte budget is larger than MAX_RECORD_BYTES anyway.
    if sum(map(len, raws)) <= _CHUNK_BYTES:  # the usual case, at C speed
        yield from ((start, min(start + _CHUNK, len(raws))) for start in range(0, len(raws), _CHUNK))
        return
    start, size = 0, 0
    for i, n in enumerate(map(len, raws)):
        if i > start and (i - start >= _CHUNK or size + n > _CHUNK_BYTES):
            yield start, i
            start, size = i, 0
        size += n
    if start < len(raws):
        yield start, len(raws)


def _strings(raws: Sequence[bytes]) -> pa.Array:
    # A record above MAX_RECORD_BYTES is left out (as ""): it goes down the reference path, which refuses it.
    if raws and max(map(len, raws)) > MAX_RECORD_BYTES:
        raws = [r if len(r) <= MAX_RECORD_BYTES else b"" for r in raws]
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


def _node_time_ns(lines: pa.Array) -> tuple[pa.Array, pa.Array]:
    # parse.node_time_ns of each proven line's local_time, and the mask of those it accepts in the event bounds.
    parts = pc.extract_regex(lines, _HEADER)
    seconds = parts.field("seconds")
    stamp = pc.strptime(seconds, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    # Arrow rolls an impossible date over (02-30 -> 03-02): only a time that prints back as written is valid.
    valid = pc.equal(pc.strftime(stamp, format="%Y-%m-%dT%H:%M:%S"), seconds).fill_null(False)
    whole = pc.if_else(valid, stamp.cast(pa.int64()), 0)
    fraction = pc.utf8_rpad(parts.field("fraction"), width=9, padding="0").cast(pa.int64())
    ns = pc.add(pc.multiply(whole, 1_000_000_000), fraction)
    return ns, pc.and_(valid, col.in_range(ns, _TS_MIN_NS, _TS_MAX_NS, high_inclusive=False))


def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
    """Normalize the ``node_fills_by_block`` lines of a batch in columns; hand back every line it is not sure of.

    Args:
        raws: Raw records (one node line each).
        ts_recv: Receipt time of each record (ns); unused: a block's receipt time is its ``local_time``.
        refs: Raw reference of each record.
        source: How the records reached us.

    Returns:
        The rows of the blocks it took, their record indices, the blocks it proved the reference skips
        (with the reference's reason), and the indices of the others.
    """
    tables: list[pa.Table] = []
    rows: list[pa.Array] = []
    skipped: dict[int, str] = {}
    ref_arr = pa.array(refs, type=pa.string())
    for start, stop in _chunks(raws):
        lines = _strings(raws[start:stop])  # an empty string is never proven
        proven = pc.and_(pc.starts_with(lines, '{"local_time":"'), pc.match_substring_regex(lines, _BLOCK))
        index = pc.add(pc.indices_nonzero(proven).cast(pa.int64()), start)
        lines = lines.filter(proven)
        quiet = pc.invert(pc.match_substring(lines, _LIQUIDATION_KEY))
        liquid = pc.indices_nonzero(pc.invert(quiet))
        table, taken, quiet_too = _blocks(lines.take(liquid), pc.take(index, liquid), ref_arr, source)
        quiet = pc.or_(quiet, pc.is_in(index, value_set=quiet_too)) if len(quiet_too) else quiet
        numbers = pc.extract_regex(lines.filter(quiet), _NUMBER).field("number").cast(pa.string())
        skipped.update(zip(index.filter(quiet).to_pylist(),
                           pc.binary_join_element_wise("block ", numbers, " has no liquidation fill", "")
                           .to_pylist(), strict=True))
        if table is not None:
            tables.append(table)
            rows.append(taken)
    taken_list = pa.chunked_array(rows, type=pa.int64()).to_pylist() if rows else []
    done = set(taken_list) | skipped.keys()
    fallback = [i for i in range(len(raws)) if i not in done]
    table = pa.concat_tables(tables) if tables else None
    return BatchPart(table=table, rows=taken_list, fallback=fallback, skipped=skipped)


def _blocks(lines: pa.Array, index: pa.Array, ref_arr: pa.Array,
            source: Source) -> tuple[pa.Table | None, pa.Array, pa.Array]:
    # (rows of the liquidation blocks taken, their record index per row, record indices of the blocks whose
    # liquidation legs are all spot: the reference skips those too).
    empty = pa.array([], type=pa.int64())
    if not len(lines):
        return None, empty, empty
    import duckdb  # lazy: only batches with a liquidation need it

    positions = pa.array(range(len(lines)), type=pa.int64())
    con = duckdb.connect()
    try:
        con.register("lines", pa.table({"blk": positions, "line": lines}))
        trades = con.sql(_TRADES_SQL).to_arrow_table()
    except duckdb.Error:  # not expected of proven lines; if it happens, the reference path decides them all
        return None, empty, empty
    finally:
        con.close()
    n = trades.num_rows
    blk = trades["blk"].combine_chunks()
    spot_only = pc.invert(pc.is_in(positions, value_set=pc.unique(blk)))
    if not n:
        return None, empty, index.filter(spot_only)
    ok = pc.and_(trades["same"].combine_chunks(),
                 pc.or_(trades["own"].combine_chunks(), pc.equal(trades["legs"].combine_chunks(), 1)))
    for name in ("liquidated_side", "liquidation_kind"):
        ok = pc.and_(ok, pc.is_valid(trades[name].combine_chunks()))
    account = trades["account"].combine_chunks()
    ok = pc.and_(ok, pc.match_substring_regex(account, _ACCOUNT))
    px = pc.cast(trades["px"].combine_chunks(), col.MONEY)  # exact: the shape proved plain decimals
    sz = pc.cast(trades["sz"].combine_chunks(), col.MONEY)
    ok = pc.and_(ok, pc.greater(sz, pa.scalar(Decimal(0), col.MONEY)))
    ok = pc.and_(ok, col.in_range(px, _MIN_PRICE, _MAX_PRICE))
    notional, fits = col.exact_product(sz, px)
    ok = pc.and_(ok, fits)
    t_ms = trades["time_ms"].combine_chunks().cast(pa.int64())
    ok = pc.and_(ok, col.in_range(t_ms, _TS_MIN_MS, _TS_MAX_MS, high_inclusive=False))
    recv_all, recv_ok = _node_time_ns(lines)
    recv, ok = recv_all.take(blk), pc.and_(ok, recv_ok.take(blk))
    known, instrument = _instrument_columns(trades["coin"].combine_chunks())
    ok = pc.and_(ok, known).fill_null(False)
    # A block is taken only when all its trades are: one bad trade makes the reference quarantine the block.
    bad_blocks = pc.unique(blk.filter(pc.invert(ok)))
    take = pc.invert(pc.is_in(blk, value_set=bad_blocks))
    record = index.take(blk)
    coin = trades["coin"].combine_chunks()
    columns: dict[str, pa.Array] = {
        "venue": pa.repeat(pa.scalar(parse.VENUE, pa.string()), n),
        **instrument,
        "market": coin,
        "liquidated_side": trades["liquidated_side"].combine_chunks(),
        "venue_side": trades["venue_side"].combine_chunks(),
        "price": px,
        "price_kind": pa.repeat(pa.scalar(PriceKind.AVERAGE_FILL.value, pa.string()), n),
        "order_price": pa.nulls(n, col.MONEY),
        "quantity": sz,
        "notional_usd": notional,
        "notional_order_usd": notional,
        "liquidation_kind": trades["liquidation_kind"].combine_chunks(),
        "margin_mode": trades["margin_mode"].combine_chunks(),
        "account": account,
        "ts_event": pc.multiply(pc.if_else(ok, t_ms, 0), 1_000_000),
        "ts_recv": pc.if_else(ok, recv, 0),
        "source": pa.repeat(pa.scalar(str(source), pa.string()), n),
        "event_id": pc.binary_join_element_wise(f"{parse.VENUE}:", coin, ":", trades["tid"].combine_chunks(), ""),
        "raw_ref": ref_arr.take(record),
    }
    return pa.table(columns).filter(take), record.filter(take), index.filter(spot_only)
