# Rich tables for the human-readable views. Library objects in, text out; no computation here.
from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from liqscope.ingest import IngestResult
from liqscope.metrics.report import Report


def usd(d: Decimal) -> str:
    """``$1,507,009.54``: cents for people; JSON keeps every digit."""
    return f"${d:,.2f}"


def compact_usd(d: Decimal) -> str:
    """``$150.2M`` / ``$12.3K`` for headlines."""
    for div, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K")):
        if abs(d) >= div:
            return f"${d / div:,.1f}{suffix}"
    return f"${d:,.2f}"


def render_report(console: Console, r: Report) -> None:
    m = r.methodology
    console.print(f"[bold]Liquidations[/bold] {r.start} → {r.end} (venue time, UTC)   "
                  f"methodology [bold]{m['name']}[/bold] v{m['version']} fingerprint {m['fingerprint']}")
    share = (r.long_usd / r.total_usd * 100) if r.total_usd else Decimal(0)
    console.print(f"Total [bold]{usd(r.total_usd)}[/bold] in {r.events:,} liquidations  "
                  f"(long {usd(r.long_usd)} / {r.long_events:,}, short {usd(r.short_usd)} / {r.short_events:,}; "
                  f"longs {share:.1f}% of notional)")
    if r.empty is not None:  # an empty answer explains itself
        console.print(f"[yellow]Nothing counts ({r.empty.code})[/yellow]: {r.empty.reason}")
    if r.unknown_side_usd:
        console.print(f"Side not published (whole-account records): {usd(r.unknown_side_usd)}")
    for title, rows in (("By venue", r.by_venue), ("By asset (top 15)", r.by_asset[:15])):
        t = Table(title=title, title_justify="left")
        for col in ("", "long USD", "short USD", "total USD", "events"):
            t.add_column(col, justify="right" if col else "left")
        for v in rows:
            t.add_row(v.name, usd(v.long_usd), usd(v.short_usd), usd(v.total_usd), f"{v.events:,}")
        console.print(t)
    t = Table(title="Largest liquidations", title_justify="left")
    for col in ("time (UTC)", "venue", "market", "side", "notional USD", "raw record"):
        t.add_column(col, justify="right" if col == "notional USD" else "left")
    for x in r.largest:
        t.add_row(x.ts, x.venue, x.market, x.side or "?", usd(x.notional_usd), x.raw_ref[:12] + "…:" +
                  x.raw_ref.rsplit(":", 1)[-1])
    console.print(t)
    a = r.accounts
    if a is not None:
        who = (f"{a.accounts:,} distinct accounts (named by {', '.join(a.venues_covered)})" if a.accounts is not None
               else "no venue in scope names the liquidated account")
        missing = f"; not counted on {', '.join(a.venues_not_covered)}" if a.venues_not_covered else ""
        console.print(f"[bold]Accounts[/bold]: {who}{missing}")
    for f in r.flags or []:
        state = {True: "[red]RAISED[/red]", False: "not raised", None: "no data"}[f.raised]
        value = "-" if f.value is None else f"{f.value:.4g}"
        console.print(f"[bold]Flag[/bold] {f.name}: {state} (value {value}, threshold {f.threshold}) — {f.basis}")
    c = r.coverage
    console.print(f"[bold]Coverage[/bold]: venues {', '.join(c.venues) or 'none'}; events from "
                  f"{c.first_event or '-'} to {c.last_event or '-'}")
    for note in c.notes:
        console.print(f"  [yellow]![/yellow] {note}")
    for venue, text in c.sampling.items():
        console.print(f"  {venue}: {text}")
    for venue, cap in c.capture.items():  # live capture, from transcript markers (docs/capture.md)
        console.print(f"  {venue} live capture: {cap.covered_seconds:,.3f} s of {cap.window_seconds:,.3f} s covered, "
                      f"{len(cap.gaps)} gap(s)" + "".join(f"\n    gap {g.start} → {g.end} ({g.seconds:,.3f} s): "
                                                          f"{g.reason}" for g in cap.gaps[:20]))
    inferred = [g for g in c.gaps if g.source == "inferred"]  # silences in file ingests (metrics.gaps)
    for g in inferred[:20]:
        console.print(f"  {g.venue} inferred gap {g.start} → {g.end} ({g.seconds:,.3f} s)")
    if len(inferred) > 20:
        console.print(f"  … {len(inferred) - 20} more inferred gaps (report --json: coverage.gaps)")


def render_ingest(console: Console, r: IngestResult) -> None:
    console.print(f"{r.file} ({r.venue}, {r.format}): {r.records:,} records → accepted {r.accepted:,}, "
                  f"already present {r.already_present:,}, duplicate {r.duplicate:,}"
                  + (f" ({r.repeats:,} repeated row{'s' if r.repeats != 1 else ''} stored as further copies)"
                     if r.repeats else "") + ", "
                  f"skipped {r.skipped:,}, quarantined {r.quarantined:,}"
                  + (f", blank lines {r.blank_lines:,} (counted, not stored)" if r.blank_lines else ""))
    for q in r.quarantine_samples[:20]:
        field = f" field {q.field}:" if q.field else ""
        console.print(f"  [red]quarantined[/red] {q.file}:{q.line}:{field} {q.code}: {q.reason}", highlight=False)
    if r.quarantined > 20:
        console.print(f"  … {r.quarantined - 20} more")
    if r.quarantine_file:
        console.print(f"  quarantine file: {r.quarantine_file}")
