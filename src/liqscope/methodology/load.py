"""TOML -> Methodology, strictly: unknown keys and values are errors that list the valid ones."""

from __future__ import annotations

import functools
import tomllib
import typing
from importlib.resources import files
from pathlib import Path

import msgspec

from liqscope.errors import ConfigError, UnknownName
from liqscope.methodology.spec import Methodology
from liqscope.venues import venues

__all__ = ["builtin_names", "load", "load_file"]

_BUILTIN = "liqscope.methodology.builtin"


def builtin_names() -> list[str]:
    """Names of the shipped methodologies."""
    return sorted(p.name.removesuffix(".toml") for p in files(_BUILTIN).iterdir() if p.name.endswith(".toml"))


def _valid_values(struct: type, key: str) -> list[str]:
    hints = typing.get_type_hints(struct)
    if key in hints:
        args = typing.get_args(hints[key])
        lits = [a for arg in (args or (hints[key],)) for a in (typing.get_args(arg) or ())]
        return [str(v) for v in lits if isinstance(v, str | int)]
    return sorted(f for f in struct.__struct_fields__)


def _explain(e: msgspec.ValidationError, origin: str) -> ConfigError:
    msg = str(e)
    path = msg.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in msg else ""
    parts = [p.split("[")[0] for p in path.split(".") if p]
    struct: type = Methodology
    for p in parts[:-1]:
        struct = typing.get_type_hints(struct).get(p, struct)
    hint = ""
    if msg.startswith("Object contains unknown field"):
        hint = f"; valid keys here: {', '.join(sorted(struct.__struct_fields__))}"  # type: ignore[attr-defined]
    elif parts:
        valid = _valid_values(struct, parts[-1])
        if valid:
            hint = f"; valid values: {', '.join(valid)}"
    return ConfigError(f"{origin}: {msg}{hint}")


def _from_dict(data: dict[str, object], origin: str) -> Methodology:
    try:
        m = msgspec.convert(data, Methodology, strict=False)
    except msgspec.ValidationError as e:
        raise _explain(e, origin) from None
    registered = venues()
    for v in m.coverage.venues:
        if v not in registered:
            raise ConfigError(f"{origin}: coverage.venues: {UnknownName('venue', v, registered)}")
    return m


def load_file(path: Path) -> Methodology:
    """Load a methodology from a TOML file.

    Raises:
        ConfigError: The file is unreadable, not TOML, or breaks the schema (the message names the
            key and lists valid values).
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read methodology file: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return _from_dict(data, str(path))


@functools.cache
def _builtin(name: str) -> Methodology:
    text = files(_BUILTIN).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return _from_dict(tomllib.loads(text), f"builtin:{name}")


def load(name_or_path: str | Path) -> Methodology:
    """A built-in methodology by name, or a TOML file by path.

    Raises:
        UnknownName: Neither a built-in name nor an existing file (lists the built-in names).
        ConfigError: The file is invalid.
    """
    text = str(name_or_path)
    if text in builtin_names():
        return _builtin(text)
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise ConfigError(f"{path}: methodology file does not exist")
        return load_file(path)
    raise UnknownName("methodology", text, builtin_names())
