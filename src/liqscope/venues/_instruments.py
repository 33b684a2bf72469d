# Instrument metadata (contract sizes, ctVal): one versioned JSON file per venue, bundled with the package,
# that states its source. An instrument missing from the table in use is quarantined, never guessed.
#
# Refreshed tables. `liqscope capture` (liqscope.capture.refresh_instruments) writes a table fetched from
# the venue's REST endpoint to DATA_DIR/instruments/<venue>.json. Parsers stay pure and never read a data
# directory: whoever normalizes a batch (ingest, capture) resolves the tables of ITS data dir once
# (`tables_for(data_dir)`) and parses inside `with using(tables):`. `lookup` then reads the refreshed
# entry first and falls back to the bundled snapshot for instruments the refreshed table lacks (a delisted
# contract still in old data). The active tables live in a ContextVar that `using` sets and always resets:
# scoped to the batch (and to its thread / asyncio task), so two lakes in one process never see each
# other's tables, and nothing leaks past the `with`.
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType

import msgspec

from liqscope.errors import UnknownInstrument
from liqscope.events import InstrumentKind, Margining, QtyUnit

_PREFIX = "liqscope.venues."


class Instrument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    base_asset: str
    quote_asset: str
    settle_asset: str
    margining: Margining
    instrument_kind: InstrumentKind
    contract_size: Decimal
    contract_size_unit: QtyUnit


class InstrumentFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    venue: str
    version: str
    source: str
    instruments: dict[str, Instrument]
    notes: str = ""


class InstrumentTables:
    """The refreshed instrument tables of one data directory (venue id -> table), immutable.

    Args:
        tables: Venue id -> refreshed table; venues not listed use their bundled snapshot.
        digests: Venue id -> sha256 of the refreshed file's bytes (recorded in batch manifests); a table given
            without one is named by the sha256 of its canonical JSON, so every table has a content digest.
    """

    def __init__(self, tables: Mapping[str, InstrumentFile] | None = None,
                 digests: Mapping[str, str] | None = None) -> None:
        self.tables = MappingProxyType(dict(tables or {}))
        given = dict(digests or {})
        self.digests = MappingProxyType({v: given.get(v) or hashlib.sha256(msgspec.json.encode(t)).hexdigest()
                                         for v, t in self.tables.items()})

    def table(self, venue: str) -> InstrumentFile | None:
        """The refreshed table of ``venue``, or None (bundled only)."""
        return self.tables.get(venue)

    def describe(self, venue: str) -> str:
        """Which table ``venue`` records resolve against: ``refreshed <version> sha256:<hex>`` (bundled as
        fallback) or ``bundled <version>``; empty when the venue has no instrument table at all."""
        t = self.tables.get(venue)
        if t is not None:
            return f"refreshed {t.version} sha256:{self.digests.get(venue, '')}"
        bundled = _bundled_or_none(venue)
        return f"bundled {bundled.version}" if bundled is not None else ""


_NONE = InstrumentTables()
_ACTIVE: ContextVar[InstrumentTables] = ContextVar("liqscope_instrument_tables", default=_NONE)


@functools.cache
def load(package: str) -> InstrumentFile:
    """The bundled snapshot of a venue package (``liqscope.venues.<id>``)."""
    raw = files(package).joinpath("instruments.json").read_bytes()
    return msgspec.json.decode(raw, type=InstrumentFile)


def _bundled_or_none(venue: str) -> InstrumentFile | None:
    try:
        return load(_PREFIX + venue)
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def refreshed_path(data_dir: Path, venue: str) -> Path:
    """Where a refreshed table of ``venue`` lives in a data directory."""
    return Path(data_dir) / "instruments" / f"{venue}.json"


def archived_path(data_dir: Path, venue: str, digest: str) -> Path:
    """Where the refreshed table of ``venue`` with sha256 ``digest`` is kept for good (``verify`` re-parses
    a batch with the very table it was parsed with, even after later refreshes replaced it)."""
    return Path(data_dir) / "instruments" / "by-digest" / f"{venue}-{digest}.json"


@functools.lru_cache(maxsize=64)
def _read(path: str, _mtime_ns: int, _size: int) -> tuple[InstrumentFile, str]:
    # Keyed by (path, mtime, size): a rewritten file is read again, an unchanged one once per process.
    # Each version read is archived under its digest once (content-addressed, written atomically).
    raw = Path(path).read_bytes()
    table, digest = msgspec.json.decode(raw, type=InstrumentFile), hashlib.sha256(raw).hexdigest()
    keep = archived_path(Path(path).parent.parent, table.venue, digest)
    if not keep.exists():
        keep.parent.mkdir(parents=True, exist_ok=True)
        tmp = keep.with_name(f".{keep.name}.{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, keep)
    return table, digest


def archived_tables(data_dir: Path, venue: str, described: str) -> InstrumentTables:
    """The tables a batch of ``venue`` was parsed with, from its manifest's ``instruments`` entry.

    Args:
        data_dir: The data directory the batch belongs to.
        venue: The batch's venue.
        described: The manifest's ``instruments`` value (``refreshed <version> sha256:<hex>`` or
            ``bundled <version>``; empty for venues without a table).

    Raises:
        FileNotFoundError: The refreshed table named is not archived (or no longer hashes to its name).
    """
    if not described.startswith("refreshed "):
        return _NONE
    digest = described.rsplit("sha256:", 1)[-1]
    path = archived_path(data_dir, venue, digest)
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != digest:
        raise FileNotFoundError(f"{path} no longer hashes to its name")
    return InstrumentTables({venue: msgspec.json.decode(raw, type=InstrumentFile)}, {venue: digest})


def tables_for(data_dir: Path) -> InstrumentTables:
    """The refreshed tables in ``data_dir/instruments/`` (none: every venue uses its bundled snapshot).

    Resolve once per batch and parse inside ``using(...)``.

    Raises:
        msgspec.ValidationError: A refreshed file is not an instrument table (names the field).
    """
    directory = Path(data_dir) / "instruments"
    if not directory.is_dir():
        return _NONE
    tables, digests = {}, {}
    for path in sorted(directory.glob("*.json")):
        st = path.stat()
        table, digest = _read(str(path), st.st_mtime_ns, st.st_size)
        if table.venue != path.stem:
            raise msgspec.ValidationError(f"{path}: a table of venue {table.venue!r}, not {path.stem!r}")
        tables[table.venue], digests[table.venue] = table, digest
    return InstrumentTables(tables, digests) if tables else _NONE


def manifest_meta(tables: InstrumentTables, venue: str) -> dict[str, str]:
    """``{"instruments": ...}`` for a batch manifest of ``venue`` records (empty: the venue has no table)."""
    described = tables.describe(venue)
    return {"instruments": described} if described else {}


@contextlib.contextmanager
def using(tables: InstrumentTables) -> Iterator[InstrumentTables]:
    """Make ``lookup`` resolve against ``tables`` (then the bundled snapshots) inside the block."""
    token = _ACTIVE.set(tables)
    try:
        yield tables
    finally:
        _ACTIVE.reset(token)


def active_digests() -> tuple[tuple[str, str], ...]:
    """The content digests of the refreshed tables ``lookup`` resolves against here (empty: bundled only).

    Two calls that return the same digests resolve every key alike (the bundled snapshots are package data).
    """
    return tuple(sorted(_ACTIVE.get().digests.items()))


def lookup(package: str, key: str, *, field: str) -> Instrument:
    """The instrument ``key`` of a venue package: refreshed table in use first, then the bundled snapshot.

    Raises:
        UnknownInstrument: Neither table lists it (the record is quarantined, never guessed).
    """
    venue = package.removeprefix(_PREFIX)
    refreshed = _ACTIVE.get().table(venue)
    if refreshed is not None and key in refreshed.instruments:
        return refreshed.instruments[key]
    table = load(package)
    try:
        return table.instruments[key]
    except KeyError:
        also = f" nor in the refreshed table (version {refreshed.version})" if refreshed is not None else ""
        raise UnknownInstrument(
            f"instrument {key!r} is not in {table.venue} instruments.json (version {table.version}){also}; "
            "its contract size is unknown, so the record is quarantined rather than guessed",
            field=field,
        ) from None
