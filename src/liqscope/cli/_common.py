"""Shared CLI pieces: the data-dir option, output formats, consoles and error mapping."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from liqscope._output import emit, emit_json, output_format, plain
from liqscope.errors import LiqscopeError
from liqscope.store import Catalog, default_data_dir
from liqscope.venues import venues

console = Console(highlight=False, width=None if Console().is_terminal else 132)
err_console = Console(stderr=True, highlight=False)


def data_dir_option(fn: Callable[..., Any] | None = None, *, create: bool = False) -> Any:
    """``--data-dir DIR``, falling back to ``$LIQSCOPE_HOME``, then the user data directory.

    A command that only reads (``create=False``) refuses a directory that does not exist, rather than
    answer $0.00 from an empty lake; a command that writes (``ingest``, ``capture``) creates it.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="LIQSCOPE_HOME",
                      default=None, show_envvar=True,
                      help="Where the lake lives. Default: $LIQSCOPE_HOME, else ~/.local/share/liqscope.")
        @functools.wraps(fn)
        def wrapper(*args: Any, data_dir: Path | None, **kwargs: Any) -> Any:
            where = data_dir or default_data_dir()
            if not create and not where.is_dir():
                raise click.ClickException(
                    f"data dir {where} does not exist: no lake there. Check --data-dir / $LIQSCOPE_HOME, or "
                    "create it by ingesting into it (liqscope ingest --data-dir DIR ...)")
            return fn(*args, catalog=Catalog(where), **kwargs)

        return wrapper

    return decorate(fn) if fn is not None else decorate


def library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    # Every failure becomes one line naming the file and what to do, with a non-zero exit: our own errors as
    # they are, and a query that hit a torn or vanished lake file (DuckDB/Arrow) as the file it could not read.
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import duckdb
        import pyarrow as pa

        try:
            return fn(*args, **kwargs)
        except LiqscopeError as e:
            raise click.ClickException(str(e)) from None
        except (duckdb.IOException, duckdb.InvalidInputException, pa.ArrowException, OSError) as e:
            catalog = kwargs.get("catalog")
            if not isinstance(catalog, Catalog):
                raise
            from liqscope.store._writer import damaged

            catalog.invalidate()
            files = [catalog.layout.lake / rel for m in catalog.manifests() for rel in m.files
                     if rel.endswith(".parquet")]
            raise click.ClickException(str(damaged(files, e))) from None

    return wrapper


def venue_choice() -> click.Choice:
    return click.Choice(sorted(venues()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liqscope")
def main() -> None:
    """liqscope: crypto-derivatives liquidations under a declared, fingerprinted methodology."""


__all__ = ["console", "data_dir_option", "emit", "emit_json", "err_console", "library_errors", "main", "output_format",
           "plain", "venue_choice"]
