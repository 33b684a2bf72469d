# What a research note says, computed once from library calls; rendered to Markdown or HTML elsewhere.
from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.methodology import Methodology, builtin_names, load
from liqscope.metrics.report import Report, report
from liqscope.metrics.timeline import Timeline, timeline
from liqscope.store import Catalog

_ZERO = Decimal(0)
_DAY = 86_400 * 10**9


class Counted(msgspec.Struct, kw_only=True):
    """One methodology's report over the note's window."""

    name: str
    version: int
    fingerprint: str
    description: str
    report: Report


class Step(msgspec.Struct, kw_only=True):
    """One step of a reconciliation: how much of the gap between two methodologies one venue explains."""

    label: str
    delta_usd: Decimal
    events_delta: int


class Reconciliation(msgspec.Struct, kw_only=True):
    """From methodology ``a`` to ``b``: the total of each and the difference, venue by venue."""

    a: str
    a_fingerprint: str
    a_total_usd: Decimal
    b: str
    b_fingerprint: str
    b_total_usd: Decimal
    steps: list[Step]
    dimensions: dict[str, Decimal] = {}   # Shapley share of each differing rule, when the metric exists


class Flag(msgspec.Struct, kw_only=True):
    """A structural-risk flag with the numbers behind it."""

    name: str
    raised: bool | None     # None: not computable from the data in the lake
    detail: str
    fingerprint: str


class Note(msgspec.Struct, kw_only=True):
    """Everything a note states. ``counted[0]`` is the headline methodology."""

    start: str
    end: str
    counted: list[Counted]
    timeline: Timeline
    reconciliations: list[Reconciliation]
    flags: list[Flag]
    caveats: list[str]

    @property
    def primary(self) -> Counted:
        return self.counted[0]

    @property
    def range_usd(self) -> tuple[Decimal, Decimal]:
        totals = [c.report.total_usd for c in self.counted]
        return min(totals), max(totals)


def _bucket(span_ns: int) -> str:
    if span_ns <= _DAY // 4:
        return "5m"
    if span_ns <= 3 * _DAY:
        return "1h"
    if span_ns <= 20 * _DAY:
        return "4h"
    return "1d"


def _narrow(m: Methodology, venues: tuple[str, ...]) -> Methodology:
    if not venues:
        return m
    return msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, venues=tuple(sorted(venues))))


def _reconcile(a: Counted, b: Counted) -> Reconciliation:
    ra, rb = a.report.by_venue, b.report.by_venue
    steps = []
    for v in sorted(set(ra) | set(rb)):
        d = (rb[v].total_usd if v in rb else _ZERO) - (ra[v].total_usd if v in ra else _ZERO)
        n = (rb[v].events if v in rb else 0) - (ra[v].events if v in ra else 0)
        if d or n:
            steps.append(Step(label=v, delta_usd=d, events_delta=n))
    return Reconciliation(a=a.name, a_fingerprint=a.fingerprint, a_total_usd=a.report.total_usd, b=b.name,
                          b_fingerprint=b.fingerprint, b_total_usd=b.report.total_usd, steps=steps)


def _attribute(catalog: Catalog, recs: list[Reconciliation], by_name: dict[str, Methodology], start_ns: int,
               end_ns: int) -> None:
    # The per-rule attribution comes from liqscope.metrics.reconcile when this tree has it.
    try:
        from liqscope.metrics.reconcile import reconcile
    except ImportError:
        return
    for rec in recs:
        r = reconcile(catalog, by_name[rec.a], by_name[rec.b], start_ns, end_ns)
        rec.dimensions = dict(r.contributions)


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return part / whole if whole else _ZERO


def _library_flags(catalog: Catalog, m: Methodology, fp: str, start_ns: int, end_ns: int) -> list[Flag] | None:
    # liqscope.metrics.flags (market structure) computes the declared flags when this tree has it.
    try:
        from liqscope.metrics.flags import structural_flags
    except ImportError:
        return None
    out = []
    for f in structural_flags(catalog, m, start_ns, end_ns):
        value = "no data" if f.value is None else f"{f.value:.4g}"
        out.append(Flag(name=f.name.replace("_", " "), raised=f.raised, fingerprint=fp,
                        detail=f"{f.basis}: {value} (threshold {f.threshold})"))
    return out


def _flags(c: Counted, m: Methodology) -> list[Flag]:
    # The side and concentration flags need only the report; funding/premium flags need market data and
    # come from the market-structure metrics when those are served.
    r, f, fp = c.report, m.flags, c.fingerprint
    out = []
    if r.short_usd and r.long_usd:
        ratio = r.long_usd / r.short_usd
        heavy = max(ratio, 1 / ratio)
        side = "long" if ratio >= 1 else "short"
        out.append(Flag(name="one-sided liquidations", raised=heavy >= f.long_short_ratio, fingerprint=fp,
                        detail=f"{side}s liquidated {heavy:.2f}× the other side (threshold {f.long_short_ratio}×)"))
    blue = sum((r.by_asset[a].total_usd for a in f.bluechip_assets if a in r.by_asset), _ZERO)
    if r.total_usd:
        share = _share(blue, r.total_usd)
        out.append(Flag(name="flow outside blue chips", raised=share < f.bluechip_share, fingerprint=fp,
                        detail=f"{'+'.join(f.bluechip_assets)} carry {share:.1%} of notional "
                               f"(flag below {f.bluechip_share:.0%})"))
        top = sorted((x.notional_usd for x in r.largest), reverse=True)[: f.top_accounts]
        top_share = _share(sum(top, _ZERO), r.total_usd)
        out.append(Flag(name="concentration", raised=top_share >= f.top_accounts_share, fingerprint=fp,
                        detail=f"the {len(top)} largest liquidations are {top_share:.1%} of notional "
                               f"(flag at {f.top_accounts_share:.0%})"))
    return out


def build_note(catalog: Catalog, methodologies: list[Methodology], start_ns: int, end_ns: int, *,
               venues: tuple[str, ...] = (), largest_n: int = 10, all_builtins: bool = True) -> Note:
    """Compute a note over [start_ns, end_ns): ``methodologies[0]`` heads it; the range spans the others
    (and every built-in methodology when ``all_builtins``)."""
    ms = list(methodologies)
    if all_builtins:
        names = {m.name for m in ms}
        ms += [load(n) for n in builtin_names() if n not in names]
    ms = [_narrow(m, venues) for m in ms]
    counted = [Counted(name=m.name, version=m.version, fingerprint=m.fingerprint(), description=m.description,
                       report=report(catalog, m, start_ns, end_ns, largest_n=largest_n)) for m in ms]
    tl = timeline(catalog, ms[0], start_ns, end_ns, bucket=_bucket(end_ns - start_ns))
    primary = counted[0]
    recs = [_reconcile(primary, c) for c in counted[1:] if c.report.total_usd != primary.report.total_usd
            or c.report.events != primary.report.events]
    _attribute(catalog, recs, {m.name: m for m in ms}, start_ns, end_ns)
    cov = primary.report.coverage
    caveats = list(cov.notes)
    if primary.report.unknown_side_usd:
        caveats.append(f"{primary.report.unknown_side_usd:,.2f} USD comes from records that name no side "
                       "(whole-account liquidations); it is in the total, not in long or short")
    if not cov.per_venue:
        caveats.append("no liquidations were counted in this window")
    return Note(start=primary.report.start, end=primary.report.end, counted=counted, timeline=tl,
                reconciliations=recs, caveats=caveats,
                flags=_library_flags(catalog, ms[0], primary.fingerprint, start_ns, end_ns) or _flags(primary, ms[0]))
