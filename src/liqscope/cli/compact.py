"""`liqscope compact`."""

from __future__ import annotations

from typing import Any

import click

from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format
from liqscope.store import Catalog


@main.command()
@click.option("--grace", "grace_s", default=600.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to keep replaced files for queries already running; the next compact deletes them.")
@data_dir_option
@output_format
@library_errors
def compact(grace_s: float, catalog: Catalog, fmt: str) -> None:
    """Merge each partition's small Parquet files into one. No result changes.

    Committed atomically like an ingest: a crash at any point leaves either the old files or the merged
    ones counting, never both.
    """
    from liqscope.store._compact import compact as run

    r = run(catalog, grace_s=grace_s)
    emit(fmt, r, table=lambda: _render(r))


def _render(r: Any) -> None:
    if r.batch is None:
        console.print("nothing to merge: every partition holds one file")
    else:
        console.print(f"merged {r.files_before} files into {r.files_after} ({r.rows:,} rows) as batch {r.batch}, "
                      f"replacing {r.replaced_batches} batches")
    console.print(f"retired {r.manifests_retired} replaced manifests, deleted {r.files_deleted} replaced files")
