# Instrument metadata (contract sizes) from each venue's public REST endpoint when online; the bundled
# snapshot (liqscope/venues/<id>/instruments.json) when not. A refreshed table is written next to the lake
# (DATA_DIR/instruments/<venue>.json, same schema as the bundled file); `ingest` and `capture` resolve it
# per batch (venues/_instruments.py `tables_for` + `using`) so parsing uses it, falling back to the
# bundled entry for instruments it lacks, and every batch manifest records which table it used.
#
# What each venue's response means lives next to its parser (venues/<id>/instruments_rest.py: URL and a
# pure `parse_instruments`); a venue has a refresh when its folder has that file. The network part
# (timeouts, retries, fallback, atomic write) is only here.
from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from decimal import InvalidOperation
from pathlib import Path

import msgspec

from liqscope.venues import _instruments
from liqscope.venues._instruments import InstrumentFile, refreshed_path

__all__ = ["INSTRUMENT_ENDPOINTS", "InstrumentsOrigin", "refresh_instruments"]

Parse = Callable[..., InstrumentFile]
_RETRY_STATUS = {429, 500, 502, 503, 504}
_USER_AGENT = "liqscope (instrument metadata refresh)"


class _Endpoints(Mapping[str, tuple[str, Parse]]):
    # Venue id -> (public REST URL, pure response parser) of every registered venue whose folder has an
    # instruments_rest.py, found when first read (the registry is read at call time, not at import).

    @functools.cached_property
    def _found(self) -> dict[str, tuple[str, Parse]]:
        from liqscope.venues import venues

        found = {}
        for venue in venues():
            name = f"liqscope.venues.{venue}.instruments_rest"
            try:
                mod = importlib.import_module(name)
            except ModuleNotFoundError as e:
                if e.name != name:
                    raise
                continue
            found[venue] = (mod.URL, mod.parse_instruments)
        return found

    def __getitem__(self, venue: str) -> tuple[str, Parse]:
        return self._found[venue]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


# Venue id -> (public REST URL, pure response parser). Venues not in it have no contract table.
INSTRUMENT_ENDPOINTS: Mapping[str, tuple[str, Parse]] = _Endpoints()


class InstrumentsOrigin(msgspec.Struct, kw_only=True):
    """Where a venue's instrument table came from this time."""

    venue: str
    origin: str                # "rest" or "bundled"
    source: str                # the URL fetched, or the bundled file's own source note
    instruments: int
    version: str
    error: str | None = None   # why REST was not used
    path: str | None = None    # where the refreshed table was written
    attempts: int = 0          # HTTP attempts made


class _Transient(Exception):
    pass


def _get(url: str, timeout_s: float) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.read()
    except urllib.error.HTTPError as e:
        if e.code in _RETRY_STATUS:
            raise _Transient(f"HTTP {e.code} {e.reason}") from None
        raise ValueError(f"HTTP {e.code} {e.reason}") from None  # 451 geo-block, 403, 404: asking again won't help
    except (urllib.error.URLError, OSError) as e:  # refused, reset, DNS, timeout
        raise _Transient(f"{type(e).__name__}: {getattr(e, 'reason', None) or e}") from None


def refresh_instruments(venue: str, data_dir: Path | None = None, *, url: str | None = None,
                        timeout_s: float = 5.0, retries: int = 2,
                        retry_delay_s: float = 0.5) -> tuple[InstrumentFile, InstrumentsOrigin]:
    """Fetch ``venue``'s instrument table from its REST endpoint; fall back to the bundled snapshot.

    Never raises for network or payload problems: the fallback is the answer, and ``origin.error`` says
    why it was needed. Network failures, timeouts, HTTP 429 and 5xx are retried ``retries`` times
    (delay doubling from ``retry_delay_s``); other HTTP errors and bad payloads are not.

    Args:
        venue: A venue with an entry in ``INSTRUMENT_ENDPOINTS``.
        data_dir: Where to write the refreshed table (``<data_dir>/instruments/<venue>.json``, which
            ingest and capture then use for that data dir); None: nowhere.
        url: Endpoint override (a mirror, a proxy, a test server).
        timeout_s: Seconds to wait for each attempt.
        retries: Extra attempts after a transient failure.
        retry_delay_s: First delay between attempts, seconds.

    Raises:
        KeyError: The venue has no instrument endpoint.
    """
    default_url, parse = INSTRUMENT_ENDPOINTS[venue]
    url = url or default_url
    attempts, delay = 0, retry_delay_s
    while True:
        attempts += 1
        try:
            payload = _get(url, timeout_s)
            now = dt.datetime.now(dt.UTC)
            table = parse(payload, version=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          source=f"GET {url} at {now.isoformat(timespec='seconds')}")
            if not table.instruments:
                raise ValueError("the response lists no instruments")
            break
        except _Transient as e:
            if attempts <= retries:
                time.sleep(delay)
                delay *= 2
                continue
            return _fallback(venue, str(e), attempts)
        except (ValueError, KeyError, TypeError, InvalidOperation, msgspec.DecodeError) as e:
            return _fallback(venue, f"{type(e).__name__}: {e}", attempts)
    path = _write(Path(data_dir), table) if data_dir is not None else None
    return table, InstrumentsOrigin(venue=venue, origin="rest", source=url, instruments=len(table.instruments),
                                    version=table.version, path=str(path) if path else None, attempts=attempts)


def _fallback(venue: str, error: str, attempts: int) -> tuple[InstrumentFile, InstrumentsOrigin]:
    table = _instruments.load(f"liqscope.venues.{venue}")
    return table, InstrumentsOrigin(venue=venue, origin="bundled", source=table.source,
                                    instruments=len(table.instruments), version=table.version,
                                    error=error, attempts=attempts)


def _write(data_dir: Path, table: InstrumentFile) -> Path:
    path = refreshed_path(data_dir, table.venue)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(table), indent=2))
    os.replace(tmp, path)
    return path
