"""`liqscope schema`, `liqscope export` and `liqscope validate`: the liquidation-event standard."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from liqscope.cli._common import (
    console,
    data_dir_option,
    emit,
    library_errors,
    main,
    output_format,
    venue_choice,
)
from liqscope.cli.report import counted_all
from liqscope.standard import FORMATS
from liqscope.store import Catalog


@main.command("schema")
@click.option("--arrow", is_flag=True,
              help="The Arrow schema (the parquet export's columns) instead of the JSON Schema.")
@output_format(default="json")
def schema_cmd(fmt: str, arrow: bool) -> None:
    """The liquidation event standard: the JSON Schema (draft 2020-12), or with --arrow the Arrow schema.

    --nl / --csv / --table list the fields (name, Arrow type, required, meaning).
    """
    from liqscope.standard import SCHEMA_ID, VERSION, arrow_description, json_schema

    schema = json_schema()
    arrow_fields = arrow_description()
    if arrow:
        emit(fmt, {"$id": SCHEMA_ID, "version": VERSION, "fields": arrow_fields}, rows=arrow_fields)
        return
    types = {f["name"]: f["type"] for f in arrow_fields}
    fields = [{"name": name, "arrow_type": types[name], "required": name in schema["required"],
               "description": prop["description"]} for name, prop in schema["properties"].items()]

    def table() -> None:
        from rich.table import Table

        t = Table("field", "arrow type", "required", "meaning", title=f"liquidation event {VERSION} ({SCHEMA_ID})")
        for f in fields:
            t.add_row(f["name"], f["arrow_type"], "yes" if f["required"] else "", f["description"])
        console.print(t)

    emit(fmt, schema, rows=fields, table=table)


@main.command("export")
@click.option("--start", required=True, help="Window start, ISO-8601 UTC (inclusive, venue time).")
@click.option("--end", required=True, help="Window end, ISO-8601 UTC (exclusive).")
@click.option("-m", "--methodology", default="standard", show_default=True,
              help="Methodology (built-in name or TOML path) whose counted events are written.")
@click.option("--venue", "venue_ids", multiple=True, type=venue_choice(), help="Only these venues (repeatable).")
@click.option("--format", "export_format", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="jsonl: standard records; csv: the same columns; parquet: the Arrow schema; ccxt: CCXT's "
                   "unified Liquidation structure (side = the liquidated position).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (atomically). Default: standard output (not for parquet).")
@data_dir_option
@output_format
@library_errors
def export_cmd(start: str, end: str, methodology: str, venue_ids: tuple[str, ...], export_format: str,
               out: Path | None, catalog: Catalog, fmt: str) -> None:
    """Write the counted events of [START, END) under a methodology, in a standard shape."""
    from liqscope.standard import export as write

    if out is None and export_format == "parquet":
        raise click.BadParameter("parquet is binary: give --out FILE", param_hint="--out")
    (c,) = counted_all(catalog, [methodology], start, end, venue_ids)
    if out is None:
        try:
            write(c, export_format, sys.stdout.buffer)
        except BrokenPipeError:  # `| head`: the reader has what it wanted; not a lake error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return  # standard output holds the data itself
    result = write(c, export_format, out)
    m = result.methodology
    emit(fmt, result, table=lambda: console.print(
        f"{result.records:,} events → {out} ({export_format}; {m['name']} v{m['version']} {m['fingerprint']}; "
        f"{result.start} .. {result.end})"))


@main.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_format
@library_errors
def validate_cmd(file: Path, fmt: str) -> None:
    """Check every line of a JSON-lines FILE against the liquidation event schema; exit 1 on any error."""
    from liqscope.standard import validate_file

    result = validate_file(file)

    def table() -> None:
        for p in result.problems:
            click.echo(f"{file}:{p.line}: {p.field}: {p.message}", err=True)  # one line each, never wrapped
        more = " (more not listed)" if result.truncated else ""
        console.print(f"{file}: {result.valid:,} of {result.records:,} records valid against {result.schema}{more}")

    emit(fmt, {**{k: getattr(result, k) for k in result.__struct_fields__}, "ok": result.ok}, rows=result.problems,
         table=table)
    if not result.ok:
        raise SystemExit(1)
