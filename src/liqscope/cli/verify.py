"""`liqscope verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqscope.cli._common import console, data_dir_option, emit_json, library_errors, main, output_format
from liqscope.store import Catalog

if TYPE_CHECKING:
    from liqscope.verify import VerifyReport


@main.command()
@data_dir_option
@output_format
@library_errors
def verify(catalog: Catalog, fmt: str) -> None:
    """Rebuild the lake from the raw journal in a temporary directory and report every difference.

    Names each missing, torn or edited file with the rows at stake, and any lost or altered raw input.
    Writes only to a temporary directory. Exits 1 when a difference is found.
    """
    from liqscope.verify import verify_lake

    r = verify_lake(catalog)
    if fmt == "json":
        emit_json(r)
    else:
        _render(r)
    if not r.ok:
        raise SystemExit(1)


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
