"""`liqscope raw REF`: the raw record behind any event."""

from __future__ import annotations

import sys

import click

from liqscope.cli._common import data_dir_option, emit, library_errors, main, output_format
from liqscope.store import Catalog


@main.command()
@click.argument("ref")
@data_dir_option
@output_format
@library_errors
def raw(ref: str, catalog: Catalog, fmt: str) -> None:
    """Print the raw record an event's raw_ref names (REF = <sha256>:<line>), byte for byte.

    Every event, board entry and quarantined record carries a raw_ref; this walks it back to what the
    venue sent. --json (--nl, --csv) gives the decoded record with the batches that read the input
    (venue, format, file).
    """
    rec = catalog.raw_record(ref)
    emit(fmt, {"ref": rec.ref, "sha256": rec.sha256, "line": rec.line, "raw": rec.raw.decode("utf-8", "replace"),
               "decoded": rec.decoded(), "batches": rec.batches},
         table=lambda: sys.stdout.buffer.write(rec.raw + b"\n"))
