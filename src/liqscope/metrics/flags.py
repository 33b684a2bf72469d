"""Structural-risk flags, each shown with its numbers and the threshold from ``methodology.flags``.

- ``long_dominance``: long liquidations ≥ ratio × short ones;
- ``bluechip_concentration``: the blue chips' (BTC+ETH) share of liquidated notional ≥ threshold;
- ``top_accounts``: the top N accounts' share ≥ threshold (by event where no venue names accounts);
- ``crowded_long``: OI-weighted funding (annualized) AND premium both above their thresholds at the
  window's end.

``raised`` is ``None`` when a flag cannot be evaluated (no data); ``basis`` says what it was computed on.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import duckdb
import msgspec

from liqscope.market import latest_premium, oi_weighted_funding
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics.concentration import concentration_stats, concentration_stats_sql

__all__ = ["Flag", "flags_of", "structural_flags"]

_ZERO = Decimal(0)
_CTX = decimal.Context(prec=40)
DAY_NS = 86_400_000_000_000


class Flag(msgspec.Struct, kw_only=True):
    """One structural-risk flag with the figures behind it."""

    name: str
    raised: bool | None
    value: Decimal | None
    threshold: Decimal
    basis: str
    numbers: dict[str, Any] = {}


def _crowded_long(c: Counted) -> Flag:
    f, catalog, at_ns = c.methodology.flags, c.catalog, c.end_ns
    weighted = [w for w in oi_weighted_funding(catalog, at_ns) if w.rate_8h is not None]
    total_oi = sum((w.oi_usd for w in weighted), _ZERO)
    funding = exact(_CTX.divide(sum((w.annualized * w.oi_usd for w in weighted if w.annualized is not None), _ZERO),
                                total_oi)) if total_oi else None  # annualized is set exactly when rate_8h is
    prem = latest_premium(catalog, at_ns)
    published = [p.premium if p.premium is not None else p.premium_index for p in prem]
    values = [v for v in published if v is not None]
    premium = exact(_CTX.divide(sum(values, _ZERO), Decimal(len(values)))) if values else None
    raised = None if funding is None or premium is None else (funding >= f.funding_annualized_high
                                                              and premium >= f.premium_high)
    return Flag(name="crowded_long", raised=raised, value=funding, threshold=f.funding_annualized_high,
                basis="OI-weighted funding across venues (annualized) and the mean mark/index premium, latest "
                      "values at the window end",
                numbers={"funding_annualized": funding, "funding_threshold": f.funding_annualized_high,
                         "premium": premium, "premium_threshold": f.premium_high, "premium_markets": len(values),
                         "funding_assets": [w.asset for w in weighted], "oi_usd": total_oi})


def structural_flags(c: Counted) -> list[Flag]:
    """Evaluate the four structural-risk flags over the counted relation (thresholds: ``flags``).

    Sides and the blue-chip share are aggregates (they include an estimate where the methodology
    estimates); the top-N share ranks observed liquidations (or accounts) at their observed notional.
    """
    with c.connect(("venue", "base_asset", "liquidated_side", "account", "usd", "usd_floor")) as con:
        return flags_of(c, con)


def flags_of(c: Counted, con: duckdb.DuckDBPyConnection) -> list[Flag]:
    """``structural_flags`` over a connection that already holds ``c``'s ``counted`` table."""
    f = c.methodology.flags
    long_, short, total = (exact(x) for x in con.execute(  # type: ignore[union-attr]  # aggregate: one row
        "SELECT coalesce(sum(usd) FILTER (liquidated_side = 'LONG'), 0), "
        "coalesce(sum(usd) FILTER (liquidated_side = 'SHORT'), 0), coalesce(sum(usd), 0) FROM counted").fetchone())
    blue = exact(con.execute(  # type: ignore[index]  # an aggregate: always one row
        "SELECT coalesce(sum(usd), 0) FROM counted WHERE list_contains($b, base_asset)",
        {"b": list(f.bluechip_assets)}).fetchone()[0])
    acct = [exact(r[0]) for r in con.execute("SELECT sum(usd_floor) FROM counted WHERE account IS NOT NULL "
                                             "GROUP BY account").fetchall()]
    acct_venues = [r[0] for r in con.execute("SELECT DISTINCT venue FROM counted WHERE account IS NOT NULL "
                                             "ORDER BY 1").fetchall()]
    event_stats = None if acct else concentration_stats_sql(con, "counted", f.top_accounts)
    flags = []
    ratio = exact(long_ / short) if short else None
    flags.append(Flag(
        name="long_dominance", raised=(long_ >= f.long_short_ratio * short) if (long_ or short) else None,
        value=ratio, threshold=f.long_short_ratio, basis="liquidated notional with a stated side",
        numbers={"long_usd": long_, "short_usd": short, "long_short_ratio": ratio}))
    share = exact(blue / total) if total else None
    flags.append(Flag(
        name="bluechip_concentration", raised=(share >= f.bluechip_share) if share is not None else None,
        value=share, threshold=f.bluechip_share,
        basis=f"share of {'+'.join(f.bluechip_assets)} in all liquidated notional",
        numbers={"bluechip_usd": blue, "total_usd": total, "assets": list(f.bluechip_assets)}))
    if event_stats is None:  # None exactly when accounts are named
        stats = concentration_stats(acct, f.top_accounts, "account")
        basis = f"top {f.top_accounts} accounts' share (accounts named by {', '.join(acct_venues)})"
    else:
        stats = event_stats
        basis = f"top {f.top_accounts} liquidations' share (no venue in scope names accounts)"
    flags.append(Flag(
        name="top_accounts", raised=(stats.top_share >= f.top_accounts_share) if stats.top_share is not None else None,
        value=stats.top_share, threshold=f.top_accounts_share, basis=basis,
        numbers={"unit": stats.unit, "units": stats.units, "top_n": stats.top_n, "hhi": stats.hhi, "gini": stats.gini,
                 "total_usd": stats.total_usd}))
    flags.append(_crowded_long(c))
    return flags
