"""Input formats for market data: each venue's ``market.py`` declares its own (``FORMATS``); the CSV
importers of third-party exports live in ``liqscope.market._csv``. No central list of venues."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from liqscope.errors import NotALiquidation, UnknownName
from liqscope.events import Received, Source
from liqscope.normalize import PARSE_FAILURES
from liqscope.venues import venues

__all__ = ["FileContext", "MarketFormat", "Parsed", "get_format", "json_document", "json_lines", "market_formats"]


@dataclass(frozen=True, kw_only=True)
class FileContext:
    """What a reader knows about the file: its sha256, name and when it was read."""

    sha: str
    name: str
    ts_recv: int

    def rx(self, line: int, source: Source) -> Received:
        return Received(ts_ns=self.ts_recv, ref=f"{self.sha}:{line}", source=source)


@dataclass(kw_only=True)
class Parsed:
    """Observations read from one file, and the records that could not be read (line, field, reason).

    ``refused`` says why the whole file does not match its declared format (row spacing, units): then
    nothing of it is imported.
    """

    observations: list[Any] = field(default_factory=list)
    quarantined: list[tuple[int, str | None, str]] = field(default_factory=list)
    records: int = 0
    skipped: int = 0
    refused: str | None = None


@dataclass(frozen=True, kw_only=True)
class MarketFormat:
    """A market-data input format.

    Attributes:
        name: The ``--format`` value (unique across venues).
        venue: The venue (or aggregator) the file's numbers come from.
        read: File bytes + context -> ``Parsed``. Pure apart from the clock already in the context.
        description: One line for ``liqscope market formats``.
    """

    name: str
    venue: str
    read: Callable[[bytes, FileContext], Parsed]
    description: str = ""


_PATH = re.compile(r"at `\$\.?([^`]*)`")


def _quarantine(out: Parsed, line: int, exc: BaseException) -> None:
    field_name = getattr(exc, "field", None)
    if field_name is None and (m := _PATH.search(str(exc))):
        field_name = m.group(1)
    out.quarantined.append((line, field_name, f"{type(exc).__name__}: {exc}"))


def json_document(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[Any]],
                  source: Source = Source.REST) -> Callable[[bytes, FileContext], Parsed]:
    """A reader for a file holding one JSON document (a saved REST response)."""

    def read(data: bytes, ctx: FileContext) -> Parsed:
        out = Parsed(records=1)
        try:
            out.observations.extend(parse(decode(data), ctx.rx(1, source)))
        except NotALiquidation:
            out.skipped += 1
        except PARSE_FAILURES as e:
            _quarantine(out, 1, e)
        return out

    return read


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for n, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if line.strip():
            yield n, line


def json_lines(decode: Callable[[bytes], Any], new_parser: Callable[[], Callable[[Any, Received], list[Any]]],
               source: Source = Source.WS) -> Callable[[bytes, FileContext], Parsed]:
    """A reader for JSON lines (one websocket message per line); ``new_parser()`` may keep state
    across the lines of one file (Bybit ticker snapshot + deltas)."""

    def read(data: bytes, ctx: FileContext) -> Parsed:
        out = Parsed()
        parse = new_parser()
        for n, raw in _lines(data):
            out.records += 1
            try:
                out.observations.extend(parse(decode(raw), ctx.rx(n, source)))
            except NotALiquidation:
                out.skipped += 1            # acks, pongs, subscription responses
            except PARSE_FAILURES as e:
                _quarantine(out, n, e)
        return out

    return read


@functools.cache
def market_formats() -> Mapping[str, MarketFormat]:
    """Every market-data format: each registered venue's ``market.py`` ``FORMATS`` plus the CSV importers."""
    from liqscope.market import _csv

    found: dict[str, MarketFormat] = dict(_csv.FORMATS)
    registered = venues()
    for ep in entry_points(group="liqscope.venues"):
        vid, package = ep.name, ep.module
        if vid not in registered:
            continue
        if importlib.util.find_spec(f"{package}.market") is None:
            continue
        module = importlib.import_module(f"{package}.market")
        for name, fmt in getattr(module, "FORMATS", {}).items():
            if fmt.venue != vid or name in found:
                raise UnknownName(f"market format of {vid} (duplicate or wrong venue)", name, found)
            found[name] = fmt
    return MappingProxyType(dict(sorted(found.items())))


def get_format(name: str) -> MarketFormat:
    """One market format by name.

    Raises:
        UnknownName: Not a known format; the message lists every valid one.
    """
    formats = market_formats()
    if name not in formats:
        raise UnknownName("market format", name, formats)
    return formats[name]
