"""Market observations: funding, open interest, mark/index premium, prices, external reference buckets.

This module is what a venue's ``market.py`` builds on (the observation types, the value helpers and the
file readers) and sits outside ``liqscope.market`` so that venues never import the market package (its
lake tables and queries): the import-linter contracts in pyproject.toml. ``liqscope.market`` re-exports
every public name.

Glossary (full words; venue spellings stay in each venue's ``market_wire.py``):

- **rate**: the funding rate for one funding interval, as a fraction (0.0001 = 0.01 %), positive when
  longs pay shorts. **interval_hours**: the length of that interval. **rate_8h** = rate × 8 /
  interval_hours; **annualized** = rate × 8760 / interval_hours (simple, not compounded).
- **interval_source**: ``stated`` (the payload says), ``inferred`` (from the spacing of a venue's own
  funding timestamps), ``venue_default`` (the venue's documented schedule for that time) or
  ``unknown`` (no per-8h or annualized figure is given, never a guess).
- **kind** (funding): ``realized`` (a settled rate, ``ts_event`` = funding time) or ``predicted``
  (the live estimate for the coming settlement, ``ts_event`` = observation time).
- **oi_base** / **oi_usd**: open interest counted ONE side only (a 1-BTC long against a 1-BTC short is
  1 BTC), in the base asset and in USD. ``method`` says how the venue's figure was made single-sided.
- **premium**: (mark − index) / index, computed by us; **premium_index**: the venue's own published
  premium index (impact-price based, Binance/Hyperliquid/OKX style), kept separately.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NotRequired, TypedDict

import msgspec

from liqscope.errors import NotALiquidation
from liqscope.events import Received, Source
from liqscope.normalize import PARSE_FAILURES

__all__ = [
    "AccountPosition",
    "FileContext",
    "FundingKind",
    "FundingRate",
    "FundingSchedule",
    "IntervalSource",
    "MarketFormat",
    "MarketObservation",
    "ObservationFields",
    "OpenInterest",
    "Parsed",
    "PositionSnapshot",
    "Premium",
    "Price",
    "ReferenceBucket",
    "dec_or_none",
    "json_document",
    "json_lines",
    "ms_ns",
    "premium_of",
]

FundingKind = Literal["realized", "predicted"]
IntervalSource = Literal["stated", "inferred", "venue_default", "unknown"]


class _Observation(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    market: str
    base_asset: str
    ts_event: int                 # venue time, ns UTC
    ts_recv: int                  # when we received / read the record, ns UTC
    source: str                   # ws | rest | file
    provider: str = "venue"       # who published the number: the venue itself, or an aggregator
    raw_ref: str                  # <raw blob sha256>:<line>


class ObservationFields(TypedDict):
    """The fields every observation shares, built once per record and spread into each: ``Premium(**c, ...)``."""

    venue: str
    market: str
    base_asset: str
    ts_event: int
    ts_recv: int
    source: str
    raw_ref: str
    provider: NotRequired[str]


class FundingRate(_Observation, frozen=True, kw_only=True):
    """One funding rate, normalized to per-8h and annualized where its interval is known."""

    kind: FundingKind
    rate: Decimal
    interval_hours: int | None = None
    interval_source: IntervalSource = "unknown"
    rate_8h: Decimal | None = None
    annualized: Decimal | None = None
    next_funding_ns: int | None = None


class FundingSchedule(_Observation, frozen=True, kw_only=True):
    """A venue's statement of a market's funding interval (Binance ``fundingInfo``)."""

    interval_hours: int


class OpenInterest(_Observation, frozen=True, kw_only=True):
    """Open interest, single-sided, in base units and/or USD (``None`` where not derivable)."""

    oi_base: Decimal | None = None
    oi_usd: Decimal | None = None
    oi_contracts: Decimal | None = None
    method: str = "single-sided as published"


class Premium(_Observation, frozen=True, kw_only=True):
    """Mark and index price, their premium, and the venue's own premium index when it publishes one."""

    mark_price: Decimal | None = None
    index_price: Decimal | None = None
    premium: Decimal | None = None
    premium_index: Decimal | None = None


class Price(_Observation, frozen=True, kw_only=True):
    """A reference price (e.g. a spot close) used to value quantities; ``price_type`` says which."""

    price: Decimal
    price_type: str = "spot_close"


class ReferenceBucket(msgspec.Struct, frozen=True, kw_only=True):
    """One bucket of an external platform's published liquidation aggregate (e.g. CoinGlass hourly).

    ``covers`` names the venues the platform says the figure sums over; ``asset`` the asset.
    """

    provider: str
    series: str
    asset: str
    covers: str
    ts_start: int
    ts_end: int
    long_usd: Decimal
    short_usd: Decimal
    total_usd: Decimal
    raw_ref: str
    ts_recv: int = 0


class AccountPosition(msgspec.Struct, frozen=True, kw_only=True):
    """One account's open position as the venue states it, with the venue's own liquidation price.

    Read from a venue that exposes positions (Hyperliquid ``clearinghouseState``); a measured liquidation
    map sums these. ``liquidation_price`` is None where the venue gives none (the position cannot be
    liquidated by price: e.g. fully collateralized). ``raw_ref`` is ``<file sha256>:<line>``.
    """

    venue: str
    account: str
    coin: str
    side: Literal["LONG", "SHORT"]
    size: Decimal                      # base units, > 0 (the side says the sign)
    entry_price: Decimal | None
    position_value_usd: Decimal        # the venue's mark-to-market value of the position
    liquidation_price: Decimal | None
    leverage: Decimal | None
    margin_mode: str | None            # "cross" | "isolated" as the venue says
    ts_ns: int                         # the snapshot's time (venue time)
    raw_ref: str


class PositionSnapshot(msgspec.Struct, kw_only=True):
    """Positions read from one snapshot file of many accounts, and the lines that could not be read."""

    positions: list[AccountPosition]
    accounts: int
    quarantined: list[tuple[int, str]]   # (line, reason naming the file, line and field)


MarketObservation = FundingRate | FundingSchedule | OpenInterest | Premium | Price | ReferenceBucket


# --- value helpers the venues' market parsers share ---------------------------------------------------

_CTX = decimal.Context(prec=40)


def premium_of(mark: Decimal | None, index: Decimal | None) -> Decimal | None:
    """(mark − index) / index, or ``None`` when either is missing or the index is not positive."""
    if mark is None or index is None or index <= 0:
        return None
    return _CTX.divide(mark - index, index)


def ms_ns(ms: int | str) -> int:
    """Epoch ms (int or decimal string, as venues send it) -> ns."""
    return int(ms) * 1_000_000


def dec_or_none(text: str | None) -> Decimal | None:
    """A venue decimal string, or ``None`` for ``""``/missing (venues send "" for "not applicable")."""
    if text is None or text == "":
        return None
    return Decimal(text)


# --- file readers: a venue's FORMATS are built from these -------------------------------------------------


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
