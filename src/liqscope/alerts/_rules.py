# Alert rules: TOML, parsed strictly. Every error names the file, the rule and the field, and lists valid values.
from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import msgspec

from liqscope.errors import ConfigError

Kind = Literal["notional", "single", "cascade", "flag", "health"]
KINDS: tuple[str, ...] = ("notional", "single", "cascade", "flag", "health")
SIDES: tuple[str, ...] = ("LONG", "SHORT")
FLAGS: tuple[str, ...] = ("bluechip_concentration", "crowded_long", "long_dominance", "top_accounts")
DIRECTIONS: tuple[str, ...] = ("above", "below")

_COMMON = {"name", "kind", "cooldown_seconds", "channels", "venues"}
# The fields each kind reads, besides the common ones; any other field is an error, not silently ignored.
_FIELDS: dict[str, set[str]] = {
    "notional": {"window_seconds", "threshold_usd", "assets", "side"},
    "single": {"threshold_usd", "assets", "side"},
    "cascade": {"assets"},
    "flag": {"flag", "window_seconds", "every_seconds"},
    "health": {"threshold", "direction", "assets", "every_seconds"},
}
_REQUIRED: dict[str, set[str]] = {"notional": {"threshold_usd"}, "single": {"threshold_usd"}, "cascade": set(),
                                  "flag": {"flag"}, "health": {"threshold"}}
_DEFAULT_WINDOW = {"notional": 60, "flag": 3600}
_DEFAULT_EVERY = {"flag": 300, "health": 3600}
_TOP = {"rule", "methodology"}


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    """One alert rule (docs/standard.md, "Alerts").

    Attributes:
        name: Unique within the file.
        kind: ``notional`` (rolling liquidated notional over ``window_seconds`` >= ``threshold_usd``),
            ``single`` (one liquidation >= ``threshold_usd``), ``cascade`` (a cascade's onset, under the
            methodology's cascade rule), ``flag`` (a structural flag raised over the trailing window), or
            ``health`` (the leverage-health index crosses ``threshold``).
        window_seconds: The rolling window (notional, flag).
        threshold_usd: USD threshold (notional, single).
        threshold: Index threshold, 0..100 (health).
        direction: ``above`` fires when the index rises to or past the threshold, ``below`` when it falls
            to or under it (health).
        flag: Which structural flag (flag).
        every_seconds: How often the flag or index is evaluated (flag, health).
        cooldown_seconds: After an alert, the rule stays quiet this long.
        assets: Only these base assets ([] = all); health: the assets whose index is watched (default BTC).
        venues: Only these venues ([] = all the methodology covers).
        side: Only liquidations of this position side (notional, single).
        channels: Apprise URLs to deliver to.
    """

    name: str
    kind: Kind
    window_seconds: int = 0
    threshold_usd: Decimal | None = None
    threshold: Decimal | None = None
    direction: Literal["above", "below"] = "above"
    flag: str | None = None
    every_seconds: int = 0
    cooldown_seconds: int = 600
    assets: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    side: Literal["LONG", "SHORT"] | None = None
    channels: tuple[str, ...] = ()


class RuleSet(msgspec.Struct, frozen=True, kw_only=True):
    """A rules file: its rules and the methodology they are evaluated under (default ``standard``)."""

    path: str
    methodology: str
    rules: tuple[Rule, ...]


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _int(where: str, key: str, value: Any, low: int) -> int:
    if type(value) is not int or value < low:
        raise _fail(where, f"field {key!r} must be a whole number >= {low}, got {value!r}")
    return value


def _decimal(where: str, key: str, value: Any) -> Decimal:
    # TOML floats are binary: read them through their shortest repr (500000.0 -> 500000), never their bits.
    if type(value) not in (int, float, str):
        raise _fail(where, f"field {key!r} must be a number, got {value!r}")
    try:
        d = Decimal(repr(value) if type(value) is float else str(value))
    except InvalidOperation:
        raise _fail(where, f"field {key!r} must be a number, got {value!r}") from None
    if not d.is_finite() or d <= 0:
        raise _fail(where, f"field {key!r} must be a finite number > 0, got {value!r}")
    return d


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"field {key!r} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _choice(where: str, key: str, value: Any, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise _fail(where, f"field {key!r}: {value!r} is not one of {', '.join(valid)}")
    return str(value)


def _rule(where: str, raw: Any, venue_ids: tuple[str, ...]) -> Rule:
    if not isinstance(raw, dict):
        raise _fail(where, "a [[rule]] must be a table")
    if "kind" not in raw:
        raise _fail(where, f"field 'kind' is missing; valid kinds: {', '.join(KINDS)}")
    kind = _choice(where, "kind", raw["kind"], KINDS)
    allowed = _COMMON | _FIELDS[kind]
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(where, f"field(s) {', '.join(map(repr, unknown))} do not apply to kind {kind!r}; valid fields: "
                           f"{', '.join(sorted(allowed))}")
    missing = sorted(({"name"} | _REQUIRED[kind]) - set(raw))
    if missing:
        raise _fail(where, f"field(s) {', '.join(map(repr, missing))} missing (required for kind {kind!r})")
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        raise _fail(where, f"field 'name' must be a non-empty string, got {raw['name']!r}")
    args: dict[str, Any] = {"name": raw["name"], "kind": kind,
                            "window_seconds": _int(where, "window_seconds", raw.get("window_seconds",
                                                                                     _DEFAULT_WINDOW.get(kind, 0)), 0),
                            "every_seconds": _int(where, "every_seconds", raw.get("every_seconds",
                                                                                   _DEFAULT_EVERY.get(kind, 0)), 0),
                            "cooldown_seconds": _int(where, "cooldown_seconds", raw.get("cooldown_seconds", 600), 0)}
    if kind in _DEFAULT_WINDOW and args["window_seconds"] < 1:
        raise _fail(where, f"field 'window_seconds' must be >= 1, got {args['window_seconds']}")
    if kind in _DEFAULT_EVERY and args["every_seconds"] < 1:
        raise _fail(where, f"field 'every_seconds' must be >= 1, got {args['every_seconds']}")
    if "threshold_usd" in raw:
        args["threshold_usd"] = _decimal(where, "threshold_usd", raw["threshold_usd"])
    if "threshold" in raw:
        args["threshold"] = _decimal(where, "threshold", raw["threshold"])
        if args["threshold"] > 100:
            raise _fail(where, f"field 'threshold' is an index value, 0..100, got {raw['threshold']!r}")
    if "direction" in raw:
        args["direction"] = _choice(where, "direction", raw["direction"], DIRECTIONS)
    if "flag" in raw:
        args["flag"] = _choice(where, "flag", raw["flag"], FLAGS)
    if "side" in raw:
        args["side"] = _choice(where, "side", raw["side"], SIDES)
    for key in ("assets", "venues", "channels"):
        if key in raw:
            args[key] = _strings(where, key, raw[key])
    args["assets"] = tuple(a.upper() for a in args.get("assets", ()))
    for v in args.get("venues", ()):
        _choice(where, "venues", v, venue_ids)
    return Rule(**args)


def load_rules(path: Path, venue_ids: tuple[str, ...]) -> RuleSet:
    """Read a rules file strictly.

    Args:
        path: The TOML file: ``[[rule]]`` tables and an optional top-level ``methodology``.
        venue_ids: The registered venues (a rule's ``venues`` must name them).

    Raises:
        ConfigError: Unreadable TOML, an unknown field or kind, a wrong type, a duplicate rule name; the
            message names the file, the rule and the field, and lists the valid values.
    """
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the rules file ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise _fail(str(path), f"unknown top-level key(s) {', '.join(map(repr, unknown))}; valid: "
                               f"{', '.join(sorted(_TOP))}")
    raws = doc.get("rule", [])
    if not isinstance(raws, list) or not raws:
        raise _fail(str(path), "no [[rule]] table: a rules file holds at least one")
    methodology = doc.get("methodology", "standard")
    if not isinstance(methodology, str) or not methodology:
        raise _fail(str(path), f"'methodology' must be a methodology name or TOML path, got {methodology!r}")
    rules: list[Rule] = []
    for i, raw in enumerate(raws, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        rule = _rule(f"{path}: rule {i}" + (f" ({name!r})" if isinstance(name, str) else ""), raw, venue_ids)
        if any(r.name == rule.name for r in rules):
            raise _fail(f"{path}: rule {i}", f"name {rule.name!r} is used twice (names must be unique)")
        rules.append(rule)
    return RuleSet(path=str(path), methodology=methodology, rules=tuple(rules))
