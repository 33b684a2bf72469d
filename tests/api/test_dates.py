"""Every time parameter is parsed within one documented range (liqscope._time.TIME_RANGE).

Outside it the API answers 400 in the error envelope naming the parameter and the range, and the CLI prints
one line naming the option and the range. Before, year 1 and a +14:00 offset on year 1 reached the lake
code and came back as 500s (issue 14, point 10).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from liqscope._time import MAX_NS, MAX_TIME, MIN_NS, MIN_TIME, TIME_RANGE, parse_iso_ns
from liqscope.api._inprocess import get
from liqscope.cli import main
from liqscope.errors import ConfigError

# The reproductions first, then the same at the far end of the range and just past each end.
OUT_OF_RANGE = [
    ("/api/range?start=0001-01-01&end=0001-01-05", "start", "0001-01-01"),
    ("/api/range?start=0001-01-01T00:00:00%2B14:00&end=0001-01-05", "start", "0001-01-01T00:00:00+14:00"),
    ("/api/report?start=0001-01-01T00:00:00%2B14:00&end=0001-01-02", "start", "0001-01-01T00:00:00+14:00"),
    ("/api/health?at=0001-01-01", "at", "0001-01-01"),
    ("/api/health?at=0001-01-01T00:00:00%2B14:00", "at", "0001-01-01T00:00:00+14:00"),
    ("/api/timeline?start=2025-12-27&end=9999-12-31T23:00:00-14:00", "end", "9999-12-31T23:00:00-14:00"),
    ("/api/timeline?start=2262-04-01&end=2262-04-20", "start", "2262-04-01"),
    ("/api/events?start=2009-01-02T23:59:59Z&end=2009-01-04", "start", "2009-01-02T23:59:59Z"),
    ("/api/events?start=2099-12-31&end=2100-01-01T00:00:00.001Z", "end", "2100-01-01T00:00:00.001Z"),
    ("/api/largest?start=1970-01-01&end=1970-01-02", "start", "1970-01-01"),
    ("/api/coverage?start=2025-12-27&end=2100-01-01T00:00:00-00:01", "end", "2100-01-01T00:00:00-00:01"),
    ("/api/reconcile?start=0001-01-01&end=0001-01-05", "start", "0001-01-01"),
    ("/api/cascades?start=2025-12-27&end=9999-12-31", "end", "9999-12-31"),
    ("/api/funding?start=0001-01-01&end=0001-01-05", "start", "0001-01-01"),
]


@pytest.mark.parametrize(("path", "param", "value"), OUT_OF_RANGE)
def test_an_out_of_range_time_is_a_400_naming_the_parameter_and_the_range(app, path, param, value):
    status, headers, body = get(app, path)
    doc = json.loads(body)
    assert (status, headers["content-type"]) == (400, "application/json"), body
    assert list(doc) == ["ok", "error", "errors", "status"] and (doc["ok"], doc["status"]) == (False, 400)
    message = f"{value!r} is outside the valid time range {TIME_RANGE}"
    assert doc["error"] == f"{param}: {message}"
    assert doc["errors"] == [{"param": param, "message": message}]


@pytest.mark.parametrize("path", [
    f"/api/report?start={MIN_TIME}&end=2009-01-05",                      # the first instant of the range
    "/api/report?start=2099-12-30T10:00:00-14:00&end=2100-01-01",        # its last instant, as an end
    "/api/health?at=2009-01-03T14:00:00%2B14:00",                        # = MIN_TIME in UTC
])
def test_the_ends_of_the_range_are_accepted(app, path):
    status, _, body = get(app, path)
    assert status == 200, body


def test_the_server_advertises_the_range(app):
    data = json.loads(get(app, "/api/server")[2])["data"]
    assert (data["min_time"], data["max_time"]) == (MIN_TIME, MAX_TIME) == ("2009-01-03T00:00:00Z",
                                                                          "2100-01-01T00:00:00Z")


@pytest.mark.parametrize(("text", "ns"), [
    ("2009-01-03", 1_230_940_800 * 10**9),
    ("2009-01-03T00:00:00Z", MIN_NS),
    ("2009-01-03T14:00:00+14:00", MIN_NS),
    ("2100-01-01", 4_102_444_800 * 10**9),
    ("2099-12-31T10:00:00-14:00", MAX_NS),
    ("2025-12-27T14:00:00.123456Z", 1_766_844_000_123_456_000),
    ("2009-01-02T23:59:59.999999Z", None),
    ("2100-01-01T00:00:00.000001Z", None),
    ("0001-01-01", None),
    ("0001-01-01T00:00:00+14:00", None),          # year 0 in UTC: an OverflowError before
    ("9999-12-31T23:59:59-14:00", None),          # year 10000 in UTC
    ("2262-04-12", None),                          # past int64 nanoseconds
])
def test_parse_iso_ns_is_bounded(text, ns):
    if ns is None:
        with pytest.raises(ConfigError) as e:
            parse_iso_ns(text, what="--at")
        assert str(e.value) == f"--at: {text!r} is outside the valid time range {TIME_RANGE}"
    else:
        assert parse_iso_ns(text) == ns


@pytest.mark.parametrize(("args", "option", "value"), [
    (["report", "--start", "0001-01-01", "--end", "2025-01-01"], "--start", "0001-01-01"),
    (["report", "--start", "2025-01-01", "--end", "9999-12-31T23:00:00-14:00"], "--end", "9999-12-31T23:00:00-14:00"),
    (["reconcile", "--from", "standard", "--to", "every-copy", "--start", "0001-01-01T00:00:00+14:00", "--end",
      "2025-01-01"], "--start", "0001-01-01T00:00:00+14:00"),
    (["health", "--at", "0001-01-01"], "--at", "0001-01-01"),
])
def test_the_cli_refuses_an_out_of_range_time_in_one_line(tmp_path, args, option, value):
    res = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output  # not a traceback
    assert res.output == f"Error: {option}: {value!r} is outside the valid time range {TIME_RANGE}\n"


def test_api_get_answers_an_out_of_range_time_with_the_envelope_and_exit_1(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "liqscope", "api", "get", "/api/health?at=0001-01-01",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)["status"] == 400
