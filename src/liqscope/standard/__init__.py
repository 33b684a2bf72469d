"""The liquidation-event standard: the versioned schema, exports in the shapes others read, and validation.

- ``json_schema()`` / ``arrow_schema()``: the event as a JSON Schema (draft 2020-12) and an Arrow schema,
  version ``VERSION`` (docs/standard.md: the specification and its compatibility rules).
- ``export(counted, fmt, out)``: the counted events as jsonl, csv, parquet or CCXT's ``Liquidation``.
- ``validate_file(path)``: every line of a JSON-lines file checked against the schema, by line number.
"""

from liqscope.standard._ccxt import to_ccxt, unified_symbol
from liqscope.standard._export import FORMATS, ExportResult, export, records
from liqscope.standard._schema import SCHEMA_ID, VERSION, arrow_description, arrow_schema, json_schema
from liqscope.standard._validate import Problem, Validation, validate_file, validate_record

__all__ = ["FORMATS", "SCHEMA_ID", "VERSION", "ExportResult", "Problem", "Validation", "arrow_description",
           "arrow_schema", "export", "json_schema", "records", "to_ccxt", "unified_symbol", "validate_file",
           "validate_record"]
