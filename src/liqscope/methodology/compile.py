"""Methodology -> parameterized SQL. Only closed-set fragments are spliced; every value is bound.

Two entry points share the same fragments, so a report and a reconciliation can never disagree:

- ``compile_counted``: the counted events of one methodology in one resolved window;
- ``compile_variant_totals``: in ONE scan, the notional per (asset, side) under many variants
  (each a methodology with its own resolved window), as conditional sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Generic, Literal, TypeVar

import msgspec

from liqscope.methodology.spec import Counting, Coverage, Estimation, Methodology

__all__ = ["Query", "Variant", "compile_counted", "compile_silences", "compile_variant_totals"]

_SECOND_NS = 1_000_000_000
# Closed sets: the dedupe level and the price basis pick one of these fragments, nothing else is spliced.
# Plain SQL every engine runs (no QUALIFY, no DuckDB-only functions): Spark runs the same text, transpiled.
_COPY_RANK = "row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key)"
_FIRST_COPY = f"{_COPY_RANK} = 1"
_DEDUPE = {"every_copy": "", "identity": " AND copy_rank = 1", "account": " AND copy_rank = 1"}
_PRICE = {"fill": "notional_usd", "order": "notional_order_usd"}
# A lending row's notional is one of its legs (a NULL leg is "not valued": it fails every comparison, so it
# never counts); the CASE is spliced only when the coverage includes lending, so other SQL is unchanged.
_LENDING = {"debt_repaid": "debt_usd", "collateral_seized": "collateral_usd"}
# One count per account per window where the venue names accounts; USD is unchanged (docs/methodology.md).
_COUNT = {
    "every_copy": "1",
    "identity": "1",
    "account": "CASE WHEN account IS NULL THEN 1 WHEN row_number() OVER (PARTITION BY venue, account "
               "ORDER BY ts_event, event_id) = 1 THEN 1 ELSE 0 END",
}


# How the estimate finds each window's neighbourhood (``_hidden_ctes``): a closed set of two fragments.
_Frames = Literal["range", "rows"]


class Query(msgspec.Struct, frozen=True):
    """SQL text with ``$name`` placeholders and the values to bind."""

    sql: str
    params: dict[str, object]


class Variant(msgspec.Struct, frozen=True):
    """One methodology evaluated over its resolved window [start_ns, end_ns)."""

    methodology: Methodology
    start_ns: int
    end_ns: int


def _unretracted(relation: str) -> str:
    # A retraction row (a reorg's ``removed: true`` log) cancels every copy of its event_id received at or
    # before it; a copy received after it (the log re-included in another block) counts again. Neither the
    # retraction nor the copies it cancels reach the counted rows. Spliced only when the coverage includes
    # lending (retractions are lending rows), so other SQL is unchanged.
    return (f"(SELECT * FROM {relation} AS ev WHERE NOT coalesce(ev.retraction, false) AND NOT EXISTS (\n"
            f"    SELECT 1 FROM {relation} AS retracting WHERE retracting.instrument_kind = 'lending'\n"
            "      AND retracting.retraction AND retracting.event_id = ev.event_id\n"
            "      AND retracting.ts_recv >= ev.ts_recv))")


def _usd_sql(m: Methodology) -> str:
    price = _PRICE[m.valuation.price]
    if "lending" not in m.coverage.instrument_kinds:
        return price
    return f"CASE WHEN instrument_kind = 'lending' THEN {_LENDING[m.valuation.lending]} ELSE {price} END"


def _coverage_sql(p: str, indent: str) -> str:
    return f"\n{indent}AND ".join((
        f"(array_length(${p}venues) = 0 OR list_contains(${p}venues, venue))",
        f"list_contains(${p}instrument_kinds, instrument_kind)",
        f"(array_length(${p}assets) = 0 OR list_contains(${p}assets, base_asset))",
        f"list_contains(${p}liquidation_kinds, liquidation_kind)",
        f"(${p}include_synthetic OR NOT synthetic)"))


# The columns ``_coverage_sql`` reads besides base_asset, qualified where a hidden estimate's join also has them.
_SCOPE_COLUMNS = ("flagged.venue", "instrument_kind", "liquidation_kind", "synthetic")


def _coverage_params(c: Coverage, p: str) -> dict[str, object]:
    return {f"{p}venues": list(c.venues), f"{p}instrument_kinds": list(c.instrument_kinds),
            f"{p}assets": list(c.assets), f"{p}liquidation_kinds": list(c.liquidation_kinds),
            f"{p}include_synthetic": c.include_synthetic}


def _hidden_ctes(name: str, observations: str, prices: Mapping[str, str], p: str, *, frames: _Frames = "range") -> str:
    """CTEs ``{name}`` = (venue, market, second, then ``hidden_usd{s}``, ``hidden_var{s}`` for each suffix
    ``s`` of ``prices``) of the throttle-adjusted estimate.

    ``observations`` selects one row per liquidation identity of the sampled venues. Each occupied
    one-second window gets ``base + slope * g`` hidden liquidations at the local mean notional, where
    g = lambda / (1 - exp(-lambda)) - 1 and lambda = -ln(1 - share of occupied neighbouring windows).
    ``prices`` maps a column suffix to a price basis (``{"": price}`` for one methodology): every basis
    shares the one grouping and the one window pass; each basis's figures are computed by the same
    expressions as when it is alone.

    ``frames`` says how each window's neighbourhood (the occupied windows within ``k`` seconds) is found;
    both give every sum the same rows, so the same figures to the last bit:

    - ``"range"``: one ``RANGE BETWEEN k PRECEDING AND k FOLLOWING`` frame. Plain SQL every engine runs,
      but DuckDB searches a RANGE frame's bounds once per windowed aggregate (four of them for two bases).
    - ``"rows"``: the neighbours before and after are counted once (two one-sided RANGE counts), then the
      sums run over ``ROWS BETWEEN near_before PRECEDING AND near_after FOLLOWING``: the same rows, since
      ``second`` is unique in a (venue, market) partition, so DuckDB sums the same frame the same way, in
      about 55% of the time on two bases (two one-sided RANGE searches in all, instead of two per windowed
      aggregate). Spark takes only literal ROWS offsets, so this is for DuckDB-only statements
      (``compile_variant_totals``).
    """
    usd = ",".join(f" sum(CAST({price} AS DOUBLE)) AS usd{s}, sum(CAST({price} AS DOUBLE) ^ 2) AS usd2{s}"
                   for s, price in prices.items())
    means = ",\n         ".join(f"sum(usd{s}) OVER near / sum(observed) OVER near AS mean_usd{s},\n"
                                 f"         sum(usd2{s}) OVER near / sum(observed) OVER near AS mean_usd2{s}"
                                 for s in prices)
    hidden = ",\n         ".join(f"CAST(hidden_n * mean_usd{s} / observed AS DECIMAL(38, 6)) AS hidden_usd{s},\n"
                                  f"         CAST(${p}dispersion AS DOUBLE) * hidden_n * mean_usd2{s} / observed "
                                  f"AS hidden_var{s}" for s in prices)
    if frames == "range":
        near = f"""{name}_near AS (
  SELECT venue, market, second, observed, count(*) OVER near - 1 AS neighbours,
         {means}
  FROM {name}_occupied
  WINDOW near AS (PARTITION BY venue, market ORDER BY second
                  RANGE BETWEEN ${p}k PRECEDING AND ${p}k FOLLOWING)
)"""
    else:
        near = f"""{name}_span AS (
  SELECT *,
         count(*) OVER (PARTITION BY venue, market ORDER BY second
                        RANGE BETWEEN ${p}k PRECEDING AND CURRENT ROW) - 1 AS near_before,
         count(*) OVER (PARTITION BY venue, market ORDER BY second
                        RANGE BETWEEN CURRENT ROW AND ${p}k FOLLOWING) - 1 AS near_after
  FROM {name}_occupied
),
{name}_near AS (
  SELECT venue, market, second, observed, near_before + near_after AS neighbours,
         {means}
  FROM {name}_span
  WINDOW near AS (PARTITION BY venue, market ORDER BY second
                  ROWS BETWEEN near_before PRECEDING AND near_after FOLLOWING)
)"""
    return f"""{name}_occupied AS (
  SELECT venue, market, ts_event // {_SECOND_NS} AS second, count(*) AS observed,
        {usd}
  FROM ({observations}) GROUP BY venue, market, ts_event // {_SECOND_NS}
),
{near},
{name}_rate AS (
  SELECT *, -ln(1 - least(neighbours / (2.0 * ${p}k), 1 - 1 / (4.0 * ${p}k))) AS lam FROM {name}_near
),
{name}_count AS (
  SELECT *, CAST(${p}base AS DOUBLE) + CAST(${p}slope AS DOUBLE)
         * CASE WHEN lam = 0 THEN 0 ELSE lam / (1 - exp(-lam)) - 1 END AS hidden_n
  FROM {name}_rate
),
{name} AS (
  SELECT venue, market, second, {hidden}
  FROM {name}_count
)"""


def _estimation_params(e: Estimation, p: str) -> dict[str, object]:
    return {f"{p}k": e.neighbourhood_seconds, f"{p}base": e.base, f"{p}slope": e.slope,
            f"{p}dispersion": e.dispersion}


def _join_hidden(name: str, row: str) -> str:
    return (f"LEFT JOIN {name} ON ({name}.venue = {row}.venue AND {name}.market = {row}.market "
            f"AND {name}.second = {row}.ts_event // {_SECOND_NS})")


def compile_counted(m: Methodology, relation: str, start_ns: int, end_ns: int,
                    sampled_venues: Sequence[str] = (), *, valued: bool = True) -> Query:
    """SQL selecting the counted events of ``m`` in [start_ns, end_ns).

    Columns: every event column, then ``usd_floor`` (the observed notional under the valuation rule),
    ``usd`` (what counts: the floor, plus the estimated hidden notional under ``throttle_adjusted``),
    ``hidden_var`` (the estimate's variance) and ``n`` (1, or 0 for an account's repeat liquidation
    under ``account`` dedupe).

    Args:
        m: The methodology.
        relation: The events relation (from ``Catalog.relation_sql``: our own file list). For the
            estimate it must also hold the ``neighbourhood_seconds`` around the window.
        start_ns: Resolved window start, inclusive, ns UTC (venue time).
        end_ns: Resolved window end, exclusive.
        sampled_venues: Venues whose feed is sampled (``VenueSpec.sampled``); only used by the estimate.
        valued: False: instead, the rows the same coverage, window and dedupe keep but the valuation rule
            leaves out because their notional leg has no price ("not valued": ``usd_floor`` and ``usd`` are
            NULL, no estimate), so a report can say how many there are and list them.
    """
    price = _usd_sql(m)
    if "lending" in m.coverage.instrument_kinds:
        relation = _unretracted(relation)
    params: dict[str, object] = {"start": start_ns, "end": end_ns, **_coverage_params(m.coverage, ""),
                                 "min_notional": m.counting.min_notional_usd}
    ctes = []
    estimating = m.estimation.mode == "throttle_adjusted" and valued
    if estimating:
        k = m.estimation.neighbourhood_seconds
        observations = (f"SELECT * FROM (SELECT *, {_COPY_RANK} AS copy_rank FROM {relation} "
                        "WHERE ts_event >= $est_start AND ts_event < $est_end "
                        "AND list_contains($sampled_venues, venue)) WHERE copy_rank = 1")
        ctes.append(_hidden_ctes("hidden", observations, {"": price}, "est_"))
        params |= {"est_start": start_ns - k * _SECOND_NS, "est_end": end_ns + k * _SECOND_NS,
                   "sampled_venues": list(sampled_venues), **_estimation_params(m.estimation, "est_")}
    dedupe = m.counting.dedupe
    keep = "usd_floor >= $min_notional" if valued else "usd_floor IS NULL"
    if not valued:
        del params["min_notional"]
    rank = "" if dedupe == "every_copy" else f", {_COPY_RANK} AS copy_rank"
    ctes.append(f"""scoped AS (
  SELECT *, {price} AS usd_floor{rank}
  FROM {relation}
  WHERE ts_event >= $start AND ts_event < $end
    AND {_coverage_sql("", "    ")}
),
kept AS (SELECT *, {_COUNT[dedupe]} AS n FROM scoped WHERE {keep}{_DEDUPE[dedupe]})""")
    if estimating:
        select = ("SELECT kept.*, usd_floor + coalesce(hidden.hidden_usd, 0) AS usd,\n"
                  "       coalesce(hidden.hidden_var, 0.0) AS hidden_var\n"
                  f"FROM kept {_join_hidden('hidden', 'kept')}")
    else:
        select = "SELECT *, usd_floor AS usd, 0.0 AS hidden_var FROM kept"
    return Query("WITH " + ",\n".join(ctes) + "\n" + select, params)


def compile_silences(m: Methodology, relation: str, start_ns: int, end_ns: int, min_hole_ns: int) -> Query:
    """SQL for the silences of each venue in scope: the raw material of inferred coverage gaps.

    A silence is measured on every liquidation of the venue in [start_ns, end_ns), whatever its asset,
    kind, size or copy (the recorder saw them all; a methodology that counts fewer must not invent
    holes), synthetic rows only where the methodology counts them. Rows: ``venue``, ``lo``, ``hi``,
    ``events``: one row per silence of at least ``min_hole_ns`` between two consecutive liquidations
    (``lo``, ``hi`` their ``ts_event``; ``events`` NULL), and one row per venue with its first and last
    liquidation and its count (``events`` set).

    The liquidations are grouped into buckets of ``min_hole_ns`` from the window's start (one hash
    aggregation; no sort of every liquidation, which took 2 s of a 10M-event report): two liquidations of
    one bucket are less than ``min_hole_ns`` apart, and two consecutive ones in different buckets are the
    last of one non-empty bucket and the first of the next, so the silences are exactly the pairs (last of
    a bucket, first of the next non-empty one) at least ``min_hole_ns`` apart.
    """
    if min_hole_ns <= 0:
        raise ValueError(f"min_hole_ns must be positive, not {min_hole_ns}")
    params: dict[str, object] = {"start": start_ns, "end": end_ns, "venues": list(m.coverage.venues),
                                 "include_synthetic": m.coverage.include_synthetic, "min_hole": min_hole_ns}
    sql = f"""WITH buckets AS (
  SELECT venue, (ts_event - $start) // $min_hole AS bucket, min(ts_event) AS t_first, max(ts_event) AS t_last,
         count(*) AS events
  FROM {relation}
  WHERE ts_event >= $start AND ts_event < $end
    AND (array_length($venues) = 0 OR list_contains($venues, venue))
    AND ($include_synthetic OR NOT synthetic)
  GROUP BY venue, bucket
),
spaced AS (
  SELECT venue, lag(t_last) OVER (PARTITION BY venue ORDER BY bucket) AS lo, t_first AS hi FROM buckets
)
SELECT venue, lo, hi, CAST(NULL AS BIGINT) AS events FROM spaced WHERE hi - lo >= $min_hole
UNION ALL
SELECT venue, min(t_first), max(t_last), CAST(sum(events) AS BIGINT) FROM buckets GROUP BY venue
ORDER BY venue, lo"""
    return Query(sql, params)


_T = TypeVar("_T")


class _Slots(Generic[_T]):
    # Gives each distinct value of a dimension one parameter slot, so 2^k variants bind few values.
    def __init__(self) -> None:
        self.keys: list[_T] = []

    def index(self, key: _T) -> int:
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key)


def compile_variant_totals(variants: Sequence[Variant], relation: str, sampled_venues: Sequence[str] = ()) -> Query:
    """ONE scan giving, per (base_asset, liquidated_side), the counted notional of every variant.

    Result columns: ``base_asset``, ``liquidated_side``, then ``v0`` .. ``v{n-1}`` (DECIMAL, NULL when
    nothing counts), in the order of ``variants``. ``v{i}`` equals the sum of ``usd`` that
    ``compile_counted`` gives for variant i.

    The variants share everything: the events are read once (``base``); each distinct window and counting
    rule is one per-row flag (``flagged``); each estimate's parameters are one grouping and one
    neighbourhood (found once, ``frames="rows"``) for every price basis the variants use (``h{i}``); the
    rows are summed once per (asset, side, coverage columns, flags) into the few distinct value columns
    (``grouped``); each distinct coverage is one flag per group (``covered``); and each variant's total is
    a conditional sum over those few groups. Exact: DECIMAL sums regrouped are the same sums.

    Args:
        variants: The methodologies and their resolved windows.
        relation: The events relation; it must hold every variant's window (plus the estimate's
            neighbourhood where a variant estimates).
        sampled_venues: Venues whose feed is sampled.
    """
    coverages: _Slots[Coverage] = _Slots()
    windows: _Slots[tuple[int, int]] = _Slots()
    countings: _Slots[Counting] = _Slots()
    estimates: _Slots[Estimation] = _Slots()
    pad = max((v.methodology.estimation.neighbourhood_seconds for v in variants
               if v.methodology.estimation.mode == "throttle_adjusted"), default=0) * _SECOND_NS
    params: dict[str, object] = {"scan_start": min(v.start_ns for v in variants) - pad,
                                 "scan_end": max(v.end_ns for v in variants) + pad}
    # The value columns the variants use: the two price bases, and a lending CASE per lending basis used.
    values = dict(_PRICE)
    for v in variants:
        if "lending" in v.methodology.coverage.instrument_kinds:
            values[f"{v.methodology.valuation.price}_{v.methodology.valuation.lending}"] = _usd_sql(v.methodology)
    lending = len(values) > len(_PRICE)
    if lending:
        relation = _unretracted(relation)
    # Per variant: its flags, and the value it sums (a basis, or a basis plus an estimate's hidden notional).
    conds, sums = [], []
    summed: _Slots[str] = _Slots()
    bases: dict[int, list[str]] = {}  # estimate slot -> the bases it is evaluated for
    for v in variants:
        m = v.methodology
        price = _usd_sql(m)
        basis = next(b for b, sql in values.items() if sql == price)
        c = coverages.index(m.coverage)
        w = windows.index((v.start_ns, v.end_ns))
        k = countings.index(m.counting)
        conds.append(f"c{c} AND w{w} AND k{k}_{basis}")
        value = price
        if m.estimation.mode == "throttle_adjusted":
            h = estimates.index(m.estimation)
            if basis not in bases.setdefault(h, []):
                bases[h].append(basis)
            value = f"{price} + coalesce(h{h}.hidden_usd_{basis}, 0)"
        sums.append(summed.index(value))
    # A coverage reads only columns of few distinct values: its flag is computed once per group (``covered``),
    # not once per row (a coverage's asset list is checked against every row otherwise).
    scoped = []
    for c, cov in enumerate(coverages.keys):
        params |= _coverage_params(cov, f"c{c}_")
        scoped.append((f"c{c}", f"({_coverage_sql(f'c{c}_', '   ')})"))
    flags = []
    for w, (lo, hi) in enumerate(windows.keys):
        params |= {f"w{w}_start": lo, f"w{w}_end": hi}
        flags.append((f"w{w}", f"(ts_event >= $w{w}_start AND ts_event < $w{w}_end)"))
    for k, counting in enumerate(countings.keys):
        params[f"k{k}_min"] = counting.min_notional_usd
        copies = "" if counting.dedupe == "every_copy" else "first_copy AND "
        for basis, col in values.items():
            flags.append((f"k{k}_{basis}", f"({copies}{col} >= $k{k}_min)"))
    legs = " debt_usd, collateral_usd," if lending else ""
    ctes = [f"""base AS MATERIALIZED (
  SELECT venue, market, instrument_kind, base_asset, liquidation_kind, synthetic, liquidated_side, ts_event,
         notional_usd, notional_order_usd,{legs} {_FIRST_COPY} AS first_copy
  FROM {relation}
  WHERE ts_event >= $scan_start AND ts_event < $scan_end
)"""]
    joins = []
    if estimates.keys:
        params["sampled_venues"] = list(sampled_venues)
    for h, est in enumerate(estimates.keys):
        observations = "SELECT * FROM base WHERE first_copy AND list_contains($sampled_venues, venue)"
        ctes.append(_hidden_ctes(f"h{h}", observations, {f"_{b}": values[b] for b in bases[h]}, f"h{h}_",
                                 frames="rows"))
        params |= _estimation_params(est, f"h{h}_")
        joins.append(_join_hidden(f"h{h}", "flagged"))
    ctes.append("flagged AS (\n  SELECT *,\n  " + ",\n  ".join(f"{sql} AS {name}" for name, sql in flags)
                + "\n  FROM base\n)")
    keys = ", ".join(["base_asset", "liquidated_side", *_SCOPE_COLUMNS, *(name for name, _ in flags)])
    ctes.append(f"grouped AS (\n  SELECT {keys},\n  "
                + ",\n  ".join(f"sum({value}) AS s{j}" for j, value in enumerate(summed.keys))
                + "\n  FROM flagged" + "".join("\n  " + j for j in joins) + f"\n  GROUP BY {keys}\n)")
    ctes.append("covered AS (\n  SELECT *,\n  " + ",\n  ".join(f"{sql} AS {name}" for name, sql in scoped)
                + "\n  FROM grouped\n)")
    sql = ("WITH " + ",\n".join(ctes) + "\nSELECT base_asset, liquidated_side,\n"
           + ",\n".join(f"  sum(CASE WHEN {cond} THEN s{j} END) AS v{i}"
                         for i, (cond, j) in enumerate(zip(conds, sums, strict=True)))
           + "\nFROM covered\nGROUP BY base_asset, liquidated_side\nORDER BY base_asset, liquidated_side")
    return Query(sql, params)
