"""One output layer for every command: ``--json / --nl / --csv / --table`` (as sqlite-utils' ``output_options``).

A command computes its result, then hands it to ``emit(fmt, doc, rows=..., table=...)``:

- ``--json``: the whole document, one JSON object (or array), indented;
- ``--nl``: the result's rows, one compact JSON object per line (newline-delimited JSON);
- ``--csv``: the same rows with a header line; nested objects become dotted columns
  (``methodology.fingerprint``), lists become JSON text in their cell;
- ``--table`` (the default for most commands): the command's own readable view, or a table of the rows.

Exact decimals stay exact in every format: JSON numbers carry every digit (msgspec ``decimal_format="number"``),
CSV cells hold the decimal string (``2051029.334921``, never ``2.05e6``). Rankings travel as ordered arrays,
never as objects keyed by name: a ``by_<dim>`` mapping of records becomes ``[{"<dim>": key, ...}, ...]`` in its
order (a JavaScript object would put integer-like names such as asset ``"4"`` first).
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal, cast

import click
import msgspec

__all__ = ["FORMATS", "Format", "emit", "emit_json", "output_format", "plain", "to_csv", "to_json", "to_nl"]

Format = Literal["json", "nl", "csv", "table"]
FORMATS: tuple[Format, ...] = ("json", "nl", "csv", "table")

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_HELP = {
    "json": "Print the whole result as one JSON object.",
    "nl": "Print the result's rows as newline-delimited JSON, one object per line.",
    "csv": "Print the result's rows as CSV with a header line (exact decimal strings).",
    "table": "Print a readable table.",
}


def output_format(fn: Callable[..., Any] | None = None, *, default: Format = "table") -> Any:
    """Add ``--json / --nl / --csv / --table`` to a command; the command receives ``fmt`` (one of ``FORMATS``).

    Use bare (``@output_format``, default ``table``) or with a default (``@output_format(default="json")``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        wrapped: Any = wrapper
        for name in reversed(FORMATS):
            text = _HELP[name] + (" (default)" if name == default else "")
            # Exactly one of the flags sharing ``fmt`` carries the default; a default on the others would win.
            option = (click.option(f"--{name}", "fmt", flag_value=name, help=text, default=True) if name == default
                      else click.option(f"--{name}", "fmt", flag_value=name, help=text))
            wrapped = option(wrapped)
        return cast("Callable[..., Any]", wrapped)

    return decorate(fn) if fn is not None else decorate


def plain(obj: Any) -> Any:
    """The result as JSON-ready builtins: structs as dicts, exact ``Decimal`` kept, rankings as ordered arrays."""
    return _rank(msgspec.to_builtins(obj, builtin_types=(Decimal,)))


def _rank(x: Any, key: str | None = None) -> Any:
    if isinstance(x, list):
        return [_rank(v) for v in x]
    if not isinstance(x, dict):
        return x
    # A ranking is a ``by_<dim>`` mapping of records (by_asset, by_venue); other mappings keyed by a name (per-venue
    # capture coverage, a capture's venue stats) are lookups, not orders, and stay objects.
    name = key[3:] if key and key.startswith("by_") and len(key) > 3 else None
    if name and x and all(isinstance(v, dict) for v in x.values()):
        return [{name: k, **{f: _rank(v, f) for f, v in rec.items() if f != name}} for k, rec in x.items()]
    return {k: _rank(v, k) for k, v in x.items()}


def to_json(obj: Any, *, indent: int = 2) -> str:
    """Encode for output: exact decimals as JSON numbers, ns ints as they are, rankings as arrays."""
    raw = _ENCODER.encode(plain(obj)).decode()
    return msgspec.json.format(raw, indent=indent) if indent else raw


def to_nl(rows: Iterable[Any]) -> str:
    """Newline-delimited JSON: one compact object per row, each line ending in a newline."""
    return "".join(to_json(r, indent=0) + "\n" for r in rows)


def to_csv(rows: Iterable[Any]) -> str:
    """CSV with a header: the union of the rows' (flattened) fields in first-seen order."""
    flat = [_flatten(plain(r)) for r in rows]
    header: dict[str, None] = {}
    for r in flat:
        header.update(dict.fromkeys(r))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in flat:
        w.writerow([_cell(r.get(k)) for k in header])
    return buf.getvalue()


def _flatten(x: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(x, dict):
        return {prefix or "value": x}
    out: dict[str, Any] = {}
    for k, v in x.items():
        name = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out.update(_flatten(v, name))
        else:
            out[name] = v
    return out


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):  # the exact value as a plain decimal string, trailing zeros dropped
        text = format(v, "f")    # (not Decimal.normalize(): it rounds to the context's 28 digits)
        return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"
    if isinstance(v, (list, dict)):
        return _ENCODER.encode(v).decode()
    return str(v)


def emit(fmt: str, doc: Any, *, rows: Sequence[Any] | Callable[[Any], Sequence[Any]] | None = None,
         table: Callable[[], object] | None = None, encoded: str | None = None) -> None:
    """Render one command's result in ``fmt``: the one place a command's output is formatted.

    Args:
        fmt: One of ``FORMATS`` (what ``output_format`` passed the command).
        doc: The whole result (``--json``), or a function computing it, called only when a data format is
            asked for (a command whose readable view is a walk-through of its own, like ``demo``).
        rows: The result's rows (``--nl``, ``--csv``, and ``--table`` when there is no ``table``), or a
            function of ``doc`` returning them. Default: ``doc`` itself when it is a list, else ``[doc]``.
        table: Prints the human view (``--table``); default: a table of ``rows``.
        encoded: ``doc`` already encoded as JSON by its author (an API response body): ``--json`` prints
            it as it is.
    """
    if fmt not in FORMATS:
        raise ValueError(f"output format {fmt!r}: valid values: {', '.join(FORMATS)}")
    if fmt == "table" and table is not None:
        table()
        return
    if callable(doc):
        doc = doc()
    if callable(rows):
        rows = rows(doc)
    if rows is None:
        rows = doc if isinstance(doc, list) else [doc]
    if fmt == "json":
        sys.stdout.write((to_json(doc) if encoded is None else encoded) + "\n")
    elif fmt == "nl":
        sys.stdout.write(to_nl(rows))
    elif fmt == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        _rows_table(rows)


def emit_json(obj: Any) -> None:
    """``emit("json", obj)``."""
    emit("json", obj)


def _rows_table(rows: Sequence[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    flat = [_flatten(plain(r)) for r in rows]
    cols: dict[str, None] = {}
    for r in flat:
        cols.update(dict.fromkeys(r))
    t = Table(*cols)
    for r in flat:
        t.add_row(*(_cell(r.get(c)) for c in cols))
    Console(highlight=False, width=None if sys.stdout.isatty() else 132).print(t)
