"""`liqscope replay-server` and `liqscope capture` as real processes; SIGTERM and --duration stop cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from liqscope.cli import main
from liqscope.store import Catalog
from liqscope.store.transcript import Marker
from tests.capture._live import offline, totals, transcript

FRAMES = Path(__file__).parent.parent / "fixtures" / "venues" / "binance_usdm" / "ws_force_order.jsonl"  # 43
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _liqscope(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "liqscope", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def _read_json(proc: subprocess.Popen[str]) -> dict:
    text = ""
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, f"no JSON on stdout; stderr: {proc.stderr.read() if proc.stderr else ''}"
        text += line
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            continue


def _frames_in(data_dir: Path) -> int:
    try:
        return sum(1 for ln in transcript(Catalog(data_dir), "binance_usdm") if ln.payload is not None)
    except (OSError, AssertionError):
        return 0  # nothing flushed yet


def test_capture_through_the_replay_server_process_stops_cleanly_on_sigterm(tmp_path):
    server = _liqscope("replay-server", "--feed", f"binance_usdm={FRAMES}", "--speed", "0", "--json",
                       "--fault", "binance_usdm:drop@20")
    try:
        url = _read_json(server)["urls"]["binance_usdm"]
        assert url.endswith("/binance_usdm/ws/!forceOrder@arr")
        live = tmp_path / "live"
        cap = _liqscope("capture", "--venue", "binance_usdm", "--url-override", f"binance_usdm={url}",
                        "--data-dir", str(live), "--no-refresh-instruments", "--flush", "0.1", "--json")
        deadline = time.monotonic() + 30
        while _frames_in(live) < 43 and time.monotonic() < deadline and cap.poll() is None:
            time.sleep(0.05)
        cap.send_signal(signal.SIGTERM)
        out, err = cap.communicate(timeout=20)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
    assert cap.returncode == 0, err
    assert server.returncode == 0
    result = json.loads(out)
    stats = result["venues"]["binance_usdm"]
    assert (stats["frames"], stats["events"], stats["connections"], stats["disconnects"]) == (43, 43, 2, 2)
    lines = transcript(Catalog(live), "binance_usdm")
    assert lines[-1].marker is Marker.DISCONNECT and lines[-1].detail["reason"] == "stopped"

    ref_catalog, _ = offline(tmp_path / "offline", "binance_usdm", [FRAMES])
    assert totals(Catalog(live)) == totals(ref_catalog)

    # The transcript re-ingests through `liqscope ingest` (detected by its header) into a fresh lake ...
    (path,) = (Path(p) for p in stats["transcripts"])
    res = CliRunner().invoke(main, ["ingest", "--venue", "binance_usdm", str(path), "--data-dir",
                                    str(tmp_path / "fresh"), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["results"][0]["accepted"] == 43
    # ... and `report` shows the injected drop as the one gap of the capture.
    connects = [ln.ts for ln in lines if ln.marker is Marker.CONNECT]
    disconnects = [ln.ts for ln in lines if ln.marker is Marker.DISCONNECT]
    res = CliRunner().invoke(main, ["report", "--start", "2025-12-01", "--end", "2099-01-01", "--data-dir", str(live),
                                    "--json"], catch_exceptions=False)
    cap_cov = json.loads(res.output)["coverage"]["capture"]["binance_usdm"]
    drops = [g for g in cap_cov["gaps"] if g["reason"].startswith("disconnected")]
    assert [(g["start_ns"], g["end_ns"]) for g in drops] == [(disconnects[0], connects[1])]


def test_capture_stops_by_itself_after_duration(tmp_path):
    cap = _liqscope("capture", "--venue", "okx_swap", "--url-override", "okx_swap=ws://127.0.0.1:9/ws/v5/public",
                    "--data-dir", str(tmp_path), "--no-refresh-instruments", "--duration", "1", "--json")
    out, err = cap.communicate(timeout=30)
    assert cap.returncode == 0, err
    stats = json.loads(out)["venues"]["okx_swap"]
    assert stats["connections"] == 0 and stats["frames"] == 0
    assert "connect failed" in stats["last_error"]  # nothing listens on port 9: every attempt is recorded


def test_bad_arguments_list_the_valid_values(tmp_path):
    res = CliRunner().invoke(main, ["capture", "--venue", "binance_usdm,nowhere", "--data-dir", str(tmp_path)])
    assert res.exit_code != 0 and "valid values:" in res.output and "okx_swap" in res.output
    res = CliRunner().invoke(main, ["replay-server", "--feed", f"binance_usdm={FRAMES}", "--fault",
                                    "binance_usdm:explode@1"])
    assert res.exit_code != 0 and "drop, malformed, mute, reorder, skew, slow, stall" in res.output
