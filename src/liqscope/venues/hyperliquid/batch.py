"""Vectorized fast path for ``node_fills_by_block`` lines (``SPEC.parse_batch``): the shape declared in ``fast.toml``.

It takes a line only when it can prove the per-record path (``wire.decode_line`` + ``parse.parse_node_line`` +
``normalize_record``, the reference) gives exactly the same outcome, and hands every other line back:

1. Proof (Arrow, RE2): the line is the declared block shape byte for byte, so the reference decodes it, no key
   repeats (``duplicate_key_failure`` finds nothing) and every string is its own text.
2. A line proven by the shape without the fills' ``liquidation`` member (most real blocks: the first, cheaper
   pass) is *skipped* with the reference's reason (``BatchPart.skipped``): the reference raises
   ``NotALiquidation`` before it reads anything else.
3. The other proven lines are split into their legs (in a proven line ``["`` only ever starts a leg); one RE2
   extraction reads the liquidation legs; Arrow groups them into trades by ``(coin, tid)`` with
   ``parse.trade_event``'s rules (the first leg's liquidation object, the side from the liquidated user's own
   leg, ADL from ``dir``, the margin mode from the first ``Liquidated ...`` leg), casts the decimals exactly,
   checks every bound ``LiquidationEvent`` checks and multiplies the notionals.
4. A block is taken only when every one of its trades passed every check; one failing trade sends the whole
   block down the reference path (which then quarantines it, or not). The instrument columns come from the
   reference parser itself, once per distinct coin (``probe``); the margin mode from its own regex, once per
   distinct ``dir``.

No Python runs per record or per leg (tests/venues/test_fast_paths.py proves the two paths equal).
"""

from __future__ import annotations

import bisect
import enum
import functools
import itertools
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

__all__ = ["KINDS", "SHAPE", "load", "parse_batch", "probe"]

# Value kind -> the bytes it matches (RE2): only JSON values wire.Block decodes, to the value the text spells.
KINDS = {
    # a string without escapes, control characters or "[" (so that in a proven line '["' starts a leg, only)
    "str": r'"[^"\\\x00-\x1f\[]*"',
    # a liquidated account LiquidationEvent accepts: printable ASCII, no space (nor '"', '[' or a backslash)
    "account": r'"[!#-Z\]-~]{0,256}"',
    "int": "(?:0|[1-9][0-9]{0,17})",                         # a non-negative integer that fits int64
    "int_or_null": "(?:null|0|[1-9][0-9]{0,17})",
    "bool": "(?:true|false)",
    "dec": r'"-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,30})?"',  # a plain decimal string (Decimal reads it as is)
    "price": f'"{col._PLAIN[1:-1]}"',  # what the lake holds exactly: < 1E+19, at most 18 decimals, no sign
    # node time, UTC, no zone: "2025-10-27T17:00:02.684975680" (parse.node_time_ns reads it)
    "node_time": r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"',
}
_LIQUIDATION_KEY = '"liquidation":{'  # in a proven leg only a liquidation object's key spells this
_CHUNK = 65_536                        # records per pass: bounds memory, not speed
_CHUNK_BYTES = 16 << 20
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
        if len(set(keys[name])) != len(keys[name]):
            raise ValueError(f"{path}: {name} names a key twice")
        if missing := [k for k in want if k not in keys[name]]:
            raise ValueError(f"{path}: {name} names no {missing}; the fast path reads them")
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


def _pattern(shape: Shape, *, liquidations: bool) -> str:
    # The block shape; without its fills' liquidation member when not ``liquidations`` (a quiet block).
    if shape.block[0] != ("local_time", "node_time"):
        raise ValueError("the block's first key must be local_time (node_time): it starts every proven line")
    fields = shape.fill if liquidations else [(k, kind) for k, kind in shape.fill if kind != "liquidation"]
    fill = r"\[" + KINDS["str"] + "," + _object(fields, {"liquidation": _object(shape.liquidation, {})}) + r"\]"
    return "^" + _object(shape.block, {"fills": rf"\[(?:{fill}(?:,{fill})*)?\]"}) + "$"


SHAPE = load(Path(__file__).with_name("fast.toml"))
# A line matching _QUIET is proven and has no liquidation object; one matching _BLOCK but not _QUIET is proven
# and has at least one (the only difference). Most real lines are settled by the first, cheaper, pass.
_QUIET = _pattern(SHAPE, liquidations=False)
_BLOCK = _pattern(SHAPE, liquidations=True)
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


@functools.lru_cache(maxsize=4096)  # a pure function of the coin (Hyperliquid's reference reads no table)
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


def _leg_pattern(shape: Shape) -> str:
    # What the reference reads of a liquidation leg: a piece of a proven line after a '["', up to the end of the
    # liquidation object. The values are already proven, so each is matched loosely; an optional member carries
    # the separator after it, so that the next byte always decides the path (RE2 extracts it in one pass).
    loose = {"int": "[0-9]+", "int_or_null": "(?:null|[0-9]+)", "bool": "(?:true|false)"}
    names = {"coin": "coin", "px": "px", "sz": "sz", "side": "side", "time": "time", "dir": "dir", "tid": "tid",
             "liquidatedUser": "victim", "method": "method"}

    def value(key: str, kind: str) -> str:
        text = loose.get(kind, '"[^"]*"')
        if key not in names:
            return text
        return f"(?P<{names[key]}>[0-9]+)" if kind in loose else f'"(?P<{names[key]}>[^"]*)"'

    out = ['^(?P<trader>[^"]*)",\\{"']
    for key, kind in shape.fill:
        name = key.rstrip("?")
        if name == "liquidation":
            inner = '","'.join(f'{k}":{value(k, kind)}'.removesuffix('"') for k, kind in shape.liquidation)
            return "".join(out) + f'liquidation":\\{{"{inner}'
        member = f"{re.escape(name)}\":{value(name, kind)},\""
        out.append(f"(?:{member})?" if key.endswith("?") else member)
    raise ValueError("the fill shape names no liquidation")


_LEG = _leg_pattern(SHAPE)
_LEG_START = '["'  # in a proven line (no "[" inside a string) only the start of a leg spells this


def _margin_modes(dirs: pa.Array) -> pa.Array:
    # The margin mode each dir names (parse._margin_mode's own regex, once per distinct dir), else null.
    unique = pc.unique(dirs)
    modes = [d is not None and (m := parse._LIQUIDATED_DIR.match(d)) and parse.MARGIN_MODE[m.group(1)].value
             for d in unique.to_pylist()]
    return pa.array([m or None for m in modes], type=pa.string()).take(pc.index_in(dirs, value_set=unique))


def _mapped(values: pa.Array, mapping: dict[str, Any]) -> pa.Array:
    # Each value's image under mapping (str of an enum: its value), null where mapping has no such key.
    images = pa.array([str(v) for v in mapping.values()], type=pa.string())
    return images.take(pc.index_in(values, value_set=pa.array(list(mapping), type=pa.string())))


def _trades(lines: pa.Array) -> pa.Table:
    # parse.trade_event per (coin, tid) of each line, in line order then in order of first leg (the reference's
    # dict order): the first leg's liquidation object names the liquidated user; the side is read from that
    # user's first own leg, else (a lone leg) from the counterparty's; every leg must agree on px/sz/time
    # (compared as text: equal decimals spelled differently go down the reference path, which compares values).
    pieces = pc.split_pattern(lines, _LEG_START)
    flat = pc.list_flatten(pieces)
    keep = pc.match_substring(flat, _LIQUIDATION_KEY)
    got = pc.extract_regex(flat.filter(keep), _LEG)
    read = pc.is_valid(got)  # every liquidation leg of a proven line; a line with one unread is not taken
    legs = {name: got.field(name) for name in ("trader", "coin", "px", "sz", "side", "time", "dir", "tid", "victim",
                                                "method")}
    perp = pc.invert(pc.or_(pc.starts_with(legs["coin"], "@"), pc.match_substring(legs["coin"], "/")))  # is_spot
    perp = pc.or_kleene(perp, pc.invert(read))  # an unread leg is kept, so that its line is not taken
    line = pc.list_parent_indices(pieces).cast(pa.int64()).filter(keep).filter(perp)
    legs = {k: v.filter(perp) for k, v in legs.items()}
    read = read.filter(perp)
    key = pc.binary_join_element_wise(line.cast(pa.string()), legs["coin"], legs["tid"], "\x1f")  # \x1f: in no str
    trade = pc.index_in(key, value_set=pc.unique(key))
    grouped = pa.table({"trade": trade, "leg": pa.array(range(len(line)), type=pa.int64()), "line": line,
                        "read": read, **legs, "adl": pc.equal(legs["dir"], parse.ADL_DIR),
                        "mode": _margin_modes(legs["dir"])})
    first = grouped.group_by("trade", use_threads=False).aggregate([  # ordered: "first" is the first leg's
        ("leg", "min"), ("leg", "count"), ("read", "all"), ("line", "first"), ("coin", "first"), ("tid", "first"),
        ("px", "first"), ("sz", "first"), ("time", "first"), ("px", "count_distinct"), ("sz", "count_distinct"),
        ("time", "count_distinct"), ("victim", "first"), ("method", "first"), ("side", "first"), ("adl", "any"),
        ("mode", "first")]).sort_by("trade")  # "first" of mode skips the nulls: the first Liquidated leg's
    own = pc.equal(legs["trader"], first["victim_first"].take(trade)).fill_null(False)
    own_side = grouped.select(["trade"]).append_column("own", own).append_column(
        "side", pc.if_else(own, legs["side"], pa.scalar(None, pa.string())))
    owned = own_side.group_by("trade", use_threads=False).aggregate([("own", "any"), ("side", "first")]
                                                                    ).sort_by("trade")
    count = first["leg_count"]
    same = pc.and_(pc.and_(pc.equal(first["px_count_distinct"], 1), pc.equal(first["sz_count_distinct"], 1)),
                   pc.equal(first["time_count_distinct"], 1))
    has_own, side = owned["own_any"], owned["side_first"]
    no_side = pa.scalar(None, pa.string())
    liquidated_side = pc.if_else(has_own, _mapped(side, parse.CLOSED_BY_OWN_FILL), pc.if_else(
        pc.equal(count, 1), _mapped(first["side_first"], parse.CLOSED_BY_COUNTERPARTY_FILL), no_side))
    kind = pc.if_else(first["adl_any"], LiquidationKind.ADL.value,
                      _mapped(first["method_first"], {k: v.value for k, v in parse.KIND_OF_METHOD.items()}))
    return pa.table({
        "first_leg": first["leg_min"], "blk": first["line_first"], "coin": first["coin_first"],
        "tid": first["tid_first"], "px": first["px_first"], "sz": first["sz_first"], "time_ms": first["time_first"],
        "ok": pc.and_(pc.and_(first["read_all"], same), pc.or_(has_own, pc.equal(count, 1))),
        "account": first["victim_first"], "venue_side": pc.coalesce(side, first["side_first"]),
        "liquidated_side": liquidated_side, "liquidation_kind": kind,
        "margin_mode": first["mode_first"],
    }).sort_by("first_leg")


_TS_MIN_MS, _TS_MAX_MS = _TS_MIN_NS // 1_000_000, _TS_MAX_NS // 1_000_000
_MIN_PRICE, _MAX_PRICE = Decimal(10) ** -10, Decimal(10) ** 8


def _chunks(raws: Sequence[bytes]) -> Iterator[tuple[int, int]]:
    # (start, stop) of consecutive records of at most _CHUNK records and about _CHUNK_BYTES bytes: Arrow's
    # temporaries of a pass stay small enough to be reused from one pass to the next (fresh memory is slow to
    # touch on a shared machine), and always far below an Arrow string array's 2 GiB.
    ends = list(itertools.accumulate(map(len, raws)))
    start = 0
    while start < len(raws):
        budget = (ends[start - 1] if start else 0) + _CHUNK_BYTES
        stop = min(max(bisect.bisect_right(ends, budget), start + 1), start + _CHUNK)
        yield start, stop
        start = stop


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
        lines = col.strings(raws[start:stop], max_bytes=MAX_RECORD_BYTES)  # an empty string is never proven
        quiet = pc.and_(pc.starts_with(lines, '{"local_time":"'), pc.match_substring_regex(lines, _QUIET))
        rest = pc.indices_nonzero(pc.invert(quiet))
        liquid = rest.filter(pc.match_substring_regex(lines.take(rest), _BLOCK))
        proven = pc.is_in(pa.array(range(len(lines)), type=pa.int64()), value_set=liquid.cast(pa.int64()))
        proven = pc.or_(quiet, proven)
        index = pc.add(pc.indices_nonzero(proven).cast(pa.int64()), start)
        quiet, lines = quiet.filter(proven), lines.filter(proven)
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
    taken = pa.chunked_array(rows, type=pa.int64()).combine_chunks() if rows else pa.array([], type=pa.int64())
    done = set(taken.to_pylist()) | skipped.keys()
    fallback = [i for i in range(len(raws)) if i not in done]
    table = pa.concat_tables(tables) if tables else None
    return BatchPart(table=table, rows=taken, fallback=fallback, skipped=skipped)


def _blocks(lines: pa.Array, index: pa.Array, ref_arr: pa.Array,
            source: Source) -> tuple[pa.Table | None, pa.Array, pa.Array]:
    # (rows of the liquidation blocks taken, their record index per row, record indices of the blocks whose
    # liquidation legs are all spot: the reference skips those too).
    empty = pa.array([], type=pa.int64())
    if not len(lines):
        return None, empty, empty
    positions = pa.array(range(len(lines)), type=pa.int64())
    trades = _trades(lines)
    n = trades.num_rows
    blk = trades["blk"].combine_chunks()
    spot_only = pc.invert(pc.is_in(positions, value_set=pc.unique(blk)))
    if not n:
        return None, empty, index.filter(spot_only)
    ok = trades["ok"].combine_chunks()
    for name in ("liquidated_side", "liquidation_kind"):
        ok = pc.and_(ok, pc.is_valid(trades[name].combine_chunks()))
    account = trades["account"].combine_chunks()  # the shape proved it an account LiquidationEvent accepts
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
