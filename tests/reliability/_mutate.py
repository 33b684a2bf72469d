"""The malformed-frame corpus: documented mutations of each venue's REAL fixture frames.

For every registered venue, the source frames are, per ``tests/fixtures/venues/<venue>/*.jsonl`` file,
the smallest real frame that normalizes to at least one event. Each source frame yields:

- ``original``: the frame exactly as recorded, and ``reserialized``: the same tree written back by
  this module's serializer (proves the serializer changes nothing);
- per field (every object member and array item, arrays addressed as ``[*]`` = every element at once):
  ``missing`` (member deleted), ``wrong_type`` (a scalar becomes ``{}``, a container ``"x"``),
  ``null``, ``duplicate_key`` (the member repeated with a conflicting value);
- per numeric field (JSON number, or a decimal string): ``nan`` and ``infinity`` (``"NaN"`` in a
  string, the bare invalid tokens ``NaN``/``Infinity`` in a number), ``zero``, ``negative``,
  ``absurd_large`` (x 1e15) and ``absurd_small`` (x 1e-15), keeping the field's JSON type;
- per other string field: ``unknown_enum`` (``"BOGUS_VALUE"``);
- per field holding the instrument name: ``non_ascii_symbol`` (its base asset spelled ``币安人生``, so
  Binance's ``BTCUSDT`` becomes the real ``币安人生USDT``);
- per frame: ``truncated`` at 1/4, 1/2, 3/4 and all-but-the-last byte, and ``invalid_utf8`` (bytes
  ``FF FE`` inside the instrument name).

Per venue (once): whole-frame ``wrong_type`` (``[]``, ``{}``, ``"frame"``, ``42``, ``null``),
``blank`` (an empty line) and, generated at test time only, ``huge_line``: the first source frame
with its instrument name padded to 10 MiB.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from liqscope.events import Received
from liqscope.normalize import normalize_record
from liqscope.venues import venues

VENUES_ROOT = Path(__file__).parent.parent / "fixtures" / "venues"
MALFORMED_ROOT = Path(__file__).parent.parent / "fixtures" / "malformed"
NON_ASCII_BASE = "币安人生"
HUGE_BYTES = 10 * 1024 * 1024
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_RECV = Received(ts_ns=1_800_000_000_000_000_000, ref="probe:1")


@dataclass(frozen=True)
class Mutant:
    """One corpus line: what was done to which real frame."""

    kind: str
    path: str       # the field mutated ("o.ap", "data[*].v"); "" for whole-frame mutations
    source: str     # "<fixture file>:<line>" of the real frame, or "" for per-venue lines
    raw: bytes

    def describe(self) -> dict[str, str]:
        return {"mutation": self.kind, "path": self.path, "from": self.source}


class _Bare(str):
    """A token written as is (NaN, Infinity): invalid JSON on purpose."""


class _Pairs(list):
    """An object written from (key, value) pairs, so a key can appear twice."""


class _Dup:
    def __init__(self, value: Any) -> None:
        self.value = value


_DELETE = object()


def dump(node: Any) -> str:
    """Serialize a tree from ``json.loads(parse_float=Decimal)`` back to compact JSON."""
    if isinstance(node, _Bare):
        return str(node)
    if isinstance(node, str):
        return json.dumps(node, ensure_ascii=False)
    if node is None or isinstance(node, bool):
        return json.dumps(node)
    if isinstance(node, int | Decimal):
        return str(node)
    if isinstance(node, _Pairs):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dump(v)}" for k, v in node) + "}"
    if isinstance(node, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dump(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ",".join(dump(v) for v in node) + "]"
    raise TypeError(type(node))


def _load(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal)


def _path_text(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += "[*]" if p == "*" else (f".{p}" if out else str(p))
    return out


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any, bool]]:
    # (path, a sample value, is an object member), every node but the root; arrays merge as "*".
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), v, True
            yield from _nodes(v, (*path, k))
    elif isinstance(node, list):
        for v in node:
            yield (*path, "*"), v, False
            yield from _nodes(v, (*path, "*"))


def _apply(node: Any, path: tuple[Any, ...], fn: Callable[[Any], Any]) -> Any:
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(node, list):
            return node
        out = []
        for v in node:
            nv = _apply(v, rest, fn) if rest else fn(v)
            if nv is not _DELETE:
                out.append(nv.value if isinstance(nv, _Dup) else nv)
        return out
    if not isinstance(node, dict):
        return node
    pairs = []
    for k, v in node.items():
        if k != head:
            pairs.append((k, v))
            continue
        nv = _apply(v, rest, fn) if rest else fn(v)
        if nv is _DELETE:
            continue
        if isinstance(nv, _Dup):
            pairs += [(k, v), (k, nv.value)]
        else:
            pairs.append((k, nv))
    keys = [k for k, _ in pairs]
    return _Pairs(pairs) if len(set(keys)) != len(keys) else dict(pairs)


def _is_numeric(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int | Decimal) or (isinstance(v, str) and bool(_NUMERIC.match(v)))


def _scaled(v: Any, exp: int) -> Any:
    d = Decimal(str(v)).scaleb(exp)
    if isinstance(v, int) and exp > 0:
        return int(d)
    text = format(d, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text if isinstance(v, str) else Decimal(text)


def _numeric_mutations(v: Any) -> list[tuple[str, Any]]:
    as_str = isinstance(v, str)
    neg = (v[1:] if v.startswith("-") else "-" + v) if as_str else -v
    return [
        ("nan", "NaN" if as_str else _Bare("NaN")),
        ("infinity", "Infinity" if as_str else _Bare("Infinity")),
        ("zero", "0" if as_str else 0),
        ("negative", neg),
        ("absurd_large", _scaled(v, 15)),
        ("absurd_small", _scaled(v, -15)),
    ]


def _conflicting(v: Any) -> Any:
    if _is_numeric(v):
        return _scaled(v, 1)
    if isinstance(v, bool):
        return not v
    return "DUPLICATE"


def _events_of(venue: str, raw: bytes) -> list[Any]:
    spec = venues()[venue]
    return normalize_record(spec.decode, spec.parse, raw, _RECV).events


def source_frames(venue: str) -> list[tuple[str, bytes]]:
    """Per jsonl fixture file of ``venue``: its smallest real frame that yields events."""
    out = []
    for path in sorted((VENUES_ROOT / venue).glob("*.jsonl")):
        if path.name.endswith(".expected.jsonl"):
            continue
        good = [(len(line), n, line) for n, line in enumerate(path.read_bytes().splitlines(), 1)
                if line.strip() and _events_of(venue, line)]
        if good:
            _, n, line = min(good)
            out.append((f"{path.name}:{n}", line))
    return out


def _market_paths(tree: Any, markets: set[str]) -> list[tuple[Any, ...]]:
    return [p for p, v, _ in _nodes(tree) if isinstance(v, str) and v in markets]


def _rename(value: str, bases: set[str]) -> str:
    for base in sorted(bases, key=len, reverse=True):
        if base and base in value:
            return value.replace(base, NON_ASCII_BASE, 1)
    return NON_ASCII_BASE + value


def frame_mutants(venue: str, source: str, raw: bytes) -> list[Mutant]:
    """Every documented mutation of one real frame (see the module docstring)."""
    tree = _load(raw)
    events = _events_of(venue, raw)
    markets = {e.market for e in events}
    bases = {e.base_asset for e in events}
    out = [Mutant("original", "", source, raw), Mutant("reserialized", "", source, dump(tree).encode())]

    def add(kind: str, path: tuple[Any, ...], fn: Callable[[Any], Any]) -> None:
        out.append(Mutant(kind, _path_text(path), source, dump(_apply(tree, path, fn)).encode()))

    seen: dict[tuple[Any, ...], tuple[Any, bool]] = {}
    for path, sample, member in _nodes(tree):
        seen.setdefault(path, (sample, member))
    for path, (sample, member) in seen.items():
        scalar = not isinstance(sample, dict | list)
        if member:
            add("missing", path, lambda _v: _DELETE)
            add("duplicate_key", path, lambda v: _Dup(_conflicting(v)))
        add("wrong_type", path, lambda v: {} if not isinstance(v, dict | list) else "x")
        if sample is not None:
            add("null", path, lambda _v: None)
        if scalar and _is_numeric(sample):
            for kind, _ in _numeric_mutations(sample):
                add(kind, path, lambda v, _k=kind: dict(_numeric_mutations(v))[_k] if _is_numeric(v) else v)
        elif isinstance(sample, str):
            add("unknown_enum", path, lambda _v: "BOGUS_VALUE")
    for path in _market_paths(tree, markets):
        add("non_ascii_symbol", path, lambda v: _rename(v, bases) if isinstance(v, str) and v in markets else v)
    for frac in (4, 2):
        out.append(Mutant("truncated", f"{len(raw) // frac}/{len(raw)} bytes", source, raw[: len(raw) // frac]))
    out.append(Mutant("truncated", f"{len(raw) * 3 // 4}/{len(raw)} bytes", source, raw[: len(raw) * 3 // 4]))
    out.append(Mutant("truncated", f"{len(raw) - 1}/{len(raw)} bytes", source, raw[:-1]))
    market = sorted(markets)[0].encode()
    if market in raw:
        out.append(Mutant("invalid_utf8", "", source, raw.replace(market, market[:2] + b"\xff\xfe" + market[2:], 1)))
    return out


def corpus(venue: str, *, huge: bool = False) -> list[Mutant]:
    """The whole corpus of ``venue``: every source frame's mutants, then the per-venue lines."""
    frames = source_frames(venue)
    out = [m for source, raw in frames for m in frame_mutants(venue, source, raw)]
    for text in ("[]", "{}", '"frame"', "42", "null"):
        out.append(Mutant("wrong_type", f"$ = {text}", "", text.encode()))
    out.append(Mutant("blank", "", "", b""))
    if huge and frames:
        source, raw = frames[0]
        market = sorted({e.market for e in _events_of(venue, raw)})[0].encode()
        out.append(Mutant("huge_line", "", source, raw.replace(market, b"A" * HUGE_BYTES + market, 1)))
    return out


def corpus_text(venue: str) -> tuple[bytes, str]:
    """The on-disk corpus: the frames (one per line) and a JSON-lines description of each line."""
    mutants = corpus(venue)
    frames = b"".join(m.raw + b"\n" for m in mutants)
    meta = "".join(json.dumps({"line": n, **m.describe()}, ensure_ascii=False) + "\n"
                   for n, m in enumerate(mutants, 1))
    return frames, meta
