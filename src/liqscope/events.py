"""THE normalized liquidation event, and the vocabulary every other module uses.

Glossary (domain names are full words; venue spellings stay inside each venue's ``wire.py``):

- **liquidated_side**: the side of the *position* that was force-closed (LONG or SHORT). Never the
  side of the liquidation order: a SELL liquidation order closes a LONG.
- **quantity**: the *filled* amount, in ``quantity_unit`` (BASE coin, CONTRACTS or QUOTE currency).
  For CONTRACTS, ``contract_size`` says how much one contract is, in ``contract_size_unit``.
- **price** / **price_kind**: the price the notional is valued at, and what it is (average fill,
  bankruptcy or liquidation-order price). ``order_price`` keeps the order/bankruptcy price when the
  venue sends one *besides* the fill price (Binance ``p`` next to ``ap``).
- **notional_usd**: quantity valued at ``price`` in USD (stablecoins at par). **notional_order_usd**:
  the same valued at ``order_price`` when there is one (``None``: the same as ``notional_usd``).
- **ts_event**: venue time; **ts_recv**: when we received the record. Both integer ns since the
  Unix epoch, UTC.
- **venue_side**: the venue's own side value, exactly as the record spelled it (Binance ``SELL``, Bybit
  ``Buy``, Hyperliquid ``A``); what it means is the venue's ``side_convention``. ``None`` where the record has
  no side (account records) or the source rewrote it (a Tardis Deribit row), and in lakes written before it
  was stored (docs/standard.md, "Older lakes").
- **lending** (``instrument_kind`` LENDING): a lending protocol repaid ``debt_quantity`` of ``debt_asset``
  and seized ``collateral_quantity`` of ``collateral_asset``; ``debt_usd`` / ``collateral_usd`` value each
  leg (``None``: not valued, never guessed) and ``price_source`` says how. ``notional_usd`` is the debt
  repaid; the methodology's valuation picks the leg that counts (docs/events.md, "Lending").
- **retraction**: a row saying a chain reorg removed the liquidation ``event_id`` (a ``removed: true``
  log); it cancels the copies received at or before it, in the counted relation only (the lake is
  append-only).
- **event_id**: the identity of the liquidation itself, stable across copies (a reconnect replay or a
  second recorder yields the same ``event_id``). **raw_ref**: where the raw record is kept.
"""

from __future__ import annotations

import decimal
import enum
from decimal import Decimal

import msgspec

from liqscope.errors import InvalidEvent, Reason

__all__ = [
    "MAX_NOTIONAL_USD",
    "MIN_NOTIONAL_USD",
    "InstrumentKind",
    "LiquidationEvent",
    "LiquidationKind",
    "MarginMode",
    "Margining",
    "PositionSide",
    "PriceKind",
    "QtyUnit",
    "Received",
    "Source",
    "mul",
]

# 2009-01-01 and 2100-01-01 in ns: anything outside is a unit error (ms or us read as ns), not a time.
_TS_MIN_NS = 1_230_768_000_000_000_000
_TS_MAX_NS = 4_102_444_800_000_000_000
# Products of venue decimals are exact at this precision; the default context (28 digits) is not.
_EXACT = decimal.Context(prec=60, traps=[decimal.InvalidOperation])

# THE sanity bound (docs/reliability.md): one liquidation worth more than $10B is a unit or corruption
# error, not a market event: ~50x the largest single-trader liquidation reported (>$203M, 2025-10-10,
# CoinGlass) and about half of ALL venues' liquidations on that record day ($19.13B). Quarantined.
MAX_NOTIONAL_USD = Decimal(10) ** 10
# ... and one worth less than $0.000001 is a scale error too: ~6,000x below the smallest real liquidation
# we hold (ONTUSDT, $0.00611, Binance 2025-12-27), far below any venue's minimum order.
MIN_NOTIONAL_USD = Decimal(10) ** -6
# What the lake can hold exactly (decimal128(38, 18)): |value| < 1e20, at most 18 decimal places.
_LAKE_MAX = Decimal(10) ** 20
_LAKE_QUANTUM = Decimal("1e-18")
# A unit price outside $1e-10..$1e8 is a scale error (BTC is ~1e5; the cheapest meme tokens ~1e-9). It
# matters where the notional does not depend on the price (inverse contracts: contracts x face value).
_MIN_PRICE = Decimal(10) ** -10
_MAX_PRICE = Decimal(10) ** 8
# A liquidation order fills at or near its own (bankruptcy-side) limit price: on 2,900 real Binance frames
# the fill/order price ratio spans 0.89..1.09. Beyond a factor of 2 one of the two prices is corrupt.
_MAX_PRICE_RATIO = Decimal(2)
_MAX_NAME_CHARS = 64    # market / asset names; _MAX_ID_CHARS for event_id and account
_MAX_ID_CHARS = 256


def mul(*factors: Decimal) -> Decimal:
    """Multiply decimals exactly (60 significant digits), never through float."""
    out = Decimal(1)
    for f in factors:
        out = _EXACT.multiply(out, f)
    return out


class PositionSide(enum.StrEnum):
    """The side of the position that was liquidated."""

    LONG = "LONG"
    SHORT = "SHORT"


class QtyUnit(enum.StrEnum):
    """What a quantity counts."""

    BASE = "base"
    CONTRACTS = "contracts"
    QUOTE = "quote"


class PriceKind(enum.StrEnum):
    """What an event's ``price`` is."""

    AVERAGE_FILL = "average_fill"
    BANKRUPTCY = "bankruptcy"
    ORDER = "order"


class InstrumentKind(enum.StrEnum):
    """Perpetual swap or dated (expiring) future."""

    PERPETUAL = "perpetual"
    DATED_FUTURE = "dated_future"
    # A whole-account liquidation record that names no instrument, side or price (Hyperliquid's
    # official liquidations CSV). Its market and base_asset are "*"; it counts in totals and in
    # ``unknown_side_usd``, never in the long/short split.
    ACCOUNT = "account"
    # A lending protocol's liquidation (Aave, Compound, Morpho): debt repaid, collateral seized. Its side is
    # read from the assets (docs/events.md, "Lending"); None when both legs are volatile.
    LENDING = "lending"


class Margining(enum.StrEnum):
    """Linear (quoted and settled in a stablecoin) or inverse (USD contracts settled in coin)."""

    LINEAR = "linear"
    INVERSE = "inverse"


class LiquidationKind(enum.StrEnum):
    """How the position was closed: on the book, by a backstop vault, or by auto-deleveraging."""

    MARKET = "market"
    BACKSTOP = "backstop"
    ADL = "adl"


class MarginMode(enum.StrEnum):
    """Cross or isolated margin, where the venue says."""

    CROSS = "cross"
    ISOLATED = "isolated"


class Source(enum.StrEnum):
    """How the record reached us."""

    WS = "ws"
    REST = "rest"
    ARCHIVE = "archive"
    FILE = "file"


class Received(msgspec.Struct, frozen=True, kw_only=True):
    """What the transport knows about a record: when it arrived, from where, and where it is kept.

    Attributes:
        ts_ns: Receipt time, integer ns since the epoch, UTC.
        ref: Reference to the raw record (``<raw blob sha256>:<line>``).
        source: How the record reached us.
    """

    ts_ns: int
    ref: str
    source: Source = Source.WS


class LiquidationEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One liquidation, normalized. See the module glossary for every field's meaning."""

    venue: str
    market: str
    instrument_kind: InstrumentKind
    base_asset: str
    quote_asset: str
    settle_asset: str
    margining: Margining
    liquidated_side: PositionSide | None
    price: Decimal | None
    price_kind: PriceKind | None
    quantity: Decimal
    quantity_unit: QtyUnit
    notional_usd: Decimal | None
    ts_event: int
    ts_recv: int
    source: Source
    event_id: str
    raw_ref: str
    order_price: Decimal | None = None
    notional_order_usd: Decimal | None = None
    contract_size: Decimal | None = None
    contract_size_unit: QtyUnit | None = None
    liquidation_kind: LiquidationKind = LiquidationKind.MARKET
    margin_mode: MarginMode | None = None
    account: str | None = None
    venue_side: str | None = None
    debt_asset: str | None = None
    debt_quantity: Decimal | None = None
    debt_usd: Decimal | None = None
    collateral_asset: str | None = None
    collateral_quantity: Decimal | None = None
    collateral_usd: Decimal | None = None
    price_source: str | None = None
    sampling: str | None = None  # the source record's sampling (a subgraph export: the rows its query chose)
    # True: a chain reorg removed the block that held this liquidation (a ``removed: true`` log). The row
    # retracts every copy of ``event_id`` received at or before its own ``ts_recv``; the counted relation
    # leaves out those copies and the retraction itself (docs/events.md, "Reorgs and retractions").
    retraction: bool = False

    def __post_init__(self) -> None:
        # Validated in every build (never `assert`): a bad event must not reach the lake.
        if self.instrument_kind is InstrumentKind.ACCOUNT:
            if self.liquidated_side is not None or self.price is not None or self.market != "*":
                raise InvalidEvent("an account-level record has market '*', no side and no price",
                                   field="liquidated_side")
        elif self.instrument_kind is InstrumentKind.LENDING:
            self._check_lending()
        else:
            if type(self.liquidated_side) is not PositionSide:
                raise InvalidEvent(f"liquidated_side {self.liquidated_side!r} is not LONG/SHORT",
                                   field="liquidated_side", code=Reason.UNKNOWN_VALUE)
            if self.price is None or self.price_kind is None:
                raise InvalidEvent("an instrument event needs a price and its kind", field="price",
                                   code=Reason.MISSING_FIELD)
        if self.notional_usd is None and self.instrument_kind is not InstrumentKind.LENDING:
            raise InvalidEvent("notional_usd is required (only a lending leg may be 'not valued')",
                               field="notional_usd", code=Reason.MISSING_FIELD)
        for name in ("quantity", "notional_usd"):
            value = getattr(self, name)
            if value is None:
                continue
            if not value.is_finite() or value <= 0:
                raise InvalidEvent(f"{name} must be a finite number > 0, got {value}", field=name,
                                   code=Reason.NON_POSITIVE if value.is_finite() else Reason.NON_FINITE)
        for name in ("price", "order_price", "contract_size", "notional_order_usd", "debt_quantity", "debt_usd",
                     "collateral_quantity", "collateral_usd"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value <= 0):
                raise InvalidEvent(f"{name} must be a finite number > 0, got {value}", field=name,
                                   code=Reason.NON_POSITIVE if value.is_finite() else Reason.NON_FINITE)
        for name in ("notional_usd", "notional_order_usd", "debt_usd", "collateral_usd"):
            value = getattr(self, name)
            if value is not None and not MIN_NOTIONAL_USD <= value <= MAX_NOTIONAL_USD:
                raise InvalidEvent(f"{name} {value:.6E} is outside the sanity bounds of $1E-6..$1E+10 per "
                                   "liquidation (a unit or corruption error)", field=name, code=Reason.OUT_OF_BOUNDS)
        for name in ("price", "order_price"):
            value = getattr(self, name)
            if value is not None and not _MIN_PRICE <= value <= _MAX_PRICE:
                raise InvalidEvent(f"{name} {value:.6E} is outside the sanity bounds of 1E-10..1E+8 per unit",
                                   field=name, code=Reason.OUT_OF_BOUNDS)
        if self.price_kind is PriceKind.AVERAGE_FILL and self.price is not None and self.order_price is not None:
            ratio = self.price / self.order_price
            if not 1 / _MAX_PRICE_RATIO <= ratio <= _MAX_PRICE_RATIO:
                raise InvalidEvent(f"fill price {self.price} and order price {self.order_price} differ by more than "
                                   "a factor of 2 (one of them is corrupt)", field="price")
        for name in ("price", "quantity", "order_price", "contract_size", "debt_quantity", "collateral_quantity"):
            value = getattr(self, name)
            if value is not None and (value >= _LAKE_MAX or value.quantize(_LAKE_QUANTUM, context=_EXACT) != value):
                raise InvalidEvent(f"{name} {value} does not fit the lake exactly (< 1E+20, at most 18 decimal "
                                   "places)", field=name, code=Reason.OUT_OF_BOUNDS)
        for name in ("ts_event", "ts_recv"):
            value = getattr(self, name)
            if type(value) is not int or not _TS_MIN_NS <= value < _TS_MAX_NS:
                raise InvalidEvent(f"{name} must be int ns since the epoch (2009..2100), got {value!r}",
                                   field=name, code=Reason.BAD_TIMESTAMP)
        if (self.quantity_unit is QtyUnit.CONTRACTS) != (self.contract_size is not None):
            raise InvalidEvent("contract_size is required exactly when quantity is in contracts",
                               field="contract_size")
        if not self.event_id or not self.market or not self.base_asset:
            raise InvalidEvent("event_id, market and base_asset must be non-empty", field="event_id")
        for name in ("market", "base_asset", "quote_asset", "settle_asset", "event_id", "account", "debt_asset",
                     "collateral_asset", "venue_side"):
            value = getattr(self, name)
            limit = _MAX_ID_CHARS if name in ("event_id", "account") else _MAX_NAME_CHARS
            if value is not None and (len(value) > limit or not value.isprintable() or " " in value):
                raise InvalidEvent(f"{name} must be at most {limit} printable characters without spaces, got "
                                   f"{value[:80]!r}{'...' if len(value) > 80 else ''}", field=name)

    def _check_lending(self) -> None:
        if self.liquidated_side is not None and type(self.liquidated_side) is not PositionSide:
            raise InvalidEvent(f"liquidated_side {self.liquidated_side!r} is not LONG/SHORT/None",
                               field="liquidated_side", code=Reason.UNKNOWN_VALUE)
        if self.notional_usd != self.debt_usd:
            raise InvalidEvent("a lending event's notional_usd is its debt_usd (the debt repaid)", field="notional_usd",
                               code=Reason.INCONSISTENT)
        if (self.debt_usd is not None or self.collateral_usd is not None) and not self.price_source:
            raise InvalidEvent("a valued lending event names its price_source", field="price_source",
                               code=Reason.MISSING_FIELD)
        for leg in ("debt", "collateral"):
            if getattr(self, f"{leg}_quantity") is not None and not getattr(self, f"{leg}_asset"):
                raise InvalidEvent(f"{leg}_quantity needs its {leg}_asset", field=f"{leg}_asset",
                                   code=Reason.MISSING_FIELD)
