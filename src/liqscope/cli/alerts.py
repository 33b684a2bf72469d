"""`liqscope alerts backtest` and `liqscope alerts history`."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from liqscope._time import parse_iso_ns
from liqscope.cli._common import console, data_dir_option, emit, library_errors, main, output_format
from liqscope.store import Catalog


@main.group("alerts")
def alerts_group() -> None:
    """Alert rules: replay them over the lake, and read what fired live."""


def load_rule_set(path: Path) -> object:
    """The rules file at ``path``, read strictly against the registered venues."""
    from liqscope.alerts import load_rules
    from liqscope.venues import venues

    return load_rules(path, tuple(venues()))


@alerts_group.command("backtest")
@click.argument("rules", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", required=True, help="Replay start, ISO-8601 UTC (inclusive, venue time).")
@click.option("--end", required=True, help="Replay end, ISO-8601 UTC (exclusive).")
@click.option("-m", "--methodology", default=None,
              help="Evaluate under this methodology (name or TOML path). Default: the rules file's, else standard.")
@click.option("--deliver", is_flag=True, help="Actually send each fired alert to its rule's channels.")
@data_dir_option
@output_format
@library_errors
def backtest(rules: Path, start: str, end: str, methodology: str | None, deliver: bool, catalog: Catalog,
             fmt: str) -> None:
    """Replay the lake over [START, END) and list which RULES would have fired, and when."""
    from liqscope.alerts import RuleSet, evaluate
    from liqscope.alerts import deliver as send
    from liqscope.methodology import load

    rule_set = load_rule_set(rules)
    assert isinstance(rule_set, RuleSet)
    start_ns, end_ns = parse_iso_ns(start, what="--start"), parse_iso_ns(end, what="--end")
    if end_ns <= start_ns:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    fired = evaluate(catalog, rule_set.rules, load(methodology or rule_set.methodology), start_ns, end_ns)
    channels = {r.name: r.channels for r in rule_set.rules}
    rows = [{**msgspec.to_builtins(a), **({"delivered": msgspec.to_builtins(send(a, channels[a.rule]))}
                                           if deliver else {})} for a in fired]

    def table() -> None:
        for r in rows:
            sent = "".join(f"  {'✓' if d['ok'] else '✗'} {d['channel']}" for d in r.get("delivered", []))
            console.print(f"{r['ts']}  {r['summary']}{sent}", markup=False)
        m = fired[0].methodology if fired else None
        console.print(f"{len(rows)} alert(s) fired" + (f" under {m['name']} v{m['version']} {m['fingerprint']}" if m
                                                        else ""))

    emit(fmt, {"fired": rows}, rows=rows, table=table)


@alerts_group.command("history")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Most recent N.")
@data_dir_option
@output_format
@library_errors
def history(limit: int, catalog: Catalog, fmt: str) -> None:
    """The alerts live evaluation fired (newest first), with what each channel made of them."""
    from liqscope.alerts import AlertHistory

    fired = AlertHistory(catalog.root).recent(limit)

    def table() -> None:
        for f in fired:
            sent = "".join(f"  {'✓' if d.ok else '✗'} {d.channel}" for d in f.deliveries)
            console.print(f"{f.alert.ts}  {f.alert.summary}{sent}", markup=False)
        if not fired:
            console.print("no alert recorded in this data directory")

    emit(fmt, {"alerts": fired}, rows=fired, table=table)
