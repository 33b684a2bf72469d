"""Every CLI command has help, appears in the generated reference, and the reference is current."""

from __future__ import annotations

from pathlib import Path

import click

from liqscope.cli import main
from liqscope.cli._reference import render

DOCS = Path(__file__).parent.parent / "docs"


def test_every_command_has_a_help_text():
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        assert cmd is not None and (cmd.help or "").strip(), f"`liqscope {name}` has no help text"


def test_cli_reference_is_generated_from_the_current_commands(golden):
    """docs/cli.md is regenerated with `pytest --update-golden` (or the module's __main__)."""
    golden.check(DOCS / "cli.md", render())


def test_readme_starts_with_the_two_quickstart_commands():
    text = (Path(__file__).parent.parent / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("```", 2)[1]
    assert "bash scripts/demo" in quick and "bash scripts/test" in quick
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "bash scripts/test" in ci
