"""The engines contract names every private module of metrics/ and store/, so a new one is covered too."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_engines_contract_forbids_every_private_metrics_and_store_module():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (engines,) = [c for c in config if c["source_modules"] == ["liqscope.engines"]]
    private = {f"liqscope.{pkg}.{f.stem}" for pkg in ("metrics", "store")
               for f in (ROOT / "src" / "liqscope" / pkg).glob("_*.py") if f.stem != "__init__"}
    assert set(engines["forbidden_modules"]) == private
