from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the api extra is not installed")


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory):
    from tests.api._lake import build

    return build(tmp_path_factory.mktemp("lake") / "data")


@pytest.fixture(scope="session")
def app(lake):
    from liqscope.api import create_app

    return create_app(lake.root, poll_s=0.1)


@pytest.fixture(scope="module")
def fig():
    """The session's figures, summed by hand from the raw frames (tests/api/_lake.py)."""
    from tests.api._lake import independent_figures

    return independent_figures()
