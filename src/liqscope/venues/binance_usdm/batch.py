"""Vectorized fast path for ``forceOrder`` frames (``SPEC.parse_batch``): the mapping declared in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch (one DuckDB statement, then Arrow). It takes a frame only
when it is sure the per-record path (``wire.decode_frame`` + ``parse.parse_force_order`` +
``normalize_record``, the reference) would accept it and produce exactly the same row; every other frame
(acks, COIN-M ``ps``, numbers as JSON numbers, odd decimals, out-of-bounds values, duplicate keys, escapes,
...) is handed back. Taken: the two real shapes, ``{"stream", "data": {"e", "E", "o"}}`` and
``{"e", "E", "o"}``, with exactly the 11 USD-M ``o`` fields, plain decimal strings and nothing else.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from liqscope._registry import BatchPart
from liqscope.events import Received, Source
from liqscope.venues import _columnar as col
from liqscope.venues import _vectorized
from liqscope.venues.binance_usdm import parse, wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = Received(ts_ns=1_700_000_000_000_000_000, ref="probe")
_BY_SYMBOL = ("instrument_kind", "base_asset", "quote_asset", "settle_asset", "quantity_unit", "contract_size",
              "contract_size_unit")


@functools.lru_cache(maxsize=4096)
def _symbol(symbol: str) -> tuple[object, ...] | None:
    # Everything that depends on the symbol alone, from the per-record parser itself run on a probe frame
    # of valid numbers; None when it rejects the symbol. Pure, so cached (bounded: symbols are few).
    one = Decimal(1)
    body = wire.ForceOrderBody(s=symbol, S="SELL", o="LIMIT", f="IOC", q=one, p=one, ap=one, X="FILLED", l=one,
                               z=one, T=_PROBE_RX.ts_ns // 1_000_000)
    try:
        (event,) = parse.parse_body(body, _PROBE_RX)
    except Exception:  # whatever it is, the per-record path meets it again and decides
        return None
    return tuple(v.value if isinstance(v, enum.Enum) else v for v in (getattr(event, k) for k in _BY_SYMBOL))


def _symbols(markets: pa.Array) -> tuple[pa.Array, dict[str, pa.Array]]:
    # (mask of symbols the parser accepts, symbol-derived columns), via one probe per distinct symbol.
    unique = pc.unique(markets)
    index = pc.index_in(markets, unique)
    found = [_symbol(s) for s in unique.to_pylist()]
    columns = {k: pa.array([f[j] if f else None for f in found], type=col.MONEY if k == "contract_size" else
                           pa.string()).take(index) for j, k in enumerate(_BY_SYMBOL)}
    return pa.array([f is not None for f in found], type=pa.bool_()).take(index), columns


def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
    """Normalize the ``forceOrder`` frames of a batch in columns; hand back every frame it is not sure of.

    Args:
        raws: Raw records (one JSON message each).
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record.
        source: How the records reached us.

    Returns:
        The rows of the frames it took (every ``EVENT_SCHEMA`` column but ``record_key`` and ``synthetic``),
        their record indices, and the indices of the others.
    """
    return _vectorized.run(MAPPING, raws, ts_recv, refs, source, by_symbol=_symbols)
