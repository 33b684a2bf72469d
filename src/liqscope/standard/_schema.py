# The liquidation-event standard: one field table, rendered as a JSON Schema (draft 2020-12) and an Arrow schema.
# Compatibility rules and the golden per version: docs/standard.md and tests/standard/test_schema.py.
from __future__ import annotations

from typing import Any

import pyarrow as pa

from liqscope._registry import SideConvention
from liqscope.events import InstrumentKind, LiquidationKind, Margining, MarginMode, PositionSide, PriceKind, QtyUnit

VERSION = "1.0.0"
SCHEMA_ID = f"https://liqscope.org/schema/liquidation-event/{VERSION}.json"

_MONEY = pa.decimal128(38, 18)
# A decimal as a string, exactly as the lake holds it (no float on the way): "0.288", "98350.1".
_DECIMAL_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"


def _enum(values: list[str], *, null: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if null else "string", "enum": [*values, None] if null else values}


def _names(e: Any) -> list[str]:
    return [m.value for m in e]


def _decimal(*, null: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if null else "string", "pattern": _DECIMAL_PATTERN}


def _text(max_length: int, *, null: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if null else "string", "minLength": 1, "maxLength": max_length}


def _note() -> dict[str, Any]:
    # Free text written by liqscope (a price source with the oracle answer's age; a sample's description).
    return {"type": ["string", "null"], "minLength": 1}


_TS = {"type": "integer", "minimum": 1_230_768_000_000_000_000, "maximum": 4_102_444_799_999_999_999}

# (name, JSON Schema, Arrow type, description). Order is the column order of csv and parquet.
FIELDS: list[tuple[str, dict[str, Any], pa.DataType, str]] = [
    ("venue", {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}, pa.string(),
     "Venue id, a snake_case market family (binance_usdm, bybit_linear, hyperliquid)."),
    ("market", _text(64), pa.string(), "The venue's own symbol; '*' for an account-level record."),
    ("instrument_kind", _enum(_names(InstrumentKind)), pa.string(),
     "perpetual, dated_future, account (a whole-account record naming no instrument), or lending (a lending "
     "protocol's liquidation: debt repaid, collateral seized)."),
    ("base_asset", _text(64), pa.string(), "The asset, without lot multipliers (1000PEPEUSDT -> PEPE)."),
    ("quote_asset", _text(64), pa.string(), "Quote currency (USDT, USD, USDC)."),
    ("settle_asset", _text(64), pa.string(), "Settlement asset (BTC for inverse contracts)."),
    ("margining", _enum(_names(Margining)), pa.string(), "linear or inverse."),
    ("liquidated_side", _enum(_names(PositionSide), null=True), pa.string(),
     "The liquidated POSITION (LONG/SHORT), never the order side; null for account records and for lending "
     "liquidations whose legs name no side."),
    ("venue_side", _text(16, null=True), pa.string(),
     "The venue's own side value as the record spelled it (SELL, Buy, A); its meaning is side_convention."),
    ("side_convention", _enum(_names(SideConvention)), pa.string(),
     "What the venue's side means: order (SELL closes a long), position (Buy = a long liquidated), taker "
     "(the taker's side, with a who-was-liquidated flag), fill_leg (each user's own fill side)."),
    ("price", _decimal(null=True), _MONEY, "The price the notional is valued at (null for account records)."),
    ("price_kind", _enum(_names(PriceKind), null=True), pa.string(), "average_fill, bankruptcy or order."),
    ("order_price", _decimal(null=True), _MONEY, "The order/bankruptcy price when sent besides the fill price."),
    ("quantity", _decimal(), _MONEY, "The FILLED quantity, in quantity_unit."),
    ("quantity_unit", _enum(_names(QtyUnit)), pa.string(), "base, contracts or quote."),
    ("contract_size", _decimal(null=True), _MONEY, "For contracts: one contract is contract_size contract_size_unit."),
    ("contract_size_unit", _enum(["base", "quote"], null=True), pa.string(), "base or quote (for contracts)."),
    ("notional_usd", _decimal(null=True), _MONEY,
     "quantity valued at price in USD, stablecoins at par; lending: the debt repaid, null when not valued."),
    ("notional_order_usd", _decimal(null=True), _MONEY, "The same valued at order_price (= notional_usd when none)."),
    ("value_usd", _decimal(), _MONEY,
     "The notional under the exporting methodology's valuation rule (observed, never an estimate)."),
    ("liquidation_kind", _enum(_names(LiquidationKind)), pa.string(),
     "market (on the book), backstop (taken over by a vault) or adl (auto-deleveraging)."),
    ("margin_mode", _enum(_names(MarginMode), null=True), pa.string(), "cross or isolated, where the venue says."),
    ("account", _text(256, null=True), pa.string(), "The liquidated account, where the venue publishes it."),
    ("debt_asset", _text(64, null=True), pa.string(), "Lending: the asset repaid (null elsewhere)."),
    ("debt_quantity", _decimal(null=True), _MONEY, "Lending: the amount repaid, in debt_asset."),
    ("debt_usd", _decimal(null=True), _MONEY, "Lending: the debt repaid in USD; null when not valued."),
    ("collateral_asset", _text(64, null=True), pa.string(), "Lending: the collateral seized (null elsewhere)."),
    ("collateral_quantity", _decimal(null=True), _MONEY, "Lending: the amount seized, in collateral_asset."),
    ("collateral_usd", _decimal(null=True), _MONEY, "Lending: the collateral seized in USD; null when not valued."),
    ("price_source", _note(), pa.string(), "Lending: where each leg's USD price came from."),
    ("sampling", _note(), pa.string(),
     "The source record's sampling, where the source is a sample (a subgraph export); null: every record."),
    ("ts_event", _TS, pa.int64(), "Venue time: integer ns since the Unix epoch, UTC."),
    ("ts_recv", _TS, pa.int64(), "Receipt time: integer ns since the Unix epoch, UTC."),
    ("source", _enum(["ws", "rest", "archive", "file"]), pa.string(), "How the record reached the recorder."),
    ("provenance", _enum(["exact", "inferred"]), pa.string(),
     "exact: every field read as the venue documents it; inferred: see inferred_fields."),
    ("inferred_fields", {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
     pa.list_(pa.string()), "The fields whose reading was inferred, not documented by the venue ([] when exact)."),
    ("event_id", _text(256), pa.string(), "Identity of the liquidation itself, equal across copies."),
    ("raw_ref", _text(256), pa.string(), "Reference to the raw record: <sha256 of the raw input>:<line>."),
    ("synthetic", {"type": "boolean"}, pa.bool_(), "True only for simulator output."),
    ("methodology", {"type": "string", "pattern": "^[^@]+@[0-9]+:[0-9a-f]{12}$"}, pa.string(),
     "The methodology that counted the event: name@version:fingerprint."),
]

# What a recorder without methodologies may leave out; liqscope's exports always write them.
OPTIONAL = frozenset({"value_usd", "methodology"})

# Conditional rules, checked by any draft 2020-12 validator and by liqscope's own (standard/_validate.py).
_RULES: list[dict[str, Any]] = [
    {"if": {"properties": {"quantity_unit": {"const": "contracts"}}, "required": ["quantity_unit"]},
     "then": {"properties": {"contract_size": {"type": "string"}, "contract_size_unit": {"type": "string"}}},
     "else": {"properties": {"contract_size": {"type": "null"}, "contract_size_unit": {"type": "null"}}}},
    {"if": {"properties": {"instrument_kind": {"const": "account"}}, "required": ["instrument_kind"]},
     "then": {"properties": {"liquidated_side": {"type": "null"}, "price": {"type": "null"},
                             "market": {"const": "*"}}}},
    # A derivatives market's liquidation has a side, a price and a notional; lending may lack each.
    {"if": {"properties": {"instrument_kind": {"enum": ["perpetual", "dated_future"]}},
            "required": ["instrument_kind"]},
     "then": {"properties": {"liquidated_side": {"type": "string"}, "price": {"type": "string"},
                             "price_kind": {"type": "string"}, "notional_usd": {"type": "string"}}}},
    {"if": {"properties": {"provenance": {"const": "exact"}}, "required": ["provenance"]},
     "then": {"properties": {"inferred_fields": {"maxItems": 0}}},
     "else": {"properties": {"inferred_fields": {"minItems": 1}}}},
]


def json_schema() -> dict[str, Any]:
    """Return the liquidation event as a JSON Schema (draft 2020-12), with ``$id`` and ``version``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Liquidation event",
        "description": "One liquidation of a crypto-derivatives position, normalized (liqscope standard; "
                       "docs/standard.md).",
        "version": VERSION,
        "type": "object",
        "properties": {name: {**schema, "description": doc} for name, schema, _, doc in FIELDS},
        "required": [name for name, *_ in FIELDS if name not in OPTIONAL],
        # Closed, so a misspelt field fails; extensions go under an "x_" prefix (docs/standard.md).
        "patternProperties": {"^x_[a-z0-9_]+$": {}},
        "additionalProperties": False,
        "allOf": _RULES,
    }


def arrow_schema() -> pa.Schema:
    """Return the liquidation event as an Arrow schema (the columns of the parquet export)."""
    return pa.schema([pa.field(name, typ, nullable=name not in _NOT_NULL, metadata={"description": doc})
                      for name, _, typ, doc in FIELDS],
                     metadata={"liqscope.standard.version": VERSION, "liqscope.standard.id": SCHEMA_ID})


_NOT_NULL = {name for name, schema, *_ in FIELDS if not isinstance(schema["type"], list) and name not in OPTIONAL}


def arrow_description() -> list[dict[str, Any]]:
    """The Arrow schema as plain data: ``[{name, type, nullable}]`` (``liqscope schema --arrow --json``)."""
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in arrow_schema()]
