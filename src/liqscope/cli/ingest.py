"""`liqscope ingest`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from liqscope.cli._common import (
    console,
    data_dir_option,
    emit,
    err_console,
    library_errors,
    main,
    output_format,
    venue_choice,
)
from liqscope.errors import InputUnreadable
from liqscope.ingest import IngestResult
from liqscope.store import Catalog


@main.command()
@click.option("--venue", required=True, type=venue_choice(), help="Venue id the records come from.")
@click.option("--format", "input_format", default="jsonl", show_default=True,
              help="jsonl (one raw websocket message per line), binance-archive, hyperliquid-official, ...")
@click.option("--received-at", "received_at", metavar="FIELD[:UNIT]|tardis",
              help="jsonl: where each line keeps its receipt time: a JSON member (ISO-8601 UTC, or an integer epoch "
                   "with UNIT s/ms/us/ns), or 'tardis' for Tardis raw-data lines (recognised without it). Required "
                   "for venues whose frames carry no time (bitmex); others default to the moment of ingest.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@data_dir_option(create=True)
@output_format
@library_errors
def ingest(venue: str, input_format: str, received_at: str | None, paths: tuple[Path, ...], catalog: Catalog,
           fmt: str) -> None:
    """Ingest files of raw venue records into the lake.

    Every raw record is kept; bad records go to a quarantine file with file, line, field and reason,
    and the rest goes on. Ingesting the same file again adds nothing. Exits non-zero when an input cannot
    be read at all, or when every record of it failed (then it says which venue and format it looks like).
    `-` reads standard input; pipes and FIFOs work too (read once, copied into the data directory while
    they are ingested). A frame's receipt time comes from the file when it has one (Tardis raw-data lines,
    --received-at); a venue whose frames carry no time (bitmex) is refused without one, never stamped now.
    """
    from liqscope.ingest import ingest_file, ingest_stream

    results, unreadable = [], []
    for path in paths:
        try:
            with _progress(path.name or "stdin") as bar:
                if str(path) == "-":
                    results.append(ingest_stream(catalog, venue, sys.stdin.buffer, input_format, progress=bar,
                                                 received_at=received_at))
                else:
                    results.append(ingest_file(catalog, venue, path, input_format, progress=bar,
                                               received_at=received_at))
        except InputUnreadable as e:
            unreadable.append(str(e))
            err_console.print(f"[red]error[/red]: {e}")
    failed = [_all_failed(r) for r in results if r.records and r.quarantined == r.records]
    emit(fmt, {"ok": not (unreadable or failed), "results": results, "unreadable": unreadable, "failed": failed},
         rows=results, table=lambda: _render(results))
    for f in failed:
        err_console.print(f"[red]error[/red]: {f['message']}", highlight=False)
    if unreadable or failed:
        raise SystemExit(1)


def _render(results: list[IngestResult]) -> None:
    from liqscope._render import render_ingest

    for r in results:
        render_ingest(console, r)


def _all_failed(r: IngestResult) -> dict[str, object]:
    # Every record quarantined: nothing was added, and that is an error, not a quiet zero.
    from liqscope._guess import failure_codes, looks_like

    codes = failure_codes(r.quarantine_file)
    guesses = looks_like(Path(r.file), not_=(r.venue, r.format)) if Path(r.file).is_file() else []
    why = ", ".join(f"{code} ({n:,})" for code, n in codes.most_common())
    hint = ("; it looks like " + " or ".join(f"--venue {v} --format {f}" for v, f in guesses) if guesses
            else "; it does not look like any registered venue's format either")
    return {"file": r.file, "codes": dict(codes), "looks_like": [{"venue": v, "format": f} for v, f in guesses],
            "message": f"{r.file}: every one of its {r.records:,} records failed as --venue {r.venue} --format "
                       f"{r.format}: {why}{hint}. Nothing was added; the records are kept in {r.quarantine_file}"}


class _progress:
    # A rich progress bar shown on stderr for large inputs only; a no-op callback otherwise.
    def __init__(self, label: str) -> None:
        self.label = label
        self._p: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._p is None and total >= 20_000 and err_console.is_terminal:
            self._p = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                               TimeRemainingColumn(), console=err_console, transient=True)
            self._p.start()
            self._task = self._p.add_task(self.label, total=total)
        if self._p is not None and self._task is not None:  # both set together, above
            self._p.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()


