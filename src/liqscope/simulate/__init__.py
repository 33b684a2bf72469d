"""Synthetic liquidation streams in each venue's own wire format, always labelled synthetic.

A simulation draws the *true* liquidations of a venue (Hawkes-clustered arrival times, a long/short
skew that persists along a cascade, heavy-tailed USD sizes and prices calibrated on the bundled real
recordings), applies the venue's own sampling (Binance: the latest liquidation per symbol per second)
and writes:

- ``<venue>.jsonl``: the frames the venue would have pushed, one per line, readable by
  ``liqscope ingest`` like a real recording; its first line is a ``{"liqscope_synthetic": ...}``
  marker, and ``ingest`` stores every row of a file carrying it with ``synthetic = true``;
- ``<venue>.truth.jsonl``: every true liquidation, observed or not, with the output line carrying it,
  so estimators of what a sampled feed hides can be checked.

Methodologies leave synthetic rows out unless ``coverage.include_synthetic`` is set.
"""

from __future__ import annotations

import functools
import gzip
import importlib
import os
import random
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType, ModuleType

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import UnknownName
from liqscope.simulate._calibrate import Calibration, calibration
from liqscope.simulate._model import Params, Truth, truths

__all__ = ["SYNTHETIC_MARKER", "Calibration", "Params", "Simulation", "Truth", "calibration", "is_synthetic",
           "is_synthetic_marker", "simulate", "simulated_venues"]

# The first bytes of the marker line. No venue message starts with (or contains) this key.
SYNTHETIC_MARKER = b'{"liqscope_synthetic":'


class Simulation(msgspec.Struct, kw_only=True):
    """What one simulation wrote, and its figures (``observed`` = what the venue's sampling let through)."""

    venue: str
    output: str
    truth: str
    seed: int
    start: str
    end: str
    params: Params
    sampling: str | None
    frames: int
    truth_events: int
    observed_events: int
    truth_usd: Decimal
    observed_usd: Decimal


class _Marker(msgspec.Struct, kw_only=True):
    generator: str
    note: str
    venue: str
    seed: int
    start: str
    end: str
    params: Params
    calibration: tuple[str, ...]
    sampling: str | None
    truth: str


class _MarkerLine(msgspec.Struct):
    liqscope_synthetic: _Marker


@functools.cache
def _writers() -> Mapping[str, ModuleType]:
    # Each registered venue whose folder has a simulate.py (its SAMPLING, markets() and write()).
    from liqscope._registry import venues

    found = {}
    for vid in venues():
        name = f"liqscope.venues.{vid}.simulate"
        try:
            found[vid] = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
    return MappingProxyType(found)


def simulated_venues() -> list[str]:
    """Venue ids the simulator writes: every venue with a ``simulate.py`` in its folder."""
    return sorted(_writers())


def is_synthetic(data: bytes) -> bool:
    """True when file bytes carry the simulator's marker anywhere (a whole file is then synthetic)."""
    return SYNTHETIC_MARKER in data


def is_synthetic_marker(record: bytes) -> bool:
    """True when one record is the simulator's marker line (not a venue record)."""
    return record.lstrip().startswith(SYNTHETIC_MARKER)


def _write_lines(path: Path, lines: list[bytes]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    data = b"".join(line + b"\n" for line in lines)
    tmp.write_bytes(gzip.compress(data, compresslevel=6, mtime=0) if path.suffix == ".gz" else data)
    os.replace(tmp, path)


def simulate(venue: str, out_dir: Path, *, start_ns: int, seconds: float, params: Params | None = None,
             seed: int = 0, compress: bool = False) -> Simulation:
    """Simulate ``seconds`` of one venue's liquidations from ``start_ns`` and write the two files.

    Args:
        venue: A venue id from ``simulated_venues()``.
        out_dir: Directory for ``<venue>.jsonl`` and ``<venue>.truth.jsonl`` (created if missing).
        start_ns: Start of the simulated span, ns UTC.
        seconds: Length of the span.
        params: Overrides of the calibrated parameters.
        seed: Same seed, same venue, same parameters: byte-identical files.
        compress: Write ``.jsonl.gz`` files.

    Raises:
        UnknownName: The venue has no simulator.
        ValueError: A parameter is out of range.
    """
    writers = _writers()
    if venue not in writers:
        raise UnknownName("venue for simulate", venue, writers)
    cal = calibration()
    resolved = (params or Params()).resolved(cal)
    rng = random.Random(f"{seed}:{venue}")
    writer = writers[venue]
    true = truths(rng, writer.markets(cal), resolved, cal.sizes, start_ns, seconds)
    sampling: str | None = writer.SAMPLING
    frames = sorted(writer.write(true, rng), key=lambda f: f[0])
    suffix = ".jsonl.gz" if compress else ".jsonl"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    output, truth_path = out_dir / f"{venue}{suffix}", out_dir / f"{venue}.truth{suffix}"
    end_ns = start_ns + int(seconds * 1e9)
    marker = _MarkerLine(_Marker(
        generator="liqscope simulate", note="SYNTHETIC: simulated liquidations, not venue data",
        venue=venue, seed=seed, start=iso_ns(start_ns), end=iso_ns(end_ns), params=resolved,
        calibration=cal.sources, sampling=sampling, truth=truth_path.name))
    lines = [msgspec.json.encode(marker)]
    for line_no, (_, frame, carried) in enumerate(frames, start=2):
        lines.append(frame)
        for t in carried:
            t.line = line_no
    _write_lines(output, lines)
    encode = msgspec.json.Encoder().encode
    _write_lines(truth_path, [encode(t) for t in true])
    observed = [t for t in true if t.observed]
    return Simulation(
        venue=venue, output=str(output), truth=str(truth_path), seed=seed, start=iso_ns(start_ns),
        end=iso_ns(end_ns), params=resolved, sampling=sampling, frames=len(frames), truth_events=len(true),
        observed_events=len(observed), truth_usd=sum((t.notional_usd for t in true), Decimal(0)),
        observed_usd=sum((t.notional_usd for t in observed), Decimal(0)))
