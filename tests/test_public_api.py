"""The public surface is exactly __all__, and every public name is documented."""

from __future__ import annotations

import inspect

import liqscope


def test_all_lists_exactly_the_public_names():
    # Submodules become attributes of the package once anything imports them; they are not re-exports.
    public = {n for n, v in vars(liqscope).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert set(liqscope.__all__) - {"__version__"} == public


def test_every_public_callable_and_class_has_a_docstring():
    for name in liqscope.__all__:
        obj = getattr(liqscope, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"
