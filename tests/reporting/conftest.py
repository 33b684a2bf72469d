from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory):
    from tests.api._lake import build

    return build(tmp_path_factory.mktemp("notelake") / "data")
