"""Reconciliation: explain total(B) - total(A) by dimension, as exact Shapley values.

For the dimensions in which two methodologies differ (coverage, window, counting, valuation,
estimation), every variant "A with the dimensions in S taken from B" is evaluated, for all 2^k
subsets S, in ONE scan of the events (``compile_variant_totals``). Each dimension's contribution is
its Shapley value; the contributions sum to the difference exactly. The same is done for the long,
short and per-asset totals.
"""

from __future__ import annotations

import decimal
import functools
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec

from liqscope.errors import ConfigError
from liqscope.methodology import DIMENSIONS, Methodology, ResolvedWindow, Variant, compile_variant_totals
from liqscope.metrics._counted import Counted, exact

__all__ = ["Part", "Reconciliation", "Side", "reconcile", "shapley"]

_ZERO = Decimal(0)


class Side(msgspec.Struct, kw_only=True):
    """One end of a reconciliation: a methodology and its total (``note`` says "not covered by this
    methodology" when the request's venues are all outside its coverage; nothing is attributed then)."""

    name: str
    fingerprint: str
    total_usd: Decimal
    covered: bool = True
    note: str | None = None


class Part(msgspec.Struct, kw_only=True):
    """One statistic's difference and its contribution per dimension."""

    from_usd: Decimal
    to_usd: Decimal
    difference_usd: Decimal
    contributions: dict[str, Decimal]


class AssetPart(Part, kw_only=True):
    """One asset's difference and its contributions: a row of ``Reconciliation.by_asset``."""

    asset: str


class Reconciliation(msgspec.Struct, kw_only=True):
    """Why total(to) differs from total(from), dimension by dimension."""

    from_: Side = msgspec.field(name="from")
    to: Side
    difference_usd: Decimal
    contributions: dict[str, Decimal]
    long: Part
    short: Part
    by_asset: list[AssetPart]   # an ordered array, largest |difference| first (then by name)
    differing: list[str]
    variants: int
    start: str
    end: str
    windows: dict[str, ResolvedWindow]
    note: str | None = None   # set when a side covers none of the requested venues: nothing is attributed


def shapley(values: Sequence[Decimal], k: int) -> list[Decimal]:
    """Exact Shapley values of ``k`` players from ``values[mask]`` (bit i set: player i joined).

    Each value is the exact rational Shapley value, rounded down to 1e-18; the rounding residue
    (a few 1e-18) goes to the largest remainders, so the results sum to
    ``values[-1] - values[0]`` exactly.
    """
    if len(values) != 1 << k:
        raise ValueError(f"shapley() needs 2^{k} values, got {len(values)}")
    if k == 0:
        return []
    # Values at 1e-18 as integers (exact for the lake's decimals), else the exact rational path.
    ints = [int(v.scaleb(18, context=_WIDE)) for v in values]
    if any(Decimal(i).scaleb(-18, context=_WIDE) != v for i, v in zip(ints, values, strict=True)):
        return _shapley_rational(values, k)
    # phi_i * k! = sum over coalitions S without i of |S|! (k-|S|-1)! (v(S+i) - v(S)): integers throughout,
    # with the k weights computed once (not once per player and coalition).
    weight = _weights(k)
    sizes = [m.bit_count() for m in range(1 << k)]
    whole = math.factorial(k)
    numerators = []
    for i in range(k):
        bit = 1 << i
        numerators.append(sum(weight[sizes[m]] * (ints[m | bit] - ints[m]) for m in range(1 << k) if not m & bit))
    floors = [n // whole for n in numerators]  # floor(phi_i at 1e-18), as the rational path
    residue = ints[-1] - ints[0] - sum(floors)
    by_remainder = sorted(range(k), key=lambda i: (-(numerators[i] - floors[i] * whole), i))
    for i in by_remainder[:residue]:
        floors[i] += 1
    return [exact(Decimal(f).scaleb(-18, context=_WIDE)) for f in floors]  # no 28-digit rounding


_WIDE = decimal.Context(prec=80)  # scaleb at 1e-18 without rounding any sum the lake can hold


@functools.cache
def _weights(k: int) -> tuple[int, ...]:
    return tuple(math.factorial(size) * math.factorial(k - size - 1) for size in range(k))


def _shapley_rational(values: Sequence[Decimal], k: int) -> list[Decimal]:
    exact_values = []
    for i in range(k):
        phi = Fraction(0)
        for mask in range(1 << k):
            if mask >> i & 1:
                continue
            size = bin(mask).count("1")
            weight = Fraction(math.factorial(size) * math.factorial(k - size - 1), math.factorial(k))
            phi += weight * Fraction(values[mask | 1 << i] - values[mask])
        exact_values.append(phi)
    scale = Fraction(10) ** 18
    floors = [math.floor(phi * scale) for phi in exact_values]
    residue = int(Fraction(values[-1] - values[0]) * scale) - sum(floors)
    by_remainder = sorted(range(k), key=lambda i: (-(exact_values[i] * scale - floors[i]), i))
    for i in by_remainder[:residue]:
        floors[i] += 1
    return [exact(Decimal(f).scaleb(-18, context=_WIDE)) for f in floors]  # no 28-digit rounding


def _part(values: list[Decimal], differing: Sequence[str]) -> Part:
    phis = dict(zip(differing, shapley(values, len(differing)), strict=True))
    return Part(from_usd=exact(values[0]), to_usd=exact(values[-1]), difference_usd=exact(values[-1] - values[0]),
                contributions={d: phis.get(d, _ZERO) for d in DIMENSIONS})


def _variant(a: Methodology, b: Methodology, dims: Sequence[str]) -> Methodology:
    return msgspec.structs.replace(a, **{d: getattr(b, d) for d in dims})


def _variant_totals(a: Counted, b: Counted) -> tuple[list[str], list[Variant], list[Any]]:
    """The dimensions in which a and b differ, the 2^k variants (bit i of the index: the i-th differing
    dimension taken from b) and, from ONE scan, their totals per (asset, side): rows of
    ``(base_asset, liquidated_side, v0, .., v{2^k-1})`` (``compile_variant_totals``)."""
    ma, mb = a.methodology, b.methodology
    windows = {"from": a.window, "to": b.window}
    differing: list[str] = [d for d in DIMENSIONS if ma.dimension(d) != mb.dimension(d)]
    variants = []
    for mask in range(1 << len(differing)):
        dims = [d for i, d in enumerate(differing) if mask >> i & 1]
        w = windows["to" if "window" in dims else "from"]
        variants.append(Variant(methodology=_variant(ma, mb, dims), start_ns=w.start_ns, end_ns=w.end_ns))
    sampled = sorted({*a.coverage.sampled_venues, *b.coverage.sampled_venues})
    wanted = None if not (a.coverage.venues and b.coverage.venues) else {*a.coverage.venues, *b.coverage.venues}
    pad = max(m.estimation.neighbourhood_seconds for m in (ma, mb)) * 1_000_000_000
    lo = min(v.start_ns for v in variants) - pad
    hi = max(v.end_ns for v in variants) + pad
    catalog = a.catalog
    q = compile_variant_totals(variants, catalog.relation_sql(catalog.event_files(wanted, lo, hi)), sampled)
    con = catalog.connect()
    try:
        rows = con.execute(q.sql, q.params).fetchall()
    finally:
        con.close()
    return differing, variants, rows


def reconcile(a: Counted, b: Counted) -> Reconciliation:
    """Attribute total(b) - total(a) to the five dimensions.

    Both are counted relations over the same lake and anchor (each with its own resolved window); when
    either covers none of the requested venues the result says so in that side's ``note`` and
    attributes nothing (every contribution 0).
    """
    for c in (a, b):
        if c.engine.name != "duckdb":  # declared in tests/engines/test_conformance.py
            raise ConfigError(f"reconcile runs its 2^k variants in one DuckDB scan; engine {c.engine.name!r} "
                              "does not run it yet")
    windows = {"from": a.window, "to": b.window}
    if not (a.coverage.covered and b.coverage.covered):
        return _uncovered(a, b, windows)
    differing, variants, rows = _variant_totals(a, b)
    n = len(variants)
    total, long_, short = [_ZERO] * n, [_ZERO] * n, [_ZERO] * n
    per_asset: dict[str, list[Decimal]] = {}
    for asset, side, *sums in rows:
        values = [s or _ZERO for s in sums]
        total = [x + y for x, y in zip(total, values, strict=True)]
        if side == "LONG":
            long_ = [x + y for x, y in zip(long_, values, strict=True)]
        elif side == "SHORT":
            short = [x + y for x, y in zip(short, values, strict=True)]
        acc = per_asset.setdefault(asset, [_ZERO] * n)
        per_asset[asset] = [x + y for x, y in zip(acc, values, strict=True)]
    whole = _part(total, differing)
    by_asset = [AssetPart(asset=k, **msgspec.structs.asdict(_part(v, differing))) for k, v in per_asset.items()]
    by_asset = [p for p in by_asset if p.from_usd or p.to_usd]
    return Reconciliation(
        from_=Side(name=a.name, fingerprint=a.fingerprint, total_usd=whole.from_usd),
        to=Side(name=b.name, fingerprint=b.fingerprint, total_usd=whole.to_usd),
        difference_usd=whole.difference_usd, contributions=whole.contributions,
        long=_part(long_, differing), short=_part(short, differing),
        by_asset=sorted(by_asset, key=lambda p: (-abs(p.difference_usd), p.asset)),
        differing=list(differing), variants=n, start=a.window.anchor_start, end=a.window.anchor_end,
        windows=windows)


def _uncovered(a: Counted, b: Counted, windows: dict[str, ResolvedWindow]) -> Reconciliation:
    # One side counts nothing the request asked for: say so in its own row; attribute nothing.
    from liqscope.metrics.report import report

    def side(c: Counted) -> Side:
        total = report(c, largest_n=1).total_usd if c.coverage.covered else _ZERO
        return Side(name=c.name, fingerprint=c.fingerprint, total_usd=total, covered=c.coverage.covered,
                    note=c.coverage.note)

    fa, fb = side(a), side(b)
    zero: dict[str, Decimal] = {d: _ZERO for d in DIMENSIONS}
    flat = Part(from_usd=_ZERO, to_usd=_ZERO, difference_usd=_ZERO, contributions=dict(zero))
    return Reconciliation(from_=fa, to=fb, difference_usd=_ZERO, contributions=zero, long=flat,
                          short=msgspec.structs.replace(flat, contributions=dict(zero)), by_asset=[], differing=[],
                          variants=0, start=a.window.anchor_start, end=a.window.anchor_end, windows=windows,
                          note="; ".join(f"{c.name}: {c.coverage.note} ({', '.join(c.coverage.requested_venues)})"
                                         for c in (a, b) if not c.coverage.covered)
                          + ": nothing to attribute")
