# What a research note says, computed once from library calls over counted relations; rendered to
# Markdown or HTML elsewhere. Every figure comes from a metric that received a Counted: the note applies
# no rule itself.
from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.metrics import Counted, Flag, Reconciliation, Report, Timeline, reconcile, report, timeline

_ZERO = Decimal(0)
_DAY = 86_400 * 10**9


class NoteEntry(msgspec.Struct, kw_only=True):
    """One methodology's report over the note's window."""

    name: str
    version: int
    fingerprint: str
    description: str
    report: Report


class VenueStep(msgspec.Struct, kw_only=True):
    """How much of the gap between two methodologies one venue carries."""

    label: str
    delta_usd: Decimal
    events_delta: int


class Difference(msgspec.Struct, kw_only=True):
    """From the headline methodology ``a`` to ``b``: by rule (the reconciliation) and by venue."""

    a: str
    a_fingerprint: str
    a_total_usd: Decimal
    b: str
    b_fingerprint: str
    b_total_usd: Decimal
    steps: list[VenueStep]
    by_rule: Reconciliation


class Note(msgspec.Struct, kw_only=True):
    """Everything a note states. ``entries[0]`` is the headline methodology."""

    start: str
    end: str
    entries: list[NoteEntry]
    timeline: Timeline
    differences: list[Difference]
    flags: list[Flag]
    caveats: list[str]

    @property
    def primary(self) -> NoteEntry:
        return self.entries[0]

    @property
    def range_usd(self) -> tuple[Decimal, Decimal]:
        totals = [c.report.total_usd for c in self.entries if c.report.coverage.covered] or [_ZERO]
        return min(totals), max(totals)


def _bucket(span_ns: int) -> str:
    if span_ns <= _DAY // 4:
        return "5m"
    if span_ns <= 3 * _DAY:
        return "1h"
    if span_ns <= 20 * _DAY:
        return "4h"
    return "1d"


def _difference(a: NoteEntry, b: NoteEntry, by_rule: Reconciliation) -> Difference:
    ra, rb = ({t.name: t for t in e.report.by_venue} for e in (a, b))
    steps = []
    for v in sorted(set(ra) | set(rb)):
        d = (rb[v].total_usd if v in rb else _ZERO) - (ra[v].total_usd if v in ra else _ZERO)
        n = (rb[v].events if v in rb else 0) - (ra[v].events if v in ra else 0)
        if d or n:
            steps.append(VenueStep(label=v, delta_usd=d, events_delta=n))
    return Difference(a=a.name, a_fingerprint=a.fingerprint, a_total_usd=a.report.total_usd, b=b.name,
                      b_fingerprint=b.fingerprint, b_total_usd=b.report.total_usd, steps=steps, by_rule=by_rule)


def build_note(counted: list[Counted], *, largest_n: int = 10) -> Note:
    """Compute a note: ``counted[0]`` heads it; the range and the reconciliations span the others."""
    entries = [NoteEntry(name=c.name, version=c.version, fingerprint=c.fingerprint,
                         description=c.methodology.description, report=report(c, largest_n=largest_n))
               for c in counted]
    head = counted[0]
    tl = timeline(head, bucket=_bucket(head.end_ns - head.start_ns))
    primary = entries[0]
    diffs = [_difference(primary, e, reconcile(head, c)) for e, c in zip(entries[1:], counted[1:], strict=True)
             if e.report.total_usd != primary.report.total_usd or e.report.events != primary.report.events]
    r = primary.report
    caveats = list(r.coverage.notes)
    if r.unknown_side_usd:
        caveats.append(f"{r.unknown_side_usd:,.2f} USD comes from records that name no side "
                       "(whole-account liquidations); it is in the total, not in long or short")
    if not r.coverage.per_venue:
        caveats.append("no liquidations were counted in this window")
    return Note(start=r.start, end=r.end, entries=entries, timeline=tl, differences=diffs, caveats=caveats,
                flags=r.flags or [])
