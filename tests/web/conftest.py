from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the api extra is not installed")


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory):
    from tests.api._lake import build

    return build(tmp_path_factory.mktemp("weblake") / "data")
