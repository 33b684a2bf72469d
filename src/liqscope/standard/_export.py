# `liqscope export`: the counted events of one Counted, as standard records, in jsonl / csv / parquet / ccxt.
# The rows come from the Counted (metrics/_counted.py), never from the lake directly: an export counts what
# the methodology counts, and every record names the methodology.
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from liqscope._registry import venues as registry
from liqscope.errors import ConfigError
from liqscope.metrics import Counted, exact
from liqscope.standard._ccxt import to_ccxt
from liqscope.standard._schema import FIELDS, SCHEMA_ID, arrow_schema

ExportFormat = Literal["jsonl", "csv", "parquet", "ccxt"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet", "ccxt")

# Columns read from the counted relation (the catalog gives a column an older file lacks as NULL); the standard's
# other fields are derived from the registry.
_READ = ("venue", "market", "instrument_kind", "base_asset", "quote_asset", "settle_asset", "margining",
         "liquidated_side", "venue_side", "price", "price_kind", "order_price", "quantity", "quantity_unit",
         "contract_size", "contract_size_unit", "notional_usd", "notional_order_usd", "usd_floor",
         "liquidation_kind", "margin_mode", "account", "debt_asset", "debt_quantity", "debt_usd", "collateral_asset",
         "collateral_quantity", "collateral_usd", "price_source", "sampling", "ts_event", "ts_recv", "source",
         "event_id", "raw_ref", "synthetic")
_DECIMALS = {name for name, _, typ, _ in FIELDS if pa.types.is_decimal(typ)}
_BATCH = 10_000
_JSON = msgspec.json.Encoder()  # Decimal -> JSON string: exact, and what the schema's decimal pattern reads
_CCXT_JSON = msgspec.json.Encoder(decimal_format="number")  # CCXT's numbers are JSON numbers (exact digits)


class ExportResult(msgspec.Struct, frozen=True, kw_only=True):
    """What an export wrote.

    Attributes:
        format: jsonl, csv, parquet or ccxt.
        records: Records written.
        out: The file written (None: standard output).
        schema: The standard's ``$id``.
        methodology: ``{name, version, fingerprint}`` of the methodology that counted the events.
        start: Resolved window start (ISO-8601 UTC).
        end: Resolved window end.
    """

    format: str
    records: int
    out: str | None
    schema: str
    methodology: dict[str, object]
    start: str
    end: str


def records(c: Counted) -> Iterator[dict[str, Any]]:
    """Yield the counted events of ``c`` as standard records (decimals as ``Decimal``), in venue time order.

    Raises:
        ConfigError: The lake holds a venue that is not registered (its side convention is unknown).
    """
    specs = registry()
    label = f"{c.name}@{c.version}:{c.fingerprint}"
    with c.connect(_READ) as con:
        cur = con.execute(f"SELECT {', '.join(_READ)} FROM counted ORDER BY ts_event, event_id")
        while rows := cur.fetchmany(_BATCH):
            for row in rows:
                r = dict(zip(_READ, row, strict=True))
                spec = specs.get(r["venue"])
                if spec is None:
                    raise ConfigError(f"the lake holds venue {r['venue']!r}, which is not registered (registered: "
                                      f"{', '.join(specs)}): its side convention is unknown")
                inferred = sorted({i.field for i in spec.inferred if i.kind in (None, r["liquidation_kind"])})
                value = r.pop("usd_floor")
                synthetic = r.pop("synthetic")
                out = {k: (exact(v) if k in _DECIMALS and v is not None else v) for k, v in r.items()}
                out |= {"side_convention": spec.side_convention.value, "value_usd": exact(value),
                        "provenance": "inferred" if inferred else "exact", "inferred_fields": inferred,
                        "synthetic": bool(synthetic), "methodology": label}
                yield {name: out[name] for name, *_ in FIELDS}


def _csv_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, list):
        return ";".join(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else v


def _write(rows: Iterator[dict[str, Any]], fmt: str, sink: BinaryIO) -> int:
    n = 0
    if fmt == "parquet":
        schema = arrow_schema()
        with pq.ParquetWriter(sink, schema) as w:
            batch: list[dict[str, Any]] = []
            for r in rows:
                batch.append(r)
                n += 1
                if len(batch) >= _BATCH:
                    w.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            w.write_table(pa.Table.from_pylist(batch, schema=schema))
        return n
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    try:
        if fmt == "csv":
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow([name for name, *_ in FIELDS])
            for r in rows:
                writer.writerow([_csv_value(v) for v in r.values()])
                n += 1
        else:
            for r in rows:
                line = _CCXT_JSON.encode(_normal(to_ccxt(r))) if fmt == "ccxt" else _JSON.encode(r)
                text.write(line.decode() + "\n")
                n += 1
        text.flush()
    finally:
        text.detach()
    return n


def _normal(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (exact(v) if isinstance(v, Decimal) else v) for k, v in obj.items()}


def export(c: Counted, fmt: str, out: Path | BinaryIO) -> ExportResult:
    """Write the counted events of ``c`` in ``fmt`` to a path (atomically: temp file, then rename) or a stream.

    Args:
        c: The counted relation (``liqscope.counted``).
        fmt: ``jsonl`` (one standard record per line), ``csv`` (the same columns, ``inferred_fields``
            joined by ``;``), ``parquet`` (the standard's Arrow schema) or ``ccxt`` (CCXT's unified
            ``Liquidation`` structure, one per line).
        out: A file path, or a binary stream.

    Raises:
        ConfigError: An unknown format (the message lists the valid ones).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    if isinstance(out, Path):
        tmp = out.with_name(f".{out.name}.unconfirmed")
        try:
            with tmp.open("wb") as f:
                n = _write(records(c), fmt, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        where: str | None = str(out)
    else:
        n = _write(records(c), fmt, out)
        where = None
    return ExportResult(format=fmt, records=n, out=where, schema=SCHEMA_ID, methodology=c.meta(),
                        start=c.window.start, end=c.window.end)



