from __future__ import annotations

from pathlib import Path

import pytest

from tests._golden import Golden

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from actual output")
    parser.addoption("--run-live", action="store_true", help="run tests marked live (need the internet)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-live"):
        return
    skip = pytest.mark.skip(reason="live test: needs --run-live and network access")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden")))


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
