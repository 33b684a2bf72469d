"""A venue is one folder plus one entry-point line: no code outside ``venues/<id>/`` names a venue.

Checked on the code itself (string constants and imports, read with ``ast``; docstrings are prose and are
not checked): a venue id used as a value, or a module path into a venue's folder, outside that folder is
a venue fact living in the wrong place. The few that remain are listed in ``KNOWN`` with the reason, and
the list is strict: an entry whose file no longer names a venue fails, so it is struck when fixed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import liqscope
from liqscope.venues import venues

SRC = Path(liqscope.__file__).parent
IDS = frozenset(venues())
_MODULE = re.compile(r"liqscope\.venues\.(\w+)")

# file (relative to src/liqscope) -> why it still names a venue outside the venue's folder.
KNOWN = {
    "_demo.py": "the bundled demo recordings, each ingested as its venue (a data list, like docs)",
    "capture/_capture.py": "Hyperliquid is captured by tailing a node's files, the one non-websocket transport",
    "capture/_node_tail.py": "the node tail (above) writes Hyperliquid transcripts",
    "market/_csv.py": "third-party CSV exports (CoinGlass, Hyperliquid's funding export) mapped to a venue",
    "metrics/compare.py": "VENUE_EXCHANGE: the exchange name aggregators use (left to the metrics refactor)",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _venues_named(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _docstrings(tree)
    named: set[str] = set()
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if node.value in IDS:
                named.add(node.value)
            texts.append(node.value)
        elif isinstance(node, ast.ImportFrom) and node.module:
            texts.append(node.module)
        elif isinstance(node, ast.Import):
            texts.extend(a.name for a in node.names)
        for text in texts:
            named.update(m.group(1) for m in _MODULE.finditer(text) if m.group(1) in IDS)
    return named


def _outside_venue_folders() -> dict[str, set[str]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "venues" and len(rel.parts) > 2 and rel.parts[1] in IDS:
            continue  # inside venues/<id>/
        named = _venues_named(path)
        if named:
            out[rel.as_posix()] = named
    return out


def test_no_code_outside_a_venue_folder_names_a_venue():
    found = _outside_venue_folders()
    unexpected = {f: sorted(v) for f, v in found.items() if f not in KNOWN}
    assert not unexpected, f"venue facts outside venues/<id>/: {unexpected}"


def test_every_known_exception_is_still_needed():
    found = _outside_venue_folders()
    assert sorted(f for f in KNOWN if f not in found) == []


def test_every_venue_folder_is_registered_and_every_venue_has_its_folder():
    # venues/_<name>/ (like venues/_*.py) is code and tables venues share, not a venue
    folders = {p.name for p in (SRC / "venues").iterdir()
               if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_")}
    assert folders == set(IDS)
