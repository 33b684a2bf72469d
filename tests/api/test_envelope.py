"""The API has exactly one success shape and one error shape (pinned here, key by key)."""

from __future__ import annotations

import json

import pytest

from liqscope.api._inprocess import get
from liqscope.methodology import load
from tests.api._lake import SESSION

START, END = SESSION


def _get(app, path: str):
    status, headers, body = get(app, path)
    return status, headers, json.loads(body)


@pytest.mark.parametrize("path", [
    "/api/server", "/api/lake", "/api/venues", "/api/methodologies", "/api/methodologies/standard",
    f"/api/report?start={START}&end={END}", f"/api/timeline?start={START}&end={END}",
    f"/api/events?start={START}&end={END}", f"/api/largest?start={START}&end={END}",
    f"/api/coverage?start={START}&end={END}",
])
def test_every_success_is_the_one_success_envelope(app, path):
    status, headers, body = _get(app, path)
    assert status == 200 and headers["content-type"] == "application/json"
    assert list(body) == ["ok", "data", "meta"] and body["ok"] is True
    assert list(body["meta"]) == ["methodologies", "liqscope"]
    for ref in body["meta"]["methodologies"]:
        assert list(ref) == ["name", "version", "fingerprint"]


def test_meta_names_the_fingerprint_the_library_computes(app):
    for name in ("standard", "every-copy"):
        _, _, body = _get(app, f"/api/report?start={START}&end={END}&methodology={name}")
        m = load(name)
        assert body["meta"]["methodologies"] == [{"name": name, "version": m.version, "fingerprint": m.fingerprint()}]
        assert body["data"]["methodology"]["fingerprint"] == m.fingerprint()


@pytest.mark.parametrize(("path", "status", "param", "valid"), [
    (f"/api/report?start={START}&end={END}&venue=binance", 400, "venue", "binance_usdm"),
    (f"/api/report?start={START}&end={END}&methodology=nope", 400, "methodology", "every-copy"),
    (f"/api/report?start=2025-12-27T00:00:00&end={END}", 400, "start", None),
    (f"/api/report?start={END}&end={START}", 400, "end", None),
    (f"/api/report?start=2015-01-01&end={END}", 400, "end", None),
    (f"/api/timeline?start=2021-01-01&end={END}&bucket=1m", 400, "bucket", "1d"),
    (f"/api/events?start={START}&end={END}&limit=501", 400, "limit", None),
    (f"/api/events?start={START}&end={END}&side=BUY", 400, "side", "LONG"),
    (f"/api/events?start={START}&end={END}&min_notional_usd=1e3", 400, "min_notional_usd", None),
    (f"/api/events?start={START}&end={END}&limt=5", 400, "limt", "limit"),
    ("/api/methodologies/nope", 404, "name", "standard"),
    ("/api/report", 400, "start", None),
])
def test_every_refusal_is_the_one_error_envelope_naming_the_parameter(app, path, status, param, valid):
    got, headers, body = _get(app, path)
    assert got == status and headers["content-type"] == "application/json"
    assert list(body) == ["ok", "error", "errors", "status"]
    assert body["ok"] is False and body["status"] == status
    assert body["errors"][0]["param"] == param and body["error"].startswith(f"{param}: ")
    if valid:
        assert valid in body["errors"][0]["valid"] and valid in body["error"]
    assert "Traceback" not in body["error"]


def test_unknown_paths_and_other_methods_get_the_error_envelope(app):
    status, _, body = _get(app, "/api/nope")
    assert status == 404 and list(body) == ["ok", "error", "errors", "status"] and body["errors"] == []
