# The CCXT view of one standard record: CCXT's unified Liquidation structure with CCXT's unified symbols.
# `side` here is the liquidated POSITION ("long"/"short"), NOT CCXT's usual raw order side (which means
# opposite things on Binance and Bybit); the venue's own side stays in info.venue_side (docs/standard.md).
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any

from liqscope.events import mul

# Expiry written into the venue symbol: YYMMDD after _ or - (Binance BTCUSD_200925, OKX BTC-USD-250627,
# Kraken FF_XBTUSD_250627), or DDMMMYY (Deribit BTC-27JUN25). A month code alone (Bybit BTCUSDH25, BitMEX
# XBTZ25) names no day: no unified symbol is made up for it (symbol null, the venue market stays in info).
_YYMMDD = re.compile(r"[_-](\d{2})(\d{2})(\d{2})$")
_DDMMMYY = re.compile(r"-(\d{1,2})([A-Z]{3})(\d{2})$")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                       "DEC"), start=1)}
# A lot-multiplier prefix CCXT keeps in the base (Binance 1000PEPEUSDT -> 1000PEPE/USDT:USDT, kPEPE on Hyperliquid).
_LOT_PREFIX = re.compile(r"^(\d+|k|K|1M)$")


def _expiry(market: str) -> str | None:
    if m := _YYMMDD.search(market):
        yy, mm, dd = m.groups()
    elif (m := _DDMMMYY.search(market)) and m.group(2) in _MONTHS:
        yy, mm, dd = m.group(3), f"{_MONTHS[m.group(2)]:02d}", f"{int(m.group(1)):02d}"
    else:
        return None
    try:
        dt.date(2000 + int(yy), int(mm), int(dd))
    except ValueError:
        return None
    return f"{yy}{mm}{dd}"


def _base(record: dict[str, Any]) -> tuple[str, bool]:
    # (CCXT base, whether it carries the lot multiplier)
    base, market = record["base_asset"], record["market"]
    at = market.find(base)
    if at > 0 and _LOT_PREFIX.match(market[:at]):
        return market[:at] + base, True
    return base, False


def unified_symbol(record: dict[str, Any]) -> str | None:
    """CCXT's unified symbol for a standard record: ``BTC/USDT:USDT``, ``BTC/USD:BTC-250627``; None when unknown."""
    if record["instrument_kind"] in ("account", "lending"):  # no derivatives market: nothing CCXT unifies
        return None
    base, _ = _base(record)
    symbol = f"{base}/{record['quote_asset']}:{record['settle_asset']}"
    if record["instrument_kind"] == "dated_future":
        expiry = _expiry(record["market"])
        return None if expiry is None else f"{symbol}-{expiry}"
    return symbol


def _div(a: Decimal, b: Decimal) -> Decimal | None:
    with localcontext() as ctx:
        ctx.prec = 28
        try:
            return (a / b).normalize()
        except (DivisionByZero, InvalidOperation):
            return None


def to_ccxt(record: dict[str, Any]) -> dict[str, Any]:
    """Map one standard record (decimals as ``Decimal``) to CCXT's unified ``Liquidation`` structure.

    ``quoteValue`` is the notional in the quote currency: every quote liqscope reads is USD or a USD stablecoin
    (valued at par), so it is ``notional_usd``. ``baseValue`` is the amount in CCXT's base: the venue's quantity
    when it counts the base (or lots of it, 1000PEPE), else derived through the price (28 significant digits).
    ``contracts``/``contractSize`` follow CCXT: base-quantity markets are 1-base contracts; quote-quantity
    markets (Deribit, Bitget) have no contract count here (null).
    """
    ms = record["ts_event"] // 1_000_000
    price: Decimal | None = record["price"]
    qty: Decimal = record["quantity"]
    unit, size, size_unit = record["quantity_unit"], record["contract_size"], record["contract_size_unit"]
    _, lot_base = _base(record)
    quote_value: Decimal = record["notional_usd"]
    base_value: Decimal | None
    contracts: Decimal | None = None
    contract_size: Decimal | None = None
    if unit == "base":
        base_value, contracts, contract_size = qty, qty, Decimal(1)
    elif unit == "quote":
        base_value = _div(qty, price) if price is not None else None
    elif size_unit == "base":
        # CCXT's base is the lot (1000PEPE): one contract is one unit of it, and the price is per lot.
        contracts, contract_size = (qty, Decimal(1)) if lot_base else (qty, size)
        base_value = qty if lot_base else mul(qty, size)
    else:  # contracts of `size` quote units (inverse)
        contracts, contract_size = qty, size
        base_value = _div(mul(qty, size), price) if price is not None else None
    side = record["liquidated_side"]
    return {
        "info": _plain(record),
        "symbol": unified_symbol(record),
        "timestamp": ms,
        "datetime": (dt.datetime.fromtimestamp(ms // 1000, dt.UTC) + dt.timedelta(milliseconds=ms % 1000)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z"),
        "price": price,
        "baseValue": base_value,
        "quoteValue": quote_value,
        "contracts": contracts,
        "contractSize": contract_size,
        "side": side.lower() if side else None,
    }


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in record.items()}
