"""`liqscope report --format md|html`: a research note on a real lake, every figure tagged with its fingerprint."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from liqscope.api import MissingExtra, require_extra
from liqscope.cli import main
from liqscope.methodology import builtin_names, load
from liqscope.metrics import counted
from liqscope.metrics.report import report
from liqscope.reporting import build_note
from tests.api._lake import SESSION, independent_figures

pytest.importorskip("matplotlib", reason="the charts extra is not installed")

FP = re.compile(r"\[([0-9a-f]{12})\]")


@pytest.fixture(scope="module")
def notes(lake, tmp_path_factory):
    out = tmp_path_factory.mktemp("note")
    # md: the default methodology, so the range spans every built-in; html: exactly the two named.
    for fmt, ms in (("md", []), ("html", ["-m", "standard", "-m", "every-copy"])):
        res = CliRunner().invoke(main, ["report", "--start", SESSION[0], "--end", SESSION[1], "--data-dir",
                                        str(lake.root), "--format", fmt, "--out", str(out), *ms],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
    return out


def test_the_markdown_note_states_the_headline_with_its_range_and_fingerprint(notes, lake):
    fig = independent_figures()
    md = (notes / "liquidations-2025-12-27-to-2025-12-29.md").read_text()
    std = load("standard").fingerprint()
    assert f"**${fig['total_usd']:,.2f}** [{std}]" in md
    assert f"Longs liquidated ${fig['long_usd']:,.2f} [{std}]" in md
    assert f"shorts ${fig['short_usd']:,.2f} [{std}]" in md
    totals = [report(counted(lake, load(n), *(_ns(t) for t in SESSION))).total_usd for n in builtin_names()]
    assert f"range ${min(totals) / 10**6:,.2f}M" in md or f"range ${min(totals):,.2f}" in md or "range $0.00" in md
    assert f"| every-copy | ${2 * fig['total_usd']:,.2f} | 4,090 |" in md
    assert ":1502` | `" + std in md  # the largest liquidation, with its raw record and fingerprint
    assert f"to **every-copy** ${2 * fig['total_usd']:,.2f}" in md


def test_every_sentence_with_a_figure_carries_a_fingerprint(notes):
    md = (notes / "liquidations-2025-12-27-to-2025-12-29.md").read_text()
    known = {load(n).fingerprint() for n in builtin_names()}
    for line in md.splitlines():
        if "$" in line and not line.startswith(("![", "*", "| step", "| ")):
            assert FP.search(line), line
        if line.startswith("| ") and "$" in line:
            assert any(f in line for f in known) or line.split("|")[1].strip() in builtin_names(), line
    assert set(FP.findall(md)) <= known


def test_the_html_note_embeds_its_png_charts_and_loads_nothing_from_outside(notes):
    html = (notes / "liquidations-2025-12-27-to-2025-12-29.html").read_text()
    pngs = sorted((notes / "charts").glob("*.png"))
    assert [p.name.rsplit("-", 1)[-1] for p in pngs] == ["assets.png", "range.png", "timeline.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert html.count("src='data:image/png;base64,") == 3
    assert "http://" not in html and "https://" not in html
    assert "<h2>Structural-risk flags</h2>" in html and "<h2>Coverage and caveats</h2>" in html


def test_the_note_reconciles_standard_to_every_copy_by_venue(lake):
    fig = independent_figures()
    note = build_note([counted(lake, load(n), *(_ns(t) for t in SESSION)) for n in ("standard", "every-copy")])
    (rec,) = note.differences
    assert (rec.a, rec.b) == ("standard", "every-copy")
    assert [(s.label, s.delta_usd, s.events_delta) for s in rec.steps] == [("binance_usdm", fig["total_usd"], 2045)]
    assert note.range_usd == (fig["total_usd"], 2 * fig["total_usd"])
    assert rec.by_rule.contributions["counting"] == fig["total_usd"] == rec.by_rule.difference_usd


def test_a_missing_charts_extra_names_the_exact_pip_command():
    with pytest.raises(MissingExtra, match=r"pip install 'liqscope\[charts\]'"):
        require_extra("charts", "liqscope_no_such_module")


def _ns(text: str) -> int:
    from liqscope._time import parse_iso_ns

    return parse_iso_ns(text)
