"""Declared, fingerprinted counting rules, compiled to parameterized SQL."""

from liqscope.methodology.compile import Query, Variant, compile_counted, compile_silences, compile_variant_totals
from liqscope.methodology.load import builtin_names, load, load_file
from liqscope.methodology.spec import (
    DIMENSIONS,
    Cascades,
    Counting,
    Coverage,
    Estimation,
    Flags,
    Levels,
    Methodology,
    SilenceRule,
    Valuation,
    Window,
)
from liqscope.methodology.window import ResolvedWindow, Segment, parse_timezone, resolve_window

__all__ = [
    "DIMENSIONS",
    "Cascades",
    "Counting",
    "Coverage",
    "Estimation",
    "Flags",
    "Levels",
    "Methodology",
    "Query",
    "ResolvedWindow",
    "Segment",
    "SilenceRule",
    "Valuation",
    "Variant",
    "Window",
    "builtin_names",
    "compile_counted",
    "compile_silences",
    "compile_variant_totals",
    "load",
    "load_file",
    "parse_timezone",
    "resolve_window",
]
