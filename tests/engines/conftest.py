"""Spark runs in local mode on a JVM: without ``java`` on PATH the engine tests skip, saying why."""

from __future__ import annotations

import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("java"):
        return
    skip = pytest.mark.skip(reason="no `java` on PATH: Spark's local mode needs a JDK (apt-get install openjdk-17-jre)")
    for item in items:
        if "tests/engines/" in str(item.path).replace("\\", "/"):
            item.add_marker(skip)
