"""`liqscope verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format
from liqscope.store import Catalog

if TYPE_CHECKING:
    from liqscope.verify import VerifyReport


@main.command()
@click.option("--repair", is_flag=True,
              help="Move files no manifest lists aside (DATA_DIR/orphans/, never deleted) and rebuild batches whose "
                   "manifest was lost from the raw journal; then verify again.")
@data_dir_option
@output_format
@library_errors
def verify(repair: bool, catalog: Catalog, fmt: str) -> None:
    """Rebuild the lake from the raw journal in a temporary directory and report every difference.

    Names each missing, torn or edited file with the rows at stake, any lost or altered raw input, and every
    file no manifest accounts for (orphaned parts and raw blobs, lost or unreadable manifests). Without
    --repair it writes only to a temporary directory. Exits 1 when a difference is found.
    """
    from liqscope.verify import repair_lake, verify_lake

    if repair:
        fixed = repair_lake(catalog)
        emit(fmt, fixed, rows=fixed.after.problems, table=lambda: _render_repair(fixed))
        if not fixed.after.ok:
            raise SystemExit(1)
        return
    r = verify_lake(catalog)
    emit(fmt, r, rows=r.problems, table=lambda: _render(r))
    if not r.ok:
        raise SystemExit(1)


def _render_repair(fixed: Any) -> None:
    if fixed.moved_aside:
        console.print(f"moved {len(fixed.moved_aside)} file(s) no manifest lists aside to {fixed.orphans_dir}")
    if fixed.rebuilt:
        console.print(f"rebuilt {len(fixed.rebuilt)} batch(es) from the raw journal: " + ", ".join(fixed.rebuilt))
    _render(fixed.after)


def _render(r: VerifyReport) -> None:
    from rich.table import Table

    console.print(f"{r.batches} batches, {r.rebuilt} rebuilt from the raw journal, {r.files} files and "
                  f"{r.rows:,} rows compared" + (f"; skipped (not replayable): {', '.join(r.skipped)}" if r.skipped
                                                 else ""))
    if r.ok:
        console.print("[green]ok[/green]: the lake is exactly what the raw journal rebuilds")
        return
    t = Table("problem", "file", "rows", "detail")
    for p in r.problems:
        t.add_row(p.kind, p.path, str(p.rows or ""), "\n".join([p.detail, *p.examples]))
    console.print(t)
