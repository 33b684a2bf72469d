"""The dashboard's JavaScript never hands data to an HTML parser or an evaluator: it builds every node with
createElement and textContent. A grep over every file in src/liqscope/web/static (issue 14, point 9: the
by-asset tooltip once built HTML from a venue's symbol with innerHTML)."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

STATIC = files("liqscope.web").joinpath("static")
SINKS = {
    "innerHTML": r"\.innerHTML\b",
    "outerHTML": r"\.outerHTML\b",
    "insertAdjacentHTML": r"\binsertAdjacentHTML\b",
    "document.write": r"\bdocument\s*\.\s*write(ln)?\b",
    "createContextualFragment": r"\bcreateContextualFragment\b",
    "DOMParser": r"\bDOMParser\b",
    "srcdoc": r"\bsrcdoc\b",
    "eval": r"(?<![\w.])eval\s*\(",
    "Function constructor": r"\bnew\s+Function\b",
    "string timer": r"\bset(Timeout|Interval)\s*\(\s*[\"'`]",
    "event-handler attribute": r"setAttribute\(\s*[\"'`]on",
    "style attribute": r"setAttribute\(\s*[\"'`]style[\"'`]|\.style\.cssText\b",
    "javascript: URL": r"javascript:",
}


def _sources() -> list[tuple[str, str]]:
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in STATIC.iterdir() if f.name.endswith(".js"))


def test_there_is_javascript_to_check():
    assert {name for name, _ in _sources()} >= {"app.js", "charts.js", "panels.js", "format.js"}


@pytest.mark.parametrize("sink", sorted(SINKS))
def test_no_static_script_uses_an_html_or_code_sink(sink):
    hits = [f"{name}:{n}: {line.strip()}" for name, text in _sources()
            for n, line in enumerate(text.splitlines(), 1) if re.search(SINKS[sink], line)]
    assert not hits, hits


@pytest.mark.parametrize("sink", sorted(SINKS))
def test_the_grep_finds_each_sink(sink):
    """Each pattern matches the shape it forbids (so an empty result above means something)."""
    sample = {"innerHTML": "el.innerHTML = html;", "outerHTML": "x.outerHTML = y", "insertAdjacentHTML":
              "el.insertAdjacentHTML('beforeend', s)", "document.write": "document.write(s)",
              "createContextualFragment": "r.createContextualFragment(s)", "DOMParser": "new DOMParser()",
              "srcdoc": "f.srcdoc = s", "eval": "eval(s)", "Function constructor": "new Function(s)",
              "string timer": "setTimeout(\"go()\", 5)", "event-handler attribute": "e.setAttribute('onclick', s)",
              "style attribute": "e.setAttribute(\"style\", s)", "javascript: URL": "a.href = 'javascript:x'"}[sink]
    assert re.search(SINKS[sink], sample)


def test_index_html_has_no_inline_script_style_or_handler():
    html = STATIC.joinpath("index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"<style\b", html, flags=re.I)
    assert not re.search(r"\sstyle\s*=", html, flags=re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I)
    assert not re.search(r"(href|src)\s*=\s*[\"'](data|javascript):", html, flags=re.I)
