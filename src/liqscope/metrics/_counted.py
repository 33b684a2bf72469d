"""The counted relation: one methodology applied to one lake over one anchor, resolved once.

``counted(catalog, methodology, start_ns, end_ns)`` is the only place that turns a methodology and a
requested anchor into rows that count: it resolves the window kind (fixed, calendar_day in its zone,
rolling, event_segment), the coverage (the request's venue narrowing, the sampled venues the estimate
applies to, synthetic rows), and compiles counting, valuation and estimation into one SQL relation
(``methodology.compile_counted``). Every metric takes the resulting ``Counted``; none re-applies a rule.

The relation's columns: every event column, ``usd_floor`` (the observed notional under the valuation
rule), ``usd`` (what an aggregate counts: the floor plus the estimated hidden notional under
``throttle_adjusted``), ``hidden_var`` and ``n`` (the event count, 0 for an account's repeat under
``account`` dedupe). Aggregates sum ``usd``; observed rows (largest, events) show ``usd_floor``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from decimal import Context, Decimal
from pathlib import Path
from typing import Any, Protocol

import msgspec

from liqscope._registry import venues as registry
from liqscope._time import iso_ns
from liqscope.methodology import Methodology, Query, ResolvedWindow, compile_counted, compile_silences, resolve_window
from liqscope.store import Catalog

__all__ = ["DUCKDB", "NOT_COVERED", "Counted", "CountedCoverage", "Engine", "counted", "exact"]

NOT_COVERED = "not covered by this methodology"
_ZERO = Decimal(0)
# Wide enough for any lake value (DECIMAL(38, 18) sums): normalize() rounds to its context's precision,
# and the default context's 28 digits would round a sum of $1e10 or more at 18 decimals.
_EXACT = Context(prec=80)
_SECOND_NS = 1_000_000_000
# Every column a metric reads from the counted relation; a metric may ask for fewer (DuckDB then reads
# only those from Parquet: SELECT * cost ~1.7x on the report).
COLUMNS = ("venue", "market", "base_asset", "liquidated_side", "account", "ts_event", "ts_recv", "event_id",
           "raw_ref", "price", "quantity", "quantity_unit", "liquidation_kind", "source", "usd", "usd_floor",
           "hidden_var", "n")


def exact(d: Decimal) -> Decimal:
    """Drop the lake's trailing zeros (``1.500000`` -> ``1.5``) without ever changing the value."""
    return Decimal(format(d.normalize(_EXACT), "f")) if d else _ZERO


class CountedCoverage(msgspec.Struct, frozen=True, kw_only=True):
    """What a ``Counted`` covers, resolved once.

    Attributes:
        covered: False when every venue the request asked for lies outside the methodology's coverage:
            nothing counts, and each face says ``NOT_COVERED`` in this methodology's row.
        venues: The venues in scope ([] = every venue in the lake).
        requested_venues: The request's narrowing ([] = none).
        not_covered: Requested venues the methodology leaves out.
        sampled_venues: Registered venues in scope whose feed is sampled (the estimate applies to them).
        include_synthetic: Simulated rows count.
        note: ``NOT_COVERED`` when nothing is covered, else None.
    """

    covered: bool
    venues: list[str]
    requested_venues: list[str]
    not_covered: list[str]
    sampled_venues: list[str]
    include_synthetic: bool
    note: str | None = None


class Engine(Protocol):
    """Runs a ``Counted``: ``connect`` yields a connection (``execute(sql, params)`` -> ``fetchall()`` /
    ``fetchone()``, DuckDB's SQL dialect) holding the counted rows as table ``counted``."""

    name: str

    def connect(self, c: Counted, columns: Sequence[str]) -> AbstractContextManager[Any]: ...


class _DuckDB:
    name = "duckdb"

    @contextmanager
    def connect(self, c: Counted, columns: Sequence[str]) -> Iterator[Any]:
        con = c.catalog.connect()
        try:
            con.execute(f"CREATE TEMP TABLE counted AS SELECT {', '.join(columns)} FROM ({c.query.sql})",
                        c.query.params)
            yield con
        finally:
            con.close()


DUCKDB: Engine = _DuckDB()


@dataclass(frozen=True)
class Counted:
    """One methodology's counted relation over one resolved window of one lake.

    Build it with ``counted()``. It carries the methodology's name, version and fingerprint, the
    resolved window, the resolved coverage and the compiled SQL (``query``) over the lake's files.
    """

    catalog: Catalog
    methodology: Methodology
    window: ResolvedWindow
    coverage: CountedCoverage
    files: tuple[Path, ...]
    query: Query
    engine: Engine = field(default=DUCKDB, compare=False)
    valued: bool = True  # False: the rows the valuation leaves out ("not valued"), see ``not_valued``

    @property
    def name(self) -> str:
        return self.methodology.name

    @property
    def version(self) -> int:
        return self.methodology.version

    @property
    def fingerprint(self) -> str:
        return self.methodology.fingerprint()

    @property
    def start_ns(self) -> int:
        return self.window.start_ns

    @property
    def end_ns(self) -> int:
        return self.window.end_ns

    @property
    def estimating(self) -> bool:
        """True when aggregates include the throttle-adjusted estimate of what sampled feeds hid."""
        return self.methodology.estimation.mode == "throttle_adjusted" and bool(self.coverage.sampled_venues)

    def meta(self) -> dict[str, object]:
        """``{name, version, fingerprint}``: what every result names its methodology by."""
        return {"name": self.name, "version": self.version, "fingerprint": self.fingerprint}

    def compile(self, relation: str) -> Query:
        """The same compiled query over another events relation (an engine's own view of ``files``)."""
        return compile_counted(self.methodology, relation, self.start_ns, self.end_ns, self.coverage.sampled_venues,
                               valued=self.valued)

    def not_valued(self) -> Counted:
        """The same scope, window and dedupe, holding instead the rows the valuation leaves out because their
        notional has no price (a lending leg "not valued", never guessed); ``usd`` is NULL in them.

        What ``report`` counts under ``coverage.not_valued`` and ``explain(not_valued=True)`` lists.
        """
        c = replace(self, valued=False)
        return replace(c, query=c.compile(self.catalog.relation_sql(list(self.files))))

    def silences_query(self, min_hole_ns: int) -> Query:
        """The venues' silences of at least ``min_hole_ns`` in the window, over the same files and venue
        scope (``methodology.compile_silences``): what inferred coverage gaps are made of."""
        return compile_silences(self.methodology, self.catalog.relation_sql(list(self.files)), self.start_ns,
                                self.end_ns, min_hole_ns)

    def on(self, engine: Engine) -> Counted:
        """The same counted relation, run by ``engine`` (default: DuckDB, embedded)."""
        return replace(self, engine=engine)

    def connect(self, columns: Sequence[str] = COLUMNS) -> AbstractContextManager[Any]:
        """A connection holding the counted rows as the table ``counted`` (scanned once), from the engine."""
        return self.engine.connect(self, columns)

    def span(self, start_ns: int, end_ns: int, detail: str = "history around the window") -> Counted:
        """The same coverage, counting, valuation and estimation over an explicit [start, end).

        For what a metric reads around its window under the same rules (a cascade's trailing baseline,
        the health index's 30 days of history); the window kind is not applied again.
        """
        window = ResolvedWindow(kind="fixed", start=iso_ns(start_ns), end=iso_ns(end_ns), start_ns=start_ns,
                                end_ns=end_ns, anchor_start=self.window.anchor_start,
                                anchor_end=self.window.anchor_end, detail=detail)
        return _bind(self.catalog, self.methodology, window, self.coverage).on(self.engine)


def _coverage(m: Methodology, only: Sequence[str]) -> tuple[Methodology, CountedCoverage]:
    declared = tuple(m.coverage.venues)
    requested = sorted(set(only))
    scope = [v for v in requested if not declared or v in declared] if requested else list(declared)
    not_covered = [v for v in requested if declared and v not in declared]
    covered = not requested or bool(scope)
    sampled = sorted(v for v, spec in registry().items() if spec.sampled and (not scope or v in scope))
    if requested and covered:
        m = msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, venues=tuple(scope)))
    cov = CountedCoverage(covered=covered, venues=scope if covered else [], requested_venues=requested,
                          not_covered=not_covered, sampled_venues=sampled if covered else [],
                          include_synthetic=m.coverage.include_synthetic, note=None if covered else NOT_COVERED)
    return m, cov


def _bind(catalog: Catalog, m: Methodology, window: ResolvedWindow, cov: CountedCoverage) -> Counted:
    lo, hi = window.start_ns, window.end_ns
    pad = m.estimation.neighbourhood_seconds * _SECOND_NS if m.estimation.mode == "throttle_adjusted" else 0
    files = catalog.event_files(cov.venues or None, lo - pad, hi + pad) if cov.covered and hi > lo else []
    q = compile_counted(m, catalog.relation_sql(files), lo, hi, cov.sampled_venues)
    return Counted(catalog=catalog, methodology=m, window=window, coverage=cov, files=tuple(files), query=q)


def counted(catalog: Catalog, methodology: Methodology, start_ns: int, end_ns: int, *,
            venues: Sequence[str] = ()) -> Counted:
    """Apply ``methodology`` to ``catalog`` over the anchor [start_ns, end_ns): the one place it is done.

    Args:
        catalog: The lake.
        methodology: The rules.
        start_ns: Anchor start, inclusive, ns UTC (venue time).
        end_ns: Anchor end, exclusive.
        venues: Only these venues (a request's narrowing). Venues the methodology does not cover are
            listed in ``coverage.not_covered``; when none is covered nothing counts and
            ``coverage.covered`` is False (faces show ``NOT_COVERED``; the request does not fail).

    Raises:
        ConfigError: The anchor is empty, or the window's time zone is unknown.
    """
    m, cov = _coverage(methodology, venues)
    if m.window.kind != "event_segment":
        return _bind(catalog, m, resolve_window(m.window, start_ns, end_ns), cov)
    # An event segment is a cascade detected in the anchor under the same rules and thresholds.
    from liqscope.metrics.cascades import detect_cascades  # cascades reads a Counted: imported at use

    anchor = resolve_window(msgspec.structs.replace(m.window, kind="fixed"), start_ns, end_ns)
    found = detect_cascades(_bind(catalog, m, anchor, cov))
    return _bind(catalog, m, resolve_window(m.window, start_ns, end_ns, found), cov)
