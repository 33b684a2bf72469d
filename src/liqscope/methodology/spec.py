"""A methodology: the declared rules behind every number. Frozen data, fingerprinted.

Five dimensions (see docs/methodology.md):

- **coverage**: which venues, instrument kinds, assets and liquidation kinds count;
- **window**: how the reporting window is formed from the requested anchor [start, end): fixed,
  a calendar day in a named time zone, a rolling N hours, or a detected event segment (cascade);
- **counting**: how copies of one liquidation count (every copy, once per identity, once per account),
  and the minimum size;
- **valuation**: which price values the notional (average fill, or bankruptcy/order price), and for a
  lending liquidation which leg is the notional (debt repaid, or collateral seized);
- **estimation**: the observed floor, or a throttle-adjusted estimate for sampled feeds.

Two more sections hold the thresholds of derived statistics: ``cascades`` (detection) and ``flags``
(structural-risk flags), and ``levels`` holds the estimated liquidation-map model (docs/levels.md). They
are part of the fingerprint because the numbers depend on them.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Literal

import msgspec

__all__ = ["DIMENSIONS", "Cascades", "Counting", "Coverage", "Estimation", "Flags", "Levels", "Methodology",
           "SilenceRule", "Valuation", "Window"]

InstrumentKindName = Literal["perpetual", "dated_future", "account", "lending"]
LiquidationKindName = Literal["market", "backstop", "adl"]
DedupeLevel = Literal["every_copy", "identity", "account"]
WindowKind = Literal["fixed", "calendar_day", "rolling", "event_segment"]
SegmentPick = Literal["largest", "first", "last"]
PriceBasis = Literal["fill", "order"]
StablecoinBasis = Literal["par"]
LendingBasis = Literal["debt_repaid", "collateral_seized"]
EstimationMode = Literal["floor", "throttle_adjusted"]
Dimension = Literal["coverage", "window", "counting", "valuation", "estimation"]

# The five dimensions a reconciliation attributes a difference to, in reporting order.
DIMENSIONS: tuple[Dimension, ...] = ("coverage", "window", "counting", "valuation", "estimation")

# The default scope is derivatives: lending liquidations count only where a methodology lists "lending"
# (the "derivatives-plus-lending" preset), so every figure says whether it holds them.
_ALL_INSTRUMENTS: tuple[InstrumentKindName, ...] = ("perpetual", "dated_future", "account")


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass  # subclasses inherit all three; they repeat frozen=True only so type checkers see them frozen too


class SilenceRule(_Strict, frozen=True):
    """How long a venue may stay silent in a file ingest before the silence counts as a recording hole.

    A file carries no connection markers, so a recorder that was off looks like a quiet market. Between
    two consecutive liquidations of ``venue`` (any asset, any kind), a silence of at least
    ``hole_seconds`` is reported as an *inferred* gap; so is one from the window's start to the first
    liquidation, or from the last one to the window's end. The value is calibrated from the venue's real
    arrival rate (docs/methodology.md, "Coverage gaps").
    """

    venue: str
    hole_seconds: int


def _declared_silences() -> tuple[SilenceRule, ...]:
    """The default rule: each venue's own calibrated hole (``VenueSpec.silence_hole_seconds``, in its folder)."""
    from liqscope._registry import venues

    return tuple(SilenceRule(venue=v.id, hole_seconds=v.silence_hole_seconds)
                 for v in sorted(venues().values(), key=lambda v: v.id) if v.silence_hole_seconds is not None)


class Coverage(_Strict, frozen=True):
    """Which liquidations are in scope (an empty tuple means "all"), and when a silence is a hole.

    ``silence``: one ``SilenceRule`` per venue whose holes are inferred in file ingests. A venue without
    a rule gets no inferred gaps (its observed share is unknown, and the report says so); a venue with
    capture transcripts takes its gaps from their markers instead.
    """

    venues: tuple[str, ...] = ()
    instrument_kinds: tuple[InstrumentKindName, ...] = _ALL_INSTRUMENTS
    assets: tuple[str, ...] = ()
    liquidation_kinds: tuple[LiquidationKindName, ...] = ("market", "backstop")
    include_synthetic: bool = False
    silence: tuple[SilenceRule, ...] = msgspec.field(default_factory=_declared_silences)

    def hole_seconds(self, venue: str) -> int | None:
        """The silence that counts as a hole on ``venue`` under this rule, or None (no rule declared)."""
        return next((r.hole_seconds for r in self.silence if r.venue == venue), None)


class Window(_Strict, frozen=True):
    """How the reporting window is formed from the anchor [start, end) each request gives.

    ``fixed``: the anchor itself. ``calendar_day``: the anchor's UTC dates, each taken as a whole day in
    ``timezone`` (an IANA name or a fixed offset such as ``UTC+8``). ``rolling``: the ``hours`` ending at
    the anchor's end. ``event_segment``: the ``segment`` cascade (largest, first or last) detected in the
    anchor under the methodology's ``cascades`` thresholds.
    """

    kind: WindowKind = "fixed"
    timezone: str = "UTC"
    hours: int = 24
    segment: SegmentPick = "largest"


class Counting(_Strict, frozen=True):
    """How copies of one liquidation count, and the smallest one that counts."""

    dedupe: DedupeLevel = "identity"
    min_notional_usd: Decimal = Decimal(0)


class Valuation(_Strict, frozen=True):
    """Which price values the notional, and how stablecoins convert to USD.

    ``lending`` picks the leg of a lending liquidation that is its notional: ``collateral_seized`` (the
    default: as the protocol emits it, with the bonus; Aave's amount leaves out the protocol fee,
    Compound's includes it; what subgraphs and dashboards value) or ``debt_repaid`` (what the liquidator
    paid; equal, at the oracle's prices, to the collateral seized without the bonus). A leg with no price
    is "not valued" and does not count (docs/events.md).
    It is part of the rules (and the fingerprint) only when the coverage includes ``lending``.
    """

    price: PriceBasis = "fill"
    stablecoins: StablecoinBasis = "par"
    lending: LendingBasis = "collateral_seized"


class Estimation(_Strict, frozen=True):
    """The observed floor, or a throttle-adjusted estimate for sampled feeds (docs/methodology.md).

    Under ``throttle_adjusted`` each occupied one-second window of a sampled venue's market carries
    ``base + slope * g`` hidden liquidations, where ``g`` is the Poisson excess count implied by how many
    of the ``neighbourhood_seconds`` windows on either side are occupied; hidden ones are valued at the
    local mean observed notional. ``dispersion`` scales the compound-Poisson variance behind the
    ``level`` interval. The defaults were calibrated on a simulated complete feed (see the docs).
    """

    mode: EstimationMode = "floor"
    level: Decimal = Decimal("0.9")
    neighbourhood_seconds: int = 5
    base: Decimal = Decimal("0.24")
    slope: Decimal = Decimal("1.29")
    dispersion: Decimal = Decimal("2.22")


class Cascades(_Strict, frozen=True):
    """How cascades ("waterfalls") are detected: a minute is hot when its liquidated notional exceeds
    ``k`` times the trailing median of the previous ``baseline_minutes``; hot minutes closer than
    ``merge_gap_minutes`` merge into one cascade."""

    k: Decimal = Decimal(5)
    baseline_minutes: int = 60
    merge_gap_minutes: int = 5
    min_total_usd: Decimal = Decimal(0)


class Flags(_Strict, frozen=True):
    """Thresholds of the structural-risk flags; each flag reports its numbers beside it."""

    long_short_ratio: Decimal = Decimal(3)         # long notional >= ratio x short notional
    bluechip_assets: tuple[str, ...] = ("BTC", "ETH")
    bluechip_share: Decimal = Decimal("0.6")        # BTC+ETH share of notional
    top_accounts: int = 5
    top_accounts_share: Decimal = Decimal("0.5")    # share of the top N accounts (or events)
    funding_annualized_high: Decimal = Decimal("0.30")  # crowded long: funding above 30 %/yr ...
    premium_high: Decimal = Decimal("0.001")        # ... and mark/index premium above 10 bp


EntryPrice = Literal["typical", "close"]
LevelsVersion = Literal[1]


class Levels(_Strict, frozen=True):
    """The estimated liquidation map (``liqscope levels``); the formula and each default's source are in
    docs/levels.md.

    Every hour, a share ``1 - 2^(-1/half_life_hours)`` of open interest is re-entered, together with any
    OI increase, at the hour's ``entry_price``; it is split ``long_share`` / ``1 - long_share`` and over
    the ``leverage`` tiers by ``weights``. A long entered at P with leverage L is liquidated at
    ``P * (1 - 1/L + mm)``, a short at ``P * (1 + 1/L - mm)``, where ``mm`` is ``maintenance_margin``
    of the OI's venue (``default`` for venues not named). OI decreases close every level pro rata; a
    level the price crosses is cleared. ``bucket_bp`` is the map's price bucket in basis points of the
    price (rounded to 1, 2, 2.5 or 5 x 10^k USD), ``history_hours`` how much history builds a map, and
    ``cluster_share`` the share of a side's USD one bucket must hold to be reported as a cluster.
    """

    model_version: LevelsVersion = 1
    leverage: tuple[int, ...] = (5, 10, 25, 50, 100)
    weights: tuple[Decimal, ...] = (Decimal("0.15"), Decimal("0.30"), Decimal("0.25"), Decimal("0.20"),
                                    Decimal("0.10"))
    maintenance_margin: dict[str, Decimal] = msgspec.field(default_factory=lambda: {"default": Decimal("0.004")})
    entry_price: EntryPrice = "typical"
    half_life_hours: Decimal = Decimal(72)
    long_share: Decimal = Decimal("0.5")
    bucket_bp: Decimal = Decimal(10)
    history_hours: int = 336
    cluster_share: Decimal = Decimal("0.05")


def _window_rules(w: Window) -> dict[str, object]:
    # Only the parameters the kind uses: a timezone on a fixed window changes no number.
    used = {"fixed": (), "calendar_day": ("timezone",), "rolling": ("hours",),
            "event_segment": ("segment",)}[w.kind]
    return {"kind": w.kind, **{k: getattr(w, k) for k in used}}


def _estimation_rules(e: Estimation) -> dict[str, object]:
    return msgspec.to_builtins(e) if e.mode != "floor" else {"mode": e.mode}


class Methodology(_Strict, frozen=True):
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
    levels: Levels = msgspec.field(default_factory=Levels)

    def dimension(self, name: Dimension) -> dict[str, object]:
        """One dimension's effective rules: parameters its kind or mode ignores are left out."""
        if name == "window":
            return _window_rules(self.window)
        if name == "estimation":
            return _estimation_rules(self.estimation)
        if name == "valuation" and "lending" not in self.coverage.instrument_kinds:
            return {"price": self.valuation.price, "stablecoins": self.valuation.stablecoins}
        rules: dict[str, object] = msgspec.to_builtins(getattr(self, name))  # a section struct -> a dict
        return rules

    def rules(self) -> dict[str, object]:
        """The five dimensions plus the version, the derived-statistic thresholds and the levels model."""
        return {
            "version": self.version,
            **{d: self.dimension(d) for d in DIMENSIONS},
            "cascades": msgspec.to_builtins(self.cascades),
            "flags": msgspec.to_builtins(self.flags),
            "levels": msgspec.to_builtins(self.levels),
        }

    def fingerprint(self) -> str:
        """12 hex digits of sha256 over the sorted encoding of ``rules()``."""
        return hashlib.sha256(msgspec.json.encode(self.rules(), order="sorted")).hexdigest()[:12]
