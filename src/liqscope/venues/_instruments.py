# Bundled instrument metadata (contract sizes, ctVal): one versioned JSON file per venue that states
# its source. An instrument missing from the file is quarantined, never guessed.
from __future__ import annotations

import functools
from decimal import Decimal
from importlib.resources import files

import msgspec

from liqscope.errors import UnknownInstrument
from liqscope.events import InstrumentKind, Margining, QtyUnit


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


@functools.cache
def load(package: str) -> InstrumentFile:
    raw = files(package).joinpath("instruments.json").read_bytes()
    return msgspec.json.decode(raw, type=InstrumentFile)


def lookup(package: str, key: str, *, field: str) -> Instrument:
    table = load(package)
    try:
        return table.instruments[key]
    except KeyError:
        raise UnknownInstrument(
            f"instrument {key!r} is not in {table.venue} instruments.json (version {table.version}); "
            "its contract size is unknown, so the record is quarantined rather than guessed",
            field=field,
        ) from None
