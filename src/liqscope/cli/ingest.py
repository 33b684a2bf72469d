"""`liqscope ingest`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from liqscope.cli._common import (
    console,
    data_dir_option,
    emit_json,
    err_console,
    library_errors,
    main,
    output_format,
    venue_choice,
)
from liqscope.errors import InputUnreadable
from liqscope.store import Catalog


@main.command()
@click.option("--venue", required=True, type=venue_choice(), help="Venue id the records come from.")
@click.option("--format", "input_format", default="jsonl", show_default=True,
              help="jsonl (one raw websocket message per line), binance-archive, hyperliquid-official, ...")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@data_dir_option
@output_format
@library_errors
def ingest(venue: str, input_format: str, paths: tuple[Path, ...], catalog: Catalog, fmt: str) -> None:
    """Ingest files of raw venue records into the lake.

    Every raw record is kept; bad records go to a quarantine file with file, line, field and reason,
    and the rest goes on. Ingesting the same file again adds nothing. Exits non-zero only when an input
    cannot be read at all. `-` reads standard input; pipes and FIFOs work too (read once, copied into
    the data directory while they are ingested).
    """
    from liqscope._render import render_ingest
    from liqscope.ingest import ingest_file, ingest_stream

    results, unreadable = [], []
    for path in paths:
        try:
            with _progress(path.name or "stdin") as bar:
                if str(path) == "-":
                    results.append(ingest_stream(catalog, venue, click.get_binary_stream("stdin"), input_format,
                                                 progress=bar))
                else:
                    results.append(ingest_file(catalog, venue, path, input_format, progress=bar))
        except InputUnreadable as e:
            unreadable.append(str(e))
            err_console.print(f"[red]error[/red]: {e}")
    if fmt == "json":
        emit_json({"ok": not unreadable, "results": results, "unreadable": unreadable})
    else:
        for r in results:
            render_ingest(console, r)
    if unreadable:
        raise SystemExit(1)


class _progress:
    # A rich progress bar shown on stderr for large inputs only; a no-op callback otherwise.
    def __init__(self, label: str) -> None:
        self.label, self._p, self._task = label, None, None

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._p is None and total >= 20_000 and err_console.is_terminal:
            self._p = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                               TimeRemainingColumn(), console=err_console, transient=True)
            self._p.start()
            self._task = self._p.add_task(self.label, total=total)
        if self._p is not None:
            self._p.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()


