"""Golden-file helper: compare text with a reviewed file, or rewrite it under --update-golden."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest


class Golden:
    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, path: Path, text: str) -> None:
        if self.update or not path.exists():
            if not self.update:
                pytest.fail(f"golden file {path} is missing: run pytest --update-golden and review the diff")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        if expected != text:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                str(path), "actual", n=1))
            pytest.fail(f"output differs from golden {path.name} (pytest --update-golden to accept):\n{diff[:6000]}")
