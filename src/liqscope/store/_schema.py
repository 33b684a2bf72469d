# Arrow schemas of the lake tables, and LiquidationEvent <-> Arrow conversion.
from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

import pyarrow as pa

from liqscope.events import LiquidationEvent

MONEY = pa.decimal128(38, 18)
_Q = Decimal("1e-18")
_CTX = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)

EVENT_SCHEMA = pa.schema([
    ("venue", pa.string()),
    ("market", pa.string()),
    ("instrument_kind", pa.string()),
    ("base_asset", pa.string()),
    ("quote_asset", pa.string()),
    ("settle_asset", pa.string()),
    ("margining", pa.string()),
    ("liquidated_side", pa.string()),
    ("price", MONEY),
    ("price_kind", pa.string()),
    ("order_price", MONEY),
    ("quantity", MONEY),
    ("quantity_unit", pa.string()),
    ("contract_size", MONEY),
    ("contract_size_unit", pa.string()),
    ("notional_usd", MONEY),
    ("notional_order_usd", MONEY),
    ("liquidation_kind", pa.string()),
    ("margin_mode", pa.string()),
    ("account", pa.string()),
    ("venue_side", pa.string()),  # the venue's raw side value; NULL in files written before it was stored
    # Lending only (instrument_kind "lending"; NULL elsewhere): the two legs, each valued or NULL.
    ("debt_asset", pa.string()),
    ("debt_quantity", MONEY),
    ("debt_usd", MONEY),
    ("collateral_asset", pa.string()),
    ("collateral_quantity", MONEY),
    ("collateral_usd", MONEY),
    ("price_source", pa.string()),
    ("sampling", pa.string()),     # NULL: the source sends every liquidation it has
    ("retraction", pa.bool_()),    # true: retracts earlier copies of event_id (a reorg); NULL/false: an event
    ("ts_event", pa.int64()),
    ("ts_recv", pa.int64()),
    ("source", pa.string()),
    ("event_id", pa.string()),
    ("raw_ref", pa.string()),
    ("record_key", pa.string()),   # which source record this row came from (one row per copy)
    ("synthetic", pa.bool_()),     # True only for `liqscope simulate` output: never mistaken for real
])

# Columns that hold one distinct value per row (hashes, per-record references): a Parquet dictionary of them
# only costs. On a 100k-row Binance chunk, dictionary-encoding only the other string columns writes its event
# part in 0.58x the CPU of pyarrow's default (every column), 9% smaller (bench: the ingest section).
UNIQUE_COLUMNS = frozenset({"event_id", "raw_ref", "record_key"})


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """``pq.write_table`` options for a lake table: zstd; dictionaries for the repetitive string columns."""
    return {"compression": "zstd",
            "use_dictionary": [f.name for f in schema if pa.types.is_string(f.type) and f.name not in UNIQUE_COLUMNS]}


# Event columns added after lakes were first written: a file without one reads it as NULL (the catalog reads
# with union_by_name), `liqscope export` adds it where no file has it, and `verify` does not compare it in a
# lake that holds such files (docs/standard.md, "Older lakes").
LATER_COLUMNS = frozenset({"venue_side", "debt_asset", "debt_quantity", "debt_usd", "collateral_asset",
                           "collateral_quantity", "collateral_usd", "price_source", "sampling", "retraction"})

RECORD_SCHEMA = pa.schema([
    ("record_key", pa.string()),
    ("venue", pa.string()),
    ("raw_ref", pa.string()),
    ("status", pa.string()),       # accepted | duplicate | skipped | quarantined | repeat (dropped, older batches)
    ("events", pa.int32()),
    ("ts_recv", pa.int64()),
])

_STR = [f.name for f in EVENT_SCHEMA if f.type == pa.string() and f.name != "record_key"]
_DEC = [f.name for f in EVENT_SCHEMA if f.type == MONEY]


def _q(v: Decimal | None) -> Decimal | None:
    # The lake keeps 18 decimals; only derived products can carry more, and those digits are < 1e-18 USD.
    return None if v is None else v.quantize(_Q, context=_CTX)


def events_to_table(events: Sequence[LiquidationEvent], record_keys: Sequence[str],
                    synthetic: bool = False) -> pa.Table:
    """Build an Arrow table of ``EVENT_SCHEMA`` from events and the record each came from."""
    cols: dict[str, list[object]] = {}
    for name in _STR:
        cols[name] = [getattr(e, name) for e in events]
    arrays: dict[str, pa.Array] = {}
    for name in _DEC:
        if name == "notional_order_usd":
            values = [e.notional_order_usd if e.notional_order_usd is not None else e.notional_usd for e in events]
        else:
            values = [getattr(e, name) for e in events]
        arrays[name] = _money(values)
    cols["ts_event"] = [e.ts_event for e in events]
    cols["ts_recv"] = [e.ts_recv for e in events]
    cols["record_key"] = list(record_keys)
    cols["synthetic"] = [synthetic] * len(events)
    cols["retraction"] = [True if e.retraction else None for e in events]  # NULL: an event (as fast paths write)
    return pa.table({f.name: arrays[f.name] if f.name in arrays else pa.array(cols[f.name], type=f.type)
                     for f in EVENT_SCHEMA}, schema=EVENT_SCHEMA)


def _money(values: Sequence[Decimal | None]) -> pa.Array:
    # Fast path: Arrow converts exactly, and refuses (ArrowInvalid) any value that would lose a digit at
    # 18 decimals; only then is the column rounded value by value. Same values either way, ~4x faster.
    try:
        return pa.array(values, type=MONEY)
    except (pa.ArrowInvalid, OverflowError):
        return pa.array([_q(v) for v in values], type=MONEY)
