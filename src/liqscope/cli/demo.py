"""`liqscope demo`."""

from __future__ import annotations

from pathlib import Path

import click

from liqscope.cli._common import console, library_errors, main


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to build the demo lake. Default: a fresh temporary directory.")
@library_errors
def demo(data_dir: Path | None) -> None:
    """Ingest the real sample data bundled with liqscope and print the report."""
    from liqscope._demo import run_demo

    run_demo(console, data_dir)


