# The simulator's wire writer for Hyperliquid (see liqscope.simulate._wire): ``node_fills_by_block`` lines.
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth
from liqscope.simulate._wire import MS, Frame, linear_symbols

SAMPLING = None  # every liquidation (both legs of each trade are written)

_BLOCK_NS = 81 * MS  # ~12 blocks/s, as in the bundled 1,000-block node sample


def markets(cal: Calibration) -> list[Market]:
    """One market per coin of the USD-M perpetuals; ``1000PEPE`` becomes Hyperliquid's ``kPEPE``."""
    coins: dict[str, Market] = {}
    for m in linear_symbols(cal):
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


def _node_time(ns: int) -> str:
    t = dt.datetime.fromtimestamp(ns // 1_000_000_000, tz=dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 1_000_000_000:09d}"


def _hex(rng: random.Random, digits: int) -> str:
    return f"0x{rng.getrandbits(4 * digits):0{digits}x}"


def write(truths: list[Truth], rng: random.Random) -> list[Frame]:
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
        ms = block_ns // MS
        local_ns = block_ns + rng.randint(150, 450) * MS
        legs = []
        for t in batch:
            t.ts_event = ms * MS
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
