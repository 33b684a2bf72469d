"""The ``liqscope`` command line: each command parses, calls the library, emits. Nothing else.

One module per command (or command family); importing it registers its commands on ``main``.
"""

from liqscope.cli import (  # noqa: F401 - registers commands
    alerts,
    capture,
    catalog,
    compact,
    demo,
    explain,
    ingest,
    levels,
    market,
    raw,
    reconcile,
    report,
    serve,
    simulate,
    standard,
    verify,
)
from liqscope.cli._common import main

__all__ = ["main"]
