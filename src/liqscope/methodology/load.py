"""TOML -> Methodology, strictly: unknown keys and values are errors that list the valid ones."""

from __future__ import annotations

import functools
import tomllib
import typing
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import msgspec

from liqscope._registry import venues
from liqscope.errors import ConfigError, UnknownName
from liqscope.methodology.spec import Coverage, Methodology
from liqscope.methodology.window import parse_timezone

__all__ = ["builtin_names", "load", "load_file"]

_BUILTIN = "liqscope.methodology.builtin"


def builtin_names() -> list[str]:
    """Names of the shipped methodologies."""
    return sorted(p.name.removesuffix(".toml") for p in files(_BUILTIN).iterdir() if p.name.endswith(".toml"))


def _literals(hint: object) -> list[str]:
    # Literal["a", "b"] -> ["a", "b"]; tuple[Literal[...], ...] -> the same; anything else -> [].
    if typing.get_origin(hint) is typing.Literal:
        return [str(v) for v in typing.get_args(hint)]
    return [v for arg in typing.get_args(hint) for v in _literals(arg)]


def _struct_at(parts: list[str]) -> type[msgspec.Struct]:
    struct: type[msgspec.Struct] = Methodology
    for p in parts:
        hint = typing.get_type_hints(struct).get(p)
        if typing.get_origin(hint) is tuple:  # tuple[SomeStruct, ...]: the path indexes into it
            hint = typing.get_args(hint)[0]
        if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
            struct = hint
    return struct


def _explain(e: msgspec.ValidationError, origin: str) -> ConfigError:
    msg = str(e)
    path = msg.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in msg else ""
    parts = [p.split("[")[0] for p in path.split(".") if p]
    hint = ""
    if msg.startswith("Object contains unknown field"):
        struct = _struct_at(parts)  # the path names the object that has the unknown key
        hint = f"; valid keys here: {', '.join(sorted(struct.__struct_fields__))}"
    elif parts:
        valid = _literals(typing.get_type_hints(_struct_at(parts[:-1])).get(parts[-1]))
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
    seen: set[str] = set()
    for i, rule in enumerate(m.coverage.silence):
        key = f"coverage.silence[{i}]"
        if rule.venue not in registered:
            raise ConfigError(f"{origin}: {key}.venue: {UnknownName('venue', rule.venue, registered)}")
        if rule.venue in seen:
            raise ConfigError(f"{origin}: {key}.venue: {rule.venue!r} has two silence rules; give each venue one")
        seen.add(rule.venue)
    _check_values(m, origin)
    return m


def _check_values(m: Methodology, origin: str) -> None:
    # Ranges msgspec types cannot say. Each message names the key and the valid values.
    try:
        parse_timezone(m.window.timezone)
    except ConfigError as e:
        raise ConfigError(f"{origin}: {e}") from None
    est = m.estimation
    checks = [
        ("window.hours", m.window.hours, 1 <= m.window.hours <= 8_784, "an integer from 1 to 8784"),
        ("counting.min_notional_usd", m.counting.min_notional_usd, m.counting.min_notional_usd >= 0,
         "a number >= 0"),
        ("estimation.level", est.level, 0 < est.level < 1, "a number strictly between 0 and 1 (e.g. 0.9)"),
        ("estimation.neighbourhood_seconds", est.neighbourhood_seconds, 1 <= est.neighbourhood_seconds <= 3_600,
         "an integer from 1 to 3600"),
        ("estimation.base", est.base, est.base >= 0, "a number >= 0"),
        ("estimation.slope", est.slope, est.slope >= 0, "a number >= 0"),
        ("estimation.dispersion", est.dispersion, est.dispersion > 0, "a number > 0"),
        *((f"coverage.silence[{i}].hole_seconds", r.hole_seconds, 60 <= r.hole_seconds <= 604_800,
           "an integer from 60 to 604800 (one week)") for i, r in enumerate(m.coverage.silence)),
    ]
    for key, got, ok, valid in checks:
        if not ok:
            raise ConfigError(f"{origin}: {key}: {got} is out of range; valid values: {valid}")
    _check_levels(m, origin, registered=set(venues()))
    for field in ("instrument_kinds", "liquidation_kinds"):
        if not getattr(m.coverage, field):
            valid = ", ".join(_literals(typing.get_type_hints(Coverage)[field]))
            raise ConfigError(f"{origin}: coverage.{field}: an empty list counts nothing; valid values: {valid}")


def _check_levels(m: Methodology, origin: str, registered: set[str]) -> None:
    lv = m.levels
    if not lv.leverage or len(lv.weights) != len(lv.leverage):
        raise ConfigError(f"{origin}: levels.weights: {len(lv.weights)} weights for {len(lv.leverage)} leverage "
                          "tiers; valid values: one weight per tier of levels.leverage (at least one tier)")
    bad_mm = sorted(k for k in lv.maintenance_margin if k != "default" and k not in registered)
    if bad_mm:
        raise ConfigError(f"{origin}: levels.maintenance_margin: unknown venue {bad_mm[0]!r}; valid keys: default, "
                          f"{', '.join(sorted(registered))}")
    if "default" not in lv.maintenance_margin:
        raise ConfigError(f"{origin}: levels.maintenance_margin: needs a 'default' key (used for venues not named)")
    checks = [
        ("levels.leverage", lv.leverage, all(1 < x <= 1000 for x in lv.leverage) and
         len(set(lv.leverage)) == len(lv.leverage), "distinct integers from 2 to 1000"),
        ("levels.weights", lv.weights, all(w >= 0 for w in lv.weights) and sum(lv.weights) == 1,
         "numbers >= 0 that sum to exactly 1"),
        ("levels.maintenance_margin", lv.maintenance_margin,
         all(0 < v < Decimal("0.5") for v in lv.maintenance_margin.values()), "fractions above 0 and below 0.5"),
        ("levels.half_life_hours", lv.half_life_hours, lv.half_life_hours > 0, "a number of hours > 0"),
        ("levels.long_share", lv.long_share, 0 <= lv.long_share <= 1, "a number from 0 to 1"),
        ("levels.bucket_bp", lv.bucket_bp, 0 < lv.bucket_bp <= 1000, "a number of basis points from 0 (excl.) to "
                                                                     "1000"),
        ("levels.history_hours", lv.history_hours, 24 <= lv.history_hours <= 8_784, "an integer from 24 to 8784"),
        ("levels.cluster_share", lv.cluster_share, 0 < lv.cluster_share <= 1, "a number from 0 (excl.) to 1"),
    ]
    for key, got, ok, valid in checks:
        if not ok:
            raise ConfigError(f"{origin}: {key}: {got} is out of range; valid values: {valid}")


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
