"""Render the CLI reference (docs/cli.md) from the commands' own help, so it cannot drift.

``python -m liqscope.cli._reference > docs/cli.md`` rewrites it; tests/test_docs.py checks it.
"""

from __future__ import annotations

import click

from liqscope.cli import main


def _commands(group: click.Group, ctx: click.Context, path: str, parts: list[str]) -> None:
    """Each command's help under its full path, and a group's subcommands after it (``levels backtest``...)."""
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        sub = cmd.make_context(f"{path} {name}", [], parent=ctx, resilient_parsing=True)
        parts += [f"## {path} {name}", "", "```text", cmd.get_help(sub), "```", ""]
        if isinstance(cmd, click.Group):
            _commands(cmd, sub, f"{path} {name}", parts)


def render() -> str:
    """The whole CLI reference as Markdown."""
    # make_context applies the group's context_settings (-h/--help) exactly as a real invocation does.
    ctx = main.make_context("liqscope", [], resilient_parsing=True, terminal_width=100, max_content_width=100)
    parts = ["# liqscope command reference", "",
             "Generated from each command's `--help` by `python -m liqscope.cli._reference`; do not edit by hand.",
             "", "```text", main.get_help(ctx), "```", ""]
    _commands(main, ctx, "liqscope", parts)
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
