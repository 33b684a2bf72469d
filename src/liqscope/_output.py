# One shared output option set for every command: --json / --table (default).
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def to_json(obj: Any) -> str:
    """Encode for output: exact decimals as JSON numbers, ns ints as they are."""
    return msgspec.json.format(_ENCODER.encode(obj).decode(), indent=2)


def output_format(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--json`` / ``--table`` to a command; the command receives ``fmt``."""

    @click.option("--json", "fmt", flag_value="json", help="Print one JSON object.")
    @click.option("--table", "fmt", flag_value="table", default=True, help="Print a readable table (default).")
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


def emit_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")
