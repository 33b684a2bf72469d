"""The browser tests' shared parts: Debian's chromium (where, how it starts, what if it is missing) and what
they watch in the page (dialogs, script errors, console errors, CSP violations)."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_browser() -> ModuleType:
    """playwright.sync_api, or skip the calling module (fail it under CI, which installs chromium)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have /usr/bin/chromium (scripts/test installs Debian's chromium)", pytrace=False)
        pytest.skip("no /usr/bin/chromium here (apt-get install chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")

# Recorded in the page before any of its own script runs (an init script is not subject to the page's CSP).
_WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def watch(page: Any) -> dict[str, list[str]]:
    """Start recording; ``seen["csp"]`` is filled by ``csp_violations(page, seen)``."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "csp": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    # A CSP refusal is also logged to the console as an error by Chromium.
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.add_init_script(_WATCH_CSP)
    return seen


def csp_violations(page: Any) -> list[str]:
    """The securitypolicyviolation events the page has seen since it loaded."""
    return list(page.evaluate("() => window.__csp"))
