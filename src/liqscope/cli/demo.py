"""`liqscope demo`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from liqscope.cli._common import console, emit, library_errors, main, output_format


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to build the demo lake. Default: a fresh temporary directory.")
@output_format
@library_errors
def demo(data_dir: Path | None, fmt: str) -> None:
    """Ingest the real sample data bundled with liqscope and print the report.

    --json / --nl / --csv: build the lake without the walk-through and print the headline report as data.
    """
    from liqscope._demo import run_demo
    from liqscope.cli.report import report_rows

    emit(fmt, lambda: _headline(data_dir), rows=report_rows, table=lambda: run_demo(console, data_dir))


def _headline(data_dir: Path | None) -> Any:
    from liqscope._demo import HEADLINE, build_demo_lake
    from liqscope.cli.report import counted_all
    from liqscope.metrics import report

    with tempfile.TemporaryDirectory(prefix="liqscope-demo-") as tmp:
        (c,) = counted_all(build_demo_lake(data_dir or Path(tmp)), ["standard"], *HEADLINE, ())
        return report(c)
