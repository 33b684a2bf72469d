"""`liqscope raw REF`: the raw record behind any event."""

from __future__ import annotations

import sys

import click

from liqscope.cli._common import data_dir_option, emit_json, library_errors, main
from liqscope.store import Catalog


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="The decoded record with its provenance, as one JSON object.")
@data_dir_option
@library_errors
def raw(ref: str, as_json: bool, catalog: Catalog) -> None:
    """Print the raw record an event's raw_ref names (REF = <sha256>:<line>), byte for byte.

    Every event, board entry and quarantined record carries a raw_ref; this walks it back to what the
    venue sent. --json adds the batches that read the input (venue, format, file).
    """
    rec = catalog.raw_record(ref)
    if not as_json:
        sys.stdout.buffer.write(rec.raw + b"\n")
        return
    emit_json({"ref": rec.ref, "sha256": rec.sha256, "line": rec.line,
               "raw": rec.raw.decode("utf-8", "replace"), "decoded": rec.decoded(), "batches": rec.batches})
