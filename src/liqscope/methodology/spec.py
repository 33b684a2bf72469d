"""A methodology: the declared rules behind every number. Frozen data, fingerprinted.

Five dimensions (see docs/methodology.md):

- **coverage**: which venues, instrument kinds, assets and liquidation kinds count;
- **window**: how the reporting window is formed (fixed [start, end), calendar day, rolling);
- **counting**: how copies of one liquidation count (every copy, once per identity), minimum size;
- **valuation**: which price values the notional (average fill, or bankruptcy/order price);
- **estimation**: the observed floor, or a throttle-adjusted estimate for sampled feeds.

Two more sections hold the thresholds of derived statistics: ``cascades`` (detection) and ``flags``
(structural-risk flags). They are part of the fingerprint because the numbers depend on them.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Literal

import msgspec

__all__ = ["Cascades", "Counting", "Coverage", "Estimation", "Flags", "Methodology", "Valuation", "Window"]

InstrumentKindName = Literal["perpetual", "dated_future", "account"]
LiquidationKindName = Literal["market", "backstop", "adl"]
DedupeLevel = Literal["every_copy", "identity"]
WindowKind = Literal["fixed", "calendar_day", "rolling"]
PriceBasis = Literal["fill", "order"]
StablecoinBasis = Literal["par"]
EstimationMode = Literal["floor", "throttle_adjusted"]

_ALL_INSTRUMENTS: tuple[InstrumentKindName, ...] = ("perpetual", "dated_future", "account")


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Coverage(_Strict):
    """Which liquidations are in scope. An empty tuple means "all"."""

    venues: tuple[str, ...] = ()
    instrument_kinds: tuple[InstrumentKindName, ...] = _ALL_INSTRUMENTS
    assets: tuple[str, ...] = ()
    liquidation_kinds: tuple[LiquidationKindName, ...] = ("market", "backstop")
    include_synthetic: bool = False


class Window(_Strict):
    """How the reporting window is formed; the bounds themselves come with each request."""

    kind: WindowKind = "fixed"
    timezone: str = "UTC"
    hours: int = 24


class Counting(_Strict):
    """How copies of one liquidation count, and the smallest one that counts."""

    dedupe: DedupeLevel = "identity"
    min_notional_usd: Decimal = Decimal(0)


class Valuation(_Strict):
    """Which price values the notional, and how stablecoins convert to USD."""

    price: PriceBasis = "fill"
    stablecoins: StablecoinBasis = "par"


class Estimation(_Strict):
    """Report the observed floor, or a throttle-adjusted estimate for sampled feeds."""

    mode: EstimationMode = "floor"


class Cascades(_Strict):
    """How cascades ("waterfalls") are detected: a minute is hot when its liquidated notional exceeds
    ``k`` times the trailing median of the previous ``baseline_minutes``; hot minutes closer than
    ``merge_gap_minutes`` merge into one cascade."""

    k: Decimal = Decimal(5)
    baseline_minutes: int = 60
    merge_gap_minutes: int = 5
    min_total_usd: Decimal = Decimal(0)


class Flags(_Strict):
    """Thresholds of the structural-risk flags; each flag reports its numbers beside it."""

    long_short_ratio: Decimal = Decimal(3)         # long notional >= ratio x short notional
    bluechip_assets: tuple[str, ...] = ("BTC", "ETH")
    bluechip_share: Decimal = Decimal("0.6")        # BTC+ETH share of notional
    top_accounts: int = 5
    top_accounts_share: Decimal = Decimal("0.5")    # share of the top N accounts (or events)
    funding_annualized_high: Decimal = Decimal("0.30")  # crowded long: funding above 30 %/yr ...
    premium_high: Decimal = Decimal("0.001")        # ... and mark/index premium above 10 bp


class Methodology(_Strict):
    """A named, versioned set of rules. Its fingerprint hashes the rules, not the name."""

    name: str
    version: int = 1
    description: str = ""
    coverage: Coverage = msgspec.field(default_factory=Coverage)
    window: Window = msgspec.field(default_factory=Window)
    counting: Counting = msgspec.field(default_factory=Counting)
    valuation: Valuation = msgspec.field(default_factory=Valuation)
    estimation: Estimation = msgspec.field(default_factory=Estimation)
    cascades: Cascades = msgspec.field(default_factory=Cascades)
    flags: Flags = msgspec.field(default_factory=Flags)

    def rules(self) -> dict[str, object]:
        """The five dimensions plus the version: everything a number depends on."""
        return {
            "version": self.version,
            "coverage": msgspec.to_builtins(self.coverage),
            "window": msgspec.to_builtins(self.window),
            "counting": msgspec.to_builtins(self.counting),
            "valuation": msgspec.to_builtins(self.valuation),
            "estimation": msgspec.to_builtins(self.estimation),
            "cascades": msgspec.to_builtins(self.cascades),
            "flags": msgspec.to_builtins(self.flags),
        }

    def fingerprint(self) -> str:
        """12 hex digits of sha256 over the sorted encoding of ``rules()``."""
        return hashlib.sha256(msgspec.json.encode(self.rules(), order="sorted")).hexdigest()[:12]
