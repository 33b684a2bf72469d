"""The HTTP API and dashboard (``liqscope serve``). Needs the ``api`` extra: ``pip install 'liqscope[api]'``.

Nothing here imports FastAPI until ``create_app`` is called, so the rest of liqscope runs without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from liqscope.api._admission import Limits
from liqscope.errors import LiqscopeError

__all__ = ["Limits", "MissingExtra", "create_app", "require_extra"]


class MissingExtra(LiqscopeError):
    """An optional dependency group is not installed; the message has the exact ``pip install`` line."""


def require_extra(extra: str, *modules: str) -> None:
    """Import ``modules`` or raise ``MissingExtra`` naming ``pip install 'liqscope[extra]'``."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            raise MissingExtra(f"this needs the optional '{extra}' dependencies ({name} is not installed): "
                               f"pip install 'liqscope[{extra}]'") from None


def create_app(data_dir: Path, **options: Any) -> Any:
    """The FastAPI app serving the API and dashboard over ``data_dir`` (see ``liqscope.api.app.create_app``).

    Raises:
        MissingExtra: FastAPI is not installed.
    """
    require_extra("api", "fastapi", "starlette")
    from liqscope.api.app import create_app as _create

    return _create(Path(data_dir), **options)
