"""Declared, fingerprinted counting rules, compiled to parameterized SQL."""

from liqscope.methodology.compile import Query, compile_counted
from liqscope.methodology.load import builtin_names, load, load_file
from liqscope.methodology.spec import (
    Cascades,
    Counting,
    Coverage,
    Estimation,
    Flags,
    Methodology,
    Valuation,
    Window,
)

__all__ = [
    "Cascades",
    "Counting",
    "Coverage",
    "Estimation",
    "Flags",
    "Methodology",
    "Query",
    "Valuation",
    "Window",
    "builtin_names",
    "compile_counted",
    "load",
    "load_file",
]
