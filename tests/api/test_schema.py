"""Property-based run over the OpenAPI document (schemathesis): no request the document allows gets a 5xx,
and every answer matches its documented status, content type and schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (  # noqa: E402 - after the importorskip
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def app(lake):
    from liqscope.api import create_app

    # Schemathesis' in-process client sends "Host: testserver"; any other name is refused (403).
    return create_app(lake.root, poll_s=0.1, allow_hosts=("testserver",))


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    # /api/live is an endless event stream: tests/api/test_server.py reads it over a real socket.
    return [op for op in (r.ok() for r in schema.get_all_operations()) if op.path != "/api/live"]


def test_the_document_covers_every_json_endpoint(app):
    labels = {op.label for op in _operations(app)}
    assert {"GET /api/report", "GET /api/events", "GET /api/timeline", "GET /api/largest", "GET /api/coverage",
            "GET /api/methodologies/{name}"} <= labels


def test_no_generated_request_gets_a_server_error(app):
    ran: dict[str, set[int]] = {}

    def run(op) -> None:
        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case):
            response = case.call_and_validate(checks=CHECKS)
            ran.setdefault(op.label, set()).add(response.status_code)

        check()

    for op in _operations(app):
        run(op)
    assert set(ran) == {op.label for op in _operations(app)}
    assert all(code < 500 for codes in ran.values() for code in codes)
