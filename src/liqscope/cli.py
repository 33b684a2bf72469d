"""The ``liqscope`` command line: each command parses, calls the library, emits. Nothing else."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from liqscope._output import emit_json, output_format
from liqscope._time import parse_iso_ns
from liqscope.errors import InputUnreadable, LiqscopeError
from liqscope.store import Catalog, default_data_dir
from liqscope.venues import venues

_console = Console(highlight=False, width=None if Console().is_terminal else 132)
_err = Console(stderr=True, highlight=False)


def data_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--data-dir DIR``, falling back to ``$LIQSCOPE_HOME``, then the user data directory."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="LIQSCOPE_HOME",
                  default=None, show_envvar=True,
                  help="Where the lake lives. Default: $LIQSCOPE_HOME, else ~/.local/share/liqscope.")
    @functools.wraps(fn)
    def wrapper(*args: Any, data_dir: Path | None, **kwargs: Any) -> Any:
        return fn(*args, catalog=Catalog(data_dir or default_data_dir()), **kwargs)

    return wrapper


def _library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LiqscopeError as e:
            raise click.ClickException(str(e)) from None

    return wrapper


def _venue_choice() -> click.Choice:
    return click.Choice(sorted(venues()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liqscope")
def main() -> None:
    """liqscope: crypto-derivatives liquidations under a declared, fingerprinted methodology."""


@main.command()
@click.option("--venue", required=True, type=_venue_choice(), help="Venue id the records come from.")
@click.option("--format", "input_format", default="jsonl", show_default=True,
              help="jsonl (one raw websocket message per line), binance-archive, hyperliquid-official, ...")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_dir_option
@output_format
@_library_errors
def ingest(venue: str, input_format: str, paths: tuple[Path, ...], catalog: Catalog, fmt: str) -> None:
    """Ingest files of raw venue records into the lake.

    Every raw record is kept; bad records go to a quarantine file with file, line, field and reason,
    and the rest goes on. Ingesting the same file again adds nothing. Exits non-zero only when an input
    cannot be read at all.
    """
    from liqscope._render import render_ingest
    from liqscope.ingest import ingest_file

    results, unreadable = [], []
    for path in paths:
        try:
            with _progress(path.name) as bar:
                results.append(ingest_file(catalog, venue, path, input_format, progress=bar))
        except InputUnreadable as e:
            unreadable.append(str(e))
            _err.print(f"[red]error[/red]: {e}")
    if fmt == "json":
        emit_json({"ok": not unreadable, "results": results, "unreadable": unreadable})
    else:
        for r in results:
            render_ingest(_console, r)
    if unreadable:
        raise SystemExit(1)


class _progress:
    # A rich progress bar shown on stderr for large inputs only; a no-op callback otherwise.
    def __init__(self, label: str) -> None:
        self.label, self._p, self._task = label, None, None

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._p is None and total >= 20_000 and _err.is_terminal:
            self._p = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                               TimeRemainingColumn(), console=_err, transient=True)
            self._p.start()
            self._task = self._p.add_task(self.label, total=total)
        if self._p is not None:
            self._p.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()


@main.command()
@click.option("--start", required=True, help="Window start, ISO-8601 UTC (inclusive, venue time).")
@click.option("--end", required=True, help="Window end, ISO-8601 UTC (exclusive).")
@click.option("--venue", "venue_ids", multiple=True, type=_venue_choice(),
              help="Only these venues (repeatable). Narrows the methodology's coverage.")
@click.option("-m", "--methodology", "methodologies", multiple=True, default=("standard",), show_default=True,
              help="Built-in name or TOML path (see `liqscope methodologies`).")
@click.option("--largest", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Rows in the largest-liquidations board.")
@data_dir_option
@output_format
@_library_errors
def report(start: str, end: str, venue_ids: tuple[str, ...], methodologies: tuple[str, ...], largest: int,
           catalog: Catalog, fmt: str) -> None:
    """Liquidated notional over [START, END): total, long/short, per asset and venue, largest, coverage."""
    from liqscope._render import render_report
    from liqscope.methodology import load
    from liqscope.metrics import report as compute

    start_ns, end_ns = parse_iso_ns(start, what="--start"), parse_iso_ns(end, what="--end")
    if end_ns <= start_ns:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    m = _narrow(load(methodologies[0]), venue_ids)
    r = compute(catalog, m, start_ns, end_ns, largest_n=largest)
    if fmt == "json":
        emit_json(r)
    else:
        render_report(_console, r)


def _narrow(m: Any, venue_ids: tuple[str, ...]) -> Any:
    if not venue_ids:
        return m
    return msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, venues=tuple(sorted(venue_ids))))


@main.command("venues")
@output_format
def venues_cmd(fmt: str) -> None:
    """Every registered venue: capabilities, side convention, units and sampling."""
    rows = [{"id": s.id, "capabilities": sorted(s.capabilities), "side_convention": str(s.side_convention),
             "quantity_unit": str(s.quantity_unit), "sampled": s.sampled, "sampling": s.sampling,
             "formats": ["jsonl", *sorted(s.formats)]} for s in venues().values()]
    if fmt == "json":
        emit_json(rows)
        return
    from rich.table import Table

    t = Table("venue", "side means", "quantity", "sampling", "formats", "capabilities")
    for r in rows:
        t.add_row(r["id"], r["side_convention"], r["quantity_unit"], r["sampling"] or "every liquidation",
                  ", ".join(r["formats"]), ", ".join(r["capabilities"]))
    _console.print(t)


@main.command("methodologies")
@click.argument("name", required=False)
@output_format
@_library_errors
def methodologies_cmd(name: str | None, fmt: str) -> None:
    """List the built-in methodologies, or show one (by name or TOML path) with its fingerprint."""
    from liqscope.methodology import builtin_names, load

    items = [load(name)] if name else [load(n) for n in builtin_names()]
    rows = [{"name": m.name, "version": m.version, "fingerprint": m.fingerprint(), "description": m.description,
             **({"rules": m.rules()} if name else {})} for m in items]
    if fmt == "json":
        emit_json(rows[0] if name else rows)
        return
    for r in rows:
        _console.print(f"[bold]{r['name']}[/bold] v{r['version']} {r['fingerprint']}  {r['description']}")
        if name:
            _console.print_json(data=msgspec.to_builtins(r["rules"]))


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to build the demo lake. Default: a fresh temporary directory.")
@_library_errors
def demo(data_dir: Path | None) -> None:
    """Ingest the real sample data bundled with liqscope and print the report."""
    from liqscope._demo import run_demo

    run_demo(_console, data_dir)


if __name__ == "__main__":  # pragma: no cover
    main()
