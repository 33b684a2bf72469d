# Each venue's own wire format and sampling, applied to the true liquidations.
#
# A writer takes the true liquidations (time-ordered) and returns (push time, frame bytes, truths it
# carries). Truths a sampled feed drops are marked ``observed=False``. Frames copy the key order of the
# real frames in tests/fixtures/venues/*, so the venue's own decoder and parser read them unchanged.
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth, instruments

Frame = tuple[int, bytes, list[Truth]]  # (push time ns, one line, the truths it carries)

BINANCE_SAMPLING = "latest liquidation per symbol per 1000 ms window (epoch-aligned), as Binance documents"
OKX_SAMPLING = "latest liquidation per contract per 1000 ms window (epoch-aligned), as OKX's older docs state"
_MS = 1_000_000


def _linear_symbols(cal: Calibration) -> list[Market]:
    # The Binance USD-M perpetuals of the recordings (dated symbols carry a suffix and are left out).
    return [Market(name=s.symbol, price=s.price, price_decimals=s.price_decimals, qty_decimals=s.qty_decimals,
                   weight=s.weight) for s in cal.symbols if "_" not in s.symbol]


def _usdt_prices(cal: Calibration) -> dict[str, tuple[float, int, int]]:
    return {s.symbol.removesuffix("USDT"): (s.price, s.price_decimals, s.weight)
            for s in cal.symbols if s.symbol.endswith("USDT")}


def _contract_markets(package: str, name_of: Callable[[str], str], cal: Calibration) -> list[Market]:
    prices = _usdt_prices(cal)
    out = []
    for key, inst in sorted(instruments(package).items()):
        if inst["base_asset"] not in prices:
            continue  # no real price to calibrate on: leave the instrument out rather than invent one
        price, decimals, weight = prices[inst["base_asset"]]
        out.append(Market(name=name_of(key), price=price, price_decimals=decimals, qty_decimals=0, weight=weight,
                          contract_size=Decimal(inst["contract_size"]), inverse=inst["margining"] == "inverse"))
    return out


def _hyperliquid_coins(cal: Calibration) -> list[Market]:
    coins: dict[str, Market] = {}
    for m in _linear_symbols(cal):
        base = m.name.removesuffix("USDT").removesuffix("USDC")
        if base.startswith("1000") and base[4:].isalpha():
            base = "k" + base[4:]  # Hyperliquid's scaled coins: kPEPE is 1000 PEPE, like 1000PEPEUSDT
        elif not base.isalpha():
            continue
        if base in coins:
            coins[base] = Market(name=base, price=coins[base].price, price_decimals=coins[base].price_decimals,
                                 qty_decimals=coins[base].qty_decimals, weight=coins[base].weight + m.weight)
        else:
            coins[base] = Market(name=base, price=m.price, price_decimals=m.price_decimals,
                                 qty_decimals=m.qty_decimals, weight=m.weight)
    return list(coins.values())


def markets(venue: str, cal: Calibration) -> list[Market]:
    """The markets a venue's simulation draws from, each priced from the recordings."""
    if venue in ("binance_usdm", "bybit_linear"):
        return _linear_symbols(cal)
    if venue == "binance_coinm":
        return _contract_markets("liqscope.venues.binance_coinm", lambda pair: f"{pair}_PERP", cal)
    if venue == "okx_swap":
        return _contract_markets("liqscope.venues.okx_swap", lambda inst_id: inst_id, cal)
    if venue == "hyperliquid":
        return _hyperliquid_coins(cal)
    raise KeyError(venue)


def _latest_per_window(truths: list[Truth], window_ns: int) -> list[Truth]:
    latest: dict[tuple[str, int], Truth] = {}
    for t in truths:  # time-ordered: a later liquidation in the same window replaces the earlier one
        key = (t.market, t.ts_event // window_ns)
        if key in latest:
            latest[key].observed = False
        latest[key] = t
    return list(latest.values())


def binance(truths: list[Truth], rng: random.Random, *, coinm: bool = False) -> list[Frame]:
    """``!forceOrder@arr`` frames: one per symbol per second, the latest liquidation of that second."""
    frames = []
    for t in _latest_per_window(truths, 1000 * _MS):
        ms = t.ts_event // _MS
        event_ms = ms + rng.randint(1, 8)
        last = t.quantity if rng.random() < 0.7 else _part(t.quantity, rng)
        pair = f'"ps":"{t.market.split("_", 1)[0]}",' if coinm else ""
        line = (f'{{"e":"forceOrder","E":{event_ms},"o":{{"s":"{t.market}",{pair}"S":"'
                f'{"SELL" if t.side == "LONG" else "BUY"}","o":"LIMIT","f":"IOC","q":"{t.quantity}",'
                f'"p":"{t.order_price}","ap":"{t.price}","X":"FILLED","l":"{last}","z":"{t.quantity}","T":{ms}}}}}')
        frames.append((event_ms * _MS, line.encode(), [t]))
    return frames


def _part(quantity: str, rng: random.Random) -> str:
    decimals = len(quantity.split(".", 1)[1]) if "." in quantity else 0
    step = Decimal(1).scaleb(-decimals)
    part = (Decimal(quantity) * Decimal(rng.uniform(0.05, 1.0))).quantize(step)
    return str(max(part, step))


def bybit(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``allLiquidation.{symbol}`` pushes: every liquidation, batched per symbol per 500 ms."""
    batches: dict[tuple[str, int], list[Truth]] = defaultdict(list)
    for t in truths:
        batches[(t.market, t.ts_event // (500 * _MS))].append(t)
    frames = []
    for (symbol, window), batch in batches.items():
        push_ms = (window + 1) * 500 + rng.randint(5, 120)
        items = ",".join(f'{{"T":{t.ts_event // _MS},"s":"{symbol}","S":"{"Buy" if t.side == "LONG" else "Sell"}",'
                         f'"v":"{t.quantity}","p":"{t.price}"}}' for t in batch)
        line = f'{{"topic":"allLiquidation.{symbol}","type":"snapshot","ts":{push_ms},"data":[{items}]}}'
        frames.append((push_ms * _MS, line.encode(), batch))
    return frames


def okx(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``liquidation-orders`` (instType SWAP) pushes: one order per contract per second."""
    frames = []
    for t in _latest_per_window(truths, 1000 * _MS):
        ms = t.ts_event // _MS
        family = t.market.removesuffix("-SWAP")
        pos_side = "net" if rng.random() < 0.5 else t.side.lower()
        detail = (f'{{"bkLoss":"0","bkPx":"{t.price}","ccy":"","posSide":"{pos_side}",'
                  f'"side":"{"sell" if t.side == "LONG" else "buy"}","sz":"{t.quantity}","ts":"{ms}"}}')
        line = (f'{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{detail}],'
                f'"instFamily":"{family}","instId":"{t.market}","instType":"SWAP","uly":"{family}"}}]}}')
        frames.append(((ms + rng.randint(20, 200)) * _MS, line.encode(), [t]))
    return frames


_BLOCK_NS = 81 * _MS  # ~12 blocks/s, as in the bundled 1,000-block node sample


def _node_time(ns: int) -> str:
    t = dt.datetime.fromtimestamp(ns // 1_000_000_000, tz=dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 1_000_000_000:09d}"


def _hex(rng: random.Random, digits: int) -> str:
    return f"0x{rng.getrandbits(4 * digits):0{digits}x}"


def hyperliquid(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``node_fills_by_block`` lines: both legs of every liquidation trade, grouped into ~81 ms blocks.

    A fill's ``time`` is its block's time, so each truth's ``ts_event`` moves to its block's millisecond.
    """
    traders = [_hex(rng, 40) for _ in range(4096)]
    makers = [_hex(rng, 40) for _ in range(64)]
    blocks: dict[int, list[Truth]] = defaultdict(list)
    for t in truths:
        blocks[t.ts_event // _BLOCK_NS].append(t)
    first = next(iter(blocks), 0)
    oid, tids, frames = 214_107_600_000, set(), []
    for block, batch in blocks.items():
        block_ns = block * _BLOCK_NS + rng.randint(0, _BLOCK_NS - 1)
        ms = block_ns // _MS
        local_ns = block_ns + rng.randint(150, 450) * _MS
        legs = []
        for t in batch:
            t.ts_event = ms * _MS
            tid = rng.getrandbits(50)
            while tid in tids:
                tid = rng.getrandbits(50)
            tids.add(tid)
            victim, maker, tx = rng.choice(traders), rng.choice(makers), _hex(rng, 64)
            usd = float(t.notional_usd)
            victim_side, maker_side = ("A", "B") if t.side == "LONG" else ("B", "A")
            start = t.quantity if t.side == "LONG" else "-" + t.quantity
            mark = f"{float(t.price) * rng.uniform(0.9995, 1.0005):.{_decimals(t.price)}f}"
            liq = f'"liquidation":{{"liquidatedUser":"{victim}","markPx":"{mark}","method":"market"}}'
            common = f'"coin":"{t.market}","px":"{t.price}","sz":"{t.quantity}"'
            legs.append(
                f'["{victim}",{{{common},"side":"{victim_side}","time":{ms},"startPosition":"{start}",'
                f'"dir":"Close {t.side.title()}","closedPnl":"-{usd * rng.uniform(0.005, 0.05):.6f}",'
                f'"hash":"{tx}","oid":{oid},"crossed":true,"fee":"{usd * 0.00045:.6f}","tid":{tid},{liq},'
                f'"feeToken":"USDC","twapId":null}}]')
            legs.append(
                f'["{maker}",{{{common},"side":"{maker_side}","time":{ms},"startPosition":"0.0",'
                f'"dir":"Open {"Long" if maker_side == "B" else "Short"}","closedPnl":"0.0","hash":"{tx}",'
                f'"oid":{oid + 1},"crossed":false,"fee":"-{usd * 0.00002:.6f}","tid":{tid},{liq},'
                f'"feeToken":"USDC","twapId":null}}]')
            oid += 2
        line = (f'{{"local_time":"{_node_time(local_ns)}","block_time":"{_node_time(block_ns)}",'
                f'"block_number":{777_010_850 + block - first},"events":[{",".join(legs)}]}}')
        frames.append((local_ns, line.encode(), batch))
    return frames


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


WRITERS: dict[str, tuple[Callable[[list[Truth], random.Random], list[Frame]], str | None]] = {
    "binance_usdm": (binance, BINANCE_SAMPLING),
    "binance_coinm": (lambda truths, rng: binance(truths, rng, coinm=True), BINANCE_SAMPLING),
    "bybit_linear": (bybit, None),
    "okx_swap": (okx, OKX_SAMPLING),
    "hyperliquid": (hyperliquid, None),
}
