"""The public surface is exactly __all__, and every public name is documented."""

from __future__ import annotations

import inspect

import liqscope


def test_all_lists_exactly_the_public_names():
    public = {n for n in vars(liqscope) if not n.startswith("_")} - {
        # submodules are reachable as attributes once imported; they are not re-exports
        "errors", "events", "ingest", "methodology", "metrics", "normalize", "store", "cli",
    }
    assert set(liqscope.__all__) - {"__version__"} == public


def test_every_public_callable_and_class_has_a_docstring():
    for name in liqscope.__all__:
        obj = getattr(liqscope, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"
