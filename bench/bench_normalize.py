"""Normalize throughput on one core, frames/s and MB/s of input, per venue; Binance against its baselines.

Every venue with a declared fast path (``VenueSpec.parse_batch``) or a simulator gets a row pair: the
reference path (``decode`` + ``parse`` per frame) and ``normalize_batch`` (the fast path where declared),
with its MB/s as a ratio to binance_usdm's, so "within 2x of Binance per byte" reads off the table. Inputs
come from the simulator where the venue has one, else from the venue's real fixture frames replicated
with times and ids shifted (bench/_fixtures.py), so every frame is a distinct liquidation.

Binance frames are wrapped as combined-stream messages ({"stream": ..., "data": ...}), the shape
cryptofeed's handler reads, so every contender gets identical bytes.

Every contender is measured warm: one untimed run first, then the median of ``repeats`` (a long-running
capture or ingest pays its first batch's costs once). The fast path's first-run rate is given in its note.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from decimal import Decimal
from typing import Any

import msgspec
import pyarrow.compute as pc

from bench._common import frames_file, measure, rate_row, scale_of
from bench._fixtures import input_file
from liqscope.events import Received, Source
from liqscope.normalize import normalize_batch
from liqscope.simulate import is_synthetic_marker
from liqscope.venues import get_venue, venues

_RX = Received(ts_ns=1_760_000_000_000_000_000, ref="bench:1", source=Source.WS)


def _lines(venue: str, frames: int) -> list[bytes]:
    return [line for line in frames_file(venue, frames).read_bytes().splitlines() if not is_synthetic_marker(line)]


def _combined(lines: list[bytes]) -> list[bytes]:
    out = []
    for line in lines:
        symbol = line.split(b'"s":"', 1)[1].split(b'"', 1)[0].lower()
        out.append(b'{"stream":"' + symbol + b'@forceOrder","data":' + line + b"}")
    return out


class _RawBody(msgspec.Struct):  # the same fields, kept as the strings Binance sends
    s: str
    S: str
    q: str
    p: str
    ap: str
    z: str
    T: int


class _RawEvent(msgspec.Struct):
    o: _RawBody


class _RawFrame(msgspec.Struct):
    stream: str
    data: _RawEvent


@dataclasses.dataclass(frozen=True)
class _StdlibLiquidation:  # the "stdlib json plus dataclass" baseline: same fields we keep
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    ts_ms: int


def _stdlib(lines: list[bytes]) -> int:
    n = 0
    for line in lines:
        o = json.loads(line)["data"]["o"]
        _StdlibLiquidation(o["s"], "LONG" if o["S"] == "SELL" else "SHORT", Decimal(o["ap"]), Decimal(o["z"]), o["T"])
        n += 1
    return n


# The hand-written DuckDB statement: read the fields, multiply the exact DECIMAL notional, md5 an id.
_DUCKDB_SQL = """
SELECT json_extract_string(line, '$.data.o.s') AS market,
       CASE json_extract_string(line, '$.data.o.S') WHEN 'SELL' THEN 'LONG' ELSE 'SHORT' END AS liquidated_side,
       CAST(json_extract_string(line, '$.data.o.z') AS DECIMAL(38, 18)) AS quantity,
       CAST(json_extract_string(line, '$.data.o.ap') AS DECIMAL(38, 18)) AS price,
       -- at scale 9 each (Binance sends at most 8 decimals), so the exact product fits DECIMAL(38, 18)
       CAST(json_extract_string(line, '$.data.o.z') AS DECIMAL(38, 9))
            * CAST(json_extract_string(line, '$.data.o.ap') AS DECIMAL(38, 9)) AS notional_usd,
       CAST(json_extract_string(line, '$.data.o.T') AS BIGINT) * 1000000 AS ts_event,
       md5(line) AS event_id
FROM lines"""


def _duckdb_statement(lines: list[bytes]) -> int:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.register("lines", pa.table({"line": pa.array(lines, type=pa.binary()).cast(pa.string())}))
    n = con.sql(_DUCKDB_SQL).to_arrow_table().num_rows
    con.close()
    return n


def _cryptofeed_handler(symbols: set[str]) -> tuple[Any, str] | tuple[None, str]:
    try:
        import cryptofeed
        from cryptofeed.defines import LIQUIDATIONS
        from cryptofeed.exchanges import BinanceFutures
    except ImportError as e:
        return None, f"cryptofeed not importable here ({e}); install it in the bench venv (scripts/bench)"
    # Built without its constructor: that one downloads exchangeInfo, and this machine has no internet.
    feed = BinanceFutures.__new__(BinanceFutures)
    feed.requires_authentication = False
    feed.ignore_invalid_instruments = True
    # What its exchangeInfo download would give: every symbol known (an unknown one logs a warning per frame).
    feed.exchange_symbol_mapping = {s: f"{s.removesuffix('USDT')}-USDT-PERP" for s in symbols}
    count = [0]

    async def on_liquidation(liq: Any, ts: float) -> None:
        count[0] += 1

    feed.callbacks = {LIQUIDATIONS: [on_liquidation]}
    return (feed, count), f"cryptofeed {cryptofeed.__version__ if hasattr(cryptofeed, '__version__') else ''}".strip()


def _cryptofeed_run(handler: Any, lines: list[str]) -> int:
    feed, count = handler
    count[0] = 0

    async def go() -> None:
        for line in lines:
            await feed.message_handler(line, None, 0.0)

    asyncio.run(go())
    return count[0]


def _venues() -> list[str]:
    # binance_usdm first (every other venue's per-byte ratio is to it), then every venue with a declared fast
    # path or a simulator, by name.
    from liqscope.simulate import simulated_venues

    fast = {vid for vid, spec in venues().items() if spec.parse_batch is not None}
    return ["binance_usdm", *sorted((fast | set(simulated_venues())) - {"binance_usdm"})]


def _inputs(venue: str, cfg: dict[str, Any]) -> tuple[list[bytes], str, bool]:
    # (frames, what they are, built from real fixtures)
    if venue == "binance_usdm":
        return _combined(_lines(venue, cfg["frames"])), "simulated, combined-stream frames", False
    path, label = input_file(venue, cfg["venue_frames"])
    lines = [line for line in path.read_bytes().splitlines() if not is_synthetic_marker(line)]
    return lines, label, not label.startswith("simulated")


def _dydx_limit_only(lines: list[bytes], cfg: dict[str, Any]) -> list[dict[str, Any]]:
    # Most v4_trades pushes of a real feed hold LIMIT trades only (no liquidation): the same frames with their
    # liquidated trades taken out, by the reference and by normalize_batch (proven skips, mapping.kind.reason).
    spec = get_venue("dydx_v4")
    frames = []
    for line in lines:
        frame = json.loads(line)
        frame["contents"]["trades"] = [t for t in frame["contents"]["trades"] if t["type"] == "LIMIT"]
        frames.append(json.dumps(frame, separators=(",", ":")).encode())
    ts, refs, keys = [_RX.ts_ns] * len(frames), ["bench"] * len(frames), [""] * len(frames)
    out = []
    for fast in (False, True):
        t = measure(lambda fast=fast: normalize_batch(spec.decode, spec.parse, frames, ts, refs, keys,
                                                      source=Source.WS, fast=fast).outcomes, cfg["repeats"], warmup=[])
        if len(t[3]) != len(frames) or any(o.skipped is None for o in t[3].values()):
            raise RuntimeError("dydx_v4: a LIMIT-only frame was not skipped")
        out.append(rate_row("normalize", f"dydx_v4: LIMIT-only pushes (no liquidation: most of a real feed), "
                            f"{'normalize_batch (proven skips)' if fast else 'record by record'}", len(frames), t,
                            "frames/s", nbytes=sum(map(len, frames))))
    out[1].update(ratio=out[1]["value"] / out[0]["value"], ratio_note="proven skips / record by record")
    return out


def run(scale: str) -> list[dict[str, Any]]:
    cfg = scale_of(scale)
    rows: list[dict[str, Any]] = []
    base: dict[str, float] = {}  # binance_usdm's MB/s: "reference" and "batch"
    for venue in _venues():
        spec = get_venue(venue)
        lines, label, replicated = _inputs(venue, cfg)
        nbytes = sum(map(len, lines))
        decode, parse = spec.decode, spec.parse
        # The reference path's rate does not depend on the count: other venues time it on a prefix.
        ref = lines if venue == "binance_usdm" else lines[:cfg["reference_frames"]]

        def normalize(lines: list[bytes] = ref, decode: Any = decode, parse: Any = parse) -> int:
            return sum(len(parse(decode(line), _RX)) for line in lines)

        t = measure(normalize, cfg["repeats"], warmup=[])
        row = rate_row("normalize", f"{venue}: liqscope decode + parse", len(ref), t, "frames/s",
                       nbytes=sum(map(len, ref)), events=t[3],
                       note="" if len(ref) == len(lines) else f"the first {len(ref):,} frames of the input below")
        if venue == "binance_usdm":
            row.update(target=">= 1,000,000 frames/s", met=row["value"] >= 1_000_000)
            base["reference"] = row["mb_s"]
        else:
            row.update(ratio=row["mb_s"] / base["reference"], ratio_note="per byte vs binance_usdm's reference")
        rows.append(row)
        reference = row["value"]
        ts = [_RX.ts_ns + i * 1_000 for i in range(len(lines))]
        refs, keys = [f"bench:{i}" for i in range(len(lines))], [""] * len(lines)

        def columnar(lines: list[bytes] = lines, decode: Any = decode, parse: Any = parse, ts: list[int] = ts,
                     refs: list[str] = refs, keys: list[str] = keys) -> Any:
            return normalize_batch(decode, parse, lines, ts, refs, keys, source=Source.WS).table

        cold: list[float] = []  # the first run: plans compiled, instrument probes run, DuckDB opened
        t = measure(columnar, cfg["repeats"], warmup=cold)
        table = t[3]
        distinct = pc.count_distinct(table["event_id"]).as_py()
        if replicated and distinct != table.num_rows:  # the replicas must be distinct liquidations
            raise RuntimeError(f"{venue}: {distinct:,} distinct event ids in {table.num_rows:,} rows of the replicated "
                               "fixture frames (bench/_fixtures.py shifts too little)")
        kind = "declared fast path" if spec.parse_batch is not None else "no fast path: record by record"
        row = rate_row("normalize", f"{venue}: liqscope normalize_batch ({kind}), to Arrow rows", len(lines), t,
                       "frames/s", nbytes=nbytes, events=table.num_rows)
        notes = [f"{label}; {nbytes / len(lines):.0f} B/frame; {table.num_rows:,} events"
                 + ("" if distinct == table.num_rows else f" ({distinct:,} distinct ids)")]
        if spec.parse_batch is not None:  # how much the declared path took (untimed), the rest ran record by record
            fallback = len(spec.parse_batch(lines, ts, refs, Source.WS).fallback)
            notes.append(f"fast path took {1 - fallback / len(lines):.1%} of frames")
        notes.append(f"{row['value'] / reference:.2f}x the reference's frames/s")
        notes.append(f"first run {len(lines) / cold[0]:,.0f} frames/s (untimed: every row is measured warm)")
        row["note"] = "; ".join(notes)
        if venue == "binance_usdm":
            base["batch"] = row["mb_s"]
            row.update(ratio=row["value"] / reference, ratio_note="this / decode + parse")
        else:
            per_byte = row["mb_s"] / base["batch"]
            row.update(ratio=per_byte, ratio_note="per byte vs binance_usdm's normalize_batch",
                       target=">= 300,000 frames/s and >= 0.5x binance_usdm per byte (issue 16)",
                       met=row["value"] >= 300_000 and per_byte >= 0.5)
        rows.append(row)
        columnar_row = row
        if venue == "dydx_v4":
            rows.extend(_dydx_limit_only(lines, cfg))
        if venue != "binance_usdm":
            continue
        ours = rows[-2]["value"]
        raw = msgspec.json.Decoder(_RawFrame).decode
        t = measure(lambda lines=lines, raw=raw: [raw(line) for line in lines] and len(lines), cfg["repeats"],
                    warmup=[])
        rows.append(rate_row("normalize", "binance_usdm: msgspec decode-and-discard, string fields (the floor)",
                             len(lines), t, "frames/s", nbytes=nbytes, ratio=ours / (len(lines) / t[0]),
                             ratio_note="liqscope / this"))
        t = measure(lambda lines=lines, decode=decode: [decode(line) for line in lines] and len(lines),
                    cfg["repeats"], warmup=[])
        rows.append(rate_row("normalize", "binance_usdm: msgspec decode into liqscope's wire structs (Decimal "
                             "fields), no parse", len(lines), t, "frames/s", nbytes=nbytes,
                             ratio=ours / (len(lines) / t[0]), ratio_note="liqscope / this"))
        t = measure(lambda lines=lines: _duckdb_statement(lines), cfg["repeats"], warmup=[])
        rows.append(rate_row("normalize", "binance_usdm: hand-written DuckDB statement (json_extract_string, DECIMAL "
                             "notional, md5 id; no checks, no fallback)", len(lines), t, "frames/s", nbytes=nbytes,
                             ratio=columnar_row["value"] / (len(lines) / t[0]), ratio_note="fast path / this"))
        t = measure(lambda lines=lines: _stdlib(lines), cfg["repeats"], warmup=[])
        rows.append(rate_row("normalize", "binance_usdm: stdlib json + dataclass", len(lines), t, "frames/s",
                             nbytes=nbytes, ratio=ours / (len(lines) / t[0]), ratio_note="liqscope / this"))
        handler, label = _cryptofeed_handler({line.split(b'"s":"', 1)[1].split(b'"', 1)[0].decode()
                                              for line in lines})
        if handler is None:
            rows.append({"section": "normalize", "case": "binance_usdm: cryptofeed handler", "value": None,
                         "unit": "frames/s", "note": label})
            continue
        text = [line.decode() for line in lines]
        t = measure(lambda text=text, handler=handler: _cryptofeed_run(handler, text), cfg["repeats"], warmup=[])
        rows.append(rate_row("normalize", f"binance_usdm: {label} BinanceFutures.message_handler", len(lines), t,
                             "frames/s", nbytes=nbytes, ratio=ours / (len(lines) / t[0]),
                             ratio_note="liqscope / this", target="liqscope >= 10x",
                             met=ours / (len(lines) / t[0]) >= 10))
        cryptofeed = len(lines) / t[0]
        columnar_row.update(ratio=columnar_row["value"] / cryptofeed, ratio_note="fast path / cryptofeed",
                            target=">= 1,000,000 frames/s and >= 5x cryptofeed (issue 16)",
                            met=columnar_row["value"] >= 1_000_000 and columnar_row["value"] / cryptofeed >= 5)
    return rows
