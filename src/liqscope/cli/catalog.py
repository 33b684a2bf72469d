"""`liqscope venues` and `liqscope methodologies`."""

from __future__ import annotations

from typing import Any

import click
import msgspec

from liqscope.cli._common import console, emit, library_errors, main, output_format
from liqscope.venues import venues


@main.command("venues")
@output_format
def venues_cmd(fmt: str) -> None:
    """Every registered venue: capabilities, side convention, units and sampling."""
    rows: list[dict[str, Any]] = [
        {"id": s.id, "capabilities": sorted(s.capabilities), "side_convention": str(s.side_convention),
         "quantity_unit": str(s.quantity_unit), "sampled": s.sampled, "sampling": s.sampling,
         "formats": ["jsonl", *sorted(s.formats)]} for s in venues().values()]
    emit(fmt, rows, table=lambda: _venues_table(rows))


def _venues_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    t = Table("venue", "side means", "quantity", "sampling", "formats", "capabilities")
    for r in rows:
        t.add_row(r["id"], r["side_convention"], r["quantity_unit"], r["sampling"] or "every liquidation",
                  ", ".join(r["formats"]), ", ".join(r["capabilities"]))
    console.print(t)


@main.command("methodologies")
@click.argument("name", required=False)
@output_format
@library_errors
def methodologies_cmd(name: str | None, fmt: str) -> None:
    """List the built-in methodologies, or show one (by name or TOML path) with its fingerprint."""
    from liqscope.methodology import builtin_names, load

    items = [load(name)] if name else [load(n) for n in builtin_names()]
    rows = [{"name": m.name, "version": m.version, "fingerprint": m.fingerprint(), "description": m.description,
             **({"rules": m.rules()} if name else {})} for m in items]
    emit(fmt, rows[0] if name else rows, rows=rows, table=lambda: _methodologies_text(rows, name is not None))


def _methodologies_text(rows: list[dict[str, Any]], one: bool) -> None:
    for r in rows:
        console.print(f"[bold]{r['name']}[/bold] v{r['version']} {r['fingerprint']}  {r['description']}")
        if one:
            console.print_json(data=msgspec.to_builtins(r["rules"]))


