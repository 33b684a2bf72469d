# Symbol conventions shared by venues whose symbols are BASE+QUOTE strings (Binance, Bybit).
from __future__ import annotations

import re
from decimal import Decimal

from liqscope.errors import UnexpectedPayload

# Longest first, so "USDC" is not read as "USD" + "C".
_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "USDE", "USD")
_MULTIPLIER = re.compile(r"^(1000000|100000|10000|1000|100|k)(?=[A-Z])")
_DATED = re.compile(r"[-_](\d{6}|\d{1,2}[A-Z]{3}\d{2})$")  # BTCUSDT_250328, BTCUSDT-26DEC25
_MULTIPLIER_VALUE = {"k": 1000}


def split_concatenated(symbol: str, *, field: str) -> tuple[str, str, bool]:
    """Split ``BTCUSDT`` / ``BTCUSDT_250328`` into (base, quote, dated)."""
    dated = _DATED.search(symbol)
    core = symbol[: dated.start()] if dated else symbol
    if core.endswith("PERP") and len(core) > 4:  # Bybit USDC perps: BTCPERP = BTC/USDC
        return core[:-4], "USDC", bool(dated)
    for quote in _QUOTES:
        if core.endswith(quote) and len(core) > len(quote):
            return core[: -len(quote)], quote, bool(dated)
    raise UnexpectedPayload(f"cannot tell the quote asset of symbol {symbol!r}", field=field)


def split_multiplier(base: str) -> tuple[str, Decimal | None]:
    """Split a scaled base such as ``1000PEPE`` or ``kPEPE`` into (``PEPE``, 1000).

    Returns the base unchanged and ``None`` when there is no multiplier prefix.
    """
    m = _MULTIPLIER.match(base)
    if not m:
        return base, None
    prefix = m.group(1)
    return base[m.end():], Decimal(_MULTIPLIER_VALUE.get(prefix, prefix))
