# Market tables in the lake: <table>/venue=<v>/date=<YYYY-MM-DD>/part-<batch>.parquet, committed by the
# same batch manifests as events, read back through DuckDB with one row per identity.
from __future__ import annotations

import datetime as dt
import decimal
import typing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, overload

import msgspec
import pyarrow as pa

from liqscope.market._types import FundingRate, FundingSchedule, OpenInterest, Premium, Price, ReferenceBucket
from liqscope.store import Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._writer import BatchWriter

MONEY = pa.decimal128(38, 18)
_Q = Decimal("1e-18")
_CTX = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


class Table(msgspec.Struct, frozen=True):
    name: str
    type: type[msgspec.Struct]
    partition: str          # field naming the venue=... partition
    time: str               # field naming the date=... partition and the time filter
    identity: tuple[str, ...]


TABLES: dict[type, Table] = {
    FundingRate: Table("funding", FundingRate, "venue", "ts_event", ("venue", "market", "kind", "ts_event",
                                                                       "provider")),
    FundingSchedule: Table("funding_schedule", FundingSchedule, "venue", "ts_event", ("venue", "market",
                                                                                    "ts_event", "provider")),
    OpenInterest: Table("open_interest", OpenInterest, "venue", "ts_event", ("venue", "market", "ts_event",
                                                                             "provider")),
    Premium: Table("premium", Premium, "venue", "ts_event", ("venue", "market", "ts_event", "provider")),
    Price: Table("price", Price, "venue", "ts_event", ("venue", "market", "price_type", "ts_event", "provider")),
    ReferenceBucket: Table("reference", ReferenceBucket, "provider", "ts_start", ("provider", "series", "asset",
                                                                                  "ts_start")),
}
BY_NAME = {t.name: t for t in TABLES.values()}


def _arrow_type(hint: Any) -> pa.DataType:
    if typing.get_origin(hint) is typing.Literal:
        return pa.string()
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    base = args[0]
    if typing.get_origin(base) is typing.Literal:
        return pa.string()
    return {str: pa.string(), int: pa.int64(), Decimal: MONEY, bool: pa.bool_()}[base]


def schema_of(table: Table) -> pa.Schema:
    hints = typing.get_type_hints(table.type)
    return pa.schema([(f, _arrow_type(hints[f])) for f in table.type.__struct_fields__])


def _cell(v: object) -> object:
    if isinstance(v, Decimal):
        return v.quantize(_Q, context=_CTX)
    return v


def to_table(table: Table, rows: Sequence[Any]) -> pa.Table:
    schema = schema_of(table)
    cols = {f.name: pa.array([_cell(getattr(r, f.name)) for r in rows], type=f.type) for f in schema}
    return pa.table(cols, schema=schema)


def stage(writer: BatchWriter, catalog: Catalog, observations: Iterable[Any]) -> dict[str, int]:
    """Stage observations as Parquet parts of their tables; returns rows per table."""
    groups: dict[tuple[type, str, dt.date], list[Any]] = defaultdict(list)
    for o in observations:
        t = TABLES[type(o)]
        groups[(type(o), getattr(o, t.partition), day_of_ns(getattr(o, t.time)))].append(o)
    counts: dict[str, int] = defaultdict(int)
    for (kind, part, day), rows in sorted(groups.items(), key=lambda kv: (kv[0][0].__name__, kv[0][1], kv[0][2])):
        t = TABLES[kind]
        name = f"part-{writer.batch}.parquet"
        path = catalog.layout.lake / t.name / f"venue={part}" / f"date={day.isoformat()}" / name
        writer.add_table(path, to_table(t, rows))
        counts[t.name] += len(rows)
    return dict(counts)


def relation(catalog: Catalog, table: Table, venues: Iterable[str] | None = None, start_ns: int | None = None,
             end_ns: int | None = None) -> str:
    """SQL for one row per identity of ``table`` (the first received copy), pruned by partitions."""
    files = catalog.table_files(table.name, venues, start_ns, end_ns)
    rel = catalog.relation_sql(files, schema_of(table))
    keys = ", ".join(table.identity)
    return f"(SELECT * FROM {rel} QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY ts_recv, raw_ref) = 1)"


@overload
def exact(d: Decimal) -> Decimal: ...
@overload
def exact(d: None) -> None: ...
@overload
def exact(d: Decimal | None) -> Decimal | None: ...
def exact(d: Decimal | None) -> Decimal | None:
    """Drop the lake's trailing zeros without changing the value."""
    if d is None:
        return None
    return Decimal(format(d.normalize(), "f")) if d else Decimal(0)


def rows_as(table: Table, cursor: Any) -> list[Any]:
    """Rows of a DuckDB result over ``relation(table)`` as the table's struct type."""
    names = [c[0] for c in cursor.description]
    out: list[Any] = []
    for row in cursor.fetchall():
        rec = {n: exact(v) if isinstance(v, Decimal) else v for n, v in zip(names, row, strict=True)}
        out.append(msgspec.convert(rec, table.type))
    return out
