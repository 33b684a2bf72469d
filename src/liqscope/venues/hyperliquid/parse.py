"""Pure Hyperliquid node fills / official CSV rows -> ``LiquidationEvent`` (no I/O, no clock).

One liquidation TRADE is one event. The ``liquidation`` object sits on both legs of the trade (the
liquidated user's fill and the counterparty's), so the legs of a block are grouped by ``(coin, tid)``.
The side is read from the liquidated user's own leg (``A`` sells, closing a LONG); where only the
counterparty's leg is there, the liquidated side is the opposite of that leg's side. A per-fill
``node_fills`` line holds one leg: each leg yields the same ``event_id``, side and notional, so the
counting layer counts the trade once.

ADL legs (``dir`` "Auto-Deleveraging") carry a ``liquidation`` object whose ``liquidatedUser`` is the
HLP liquidator vault: the event then describes the vault's position closed against the deleveraged
trader, with kind ADL (the position was already counted when the vault took it over).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import (
    InstrumentKind,
    LiquidationEvent,
    LiquidationKind,
    Margining,
    MarginMode,
    PositionSide,
    PriceKind,
    QtyUnit,
    Received,
    mul,
)
from liqscope.venues._symbols import split_multiplier
from liqscope.venues.hyperliquid import wire

VENUE = "hyperliquid"
SETTLE = "USDC"  # perps are quoted and margined in USDC (valued at par)
# A fill's side is the user's own trade side: selling ("A") closes a long, buying ("B") a short.
CLOSED_BY_OWN_FILL = {"A": PositionSide.LONG, "B": PositionSide.SHORT}
# The counterparty's leg is on the other side of the same trade.
CLOSED_BY_COUNTERPARTY_FILL = {"B": PositionSide.LONG, "A": PositionSide.SHORT}
ADL_DIR = "Auto-Deleveraging"
KIND_OF_METHOD = {"market": LiquidationKind.MARKET, "backstop": LiquidationKind.BACKSTOP}
MARGIN_MODE = {"Cross": MarginMode.CROSS, "Isolated": MarginMode.ISOLATED}
_LIQUIDATED_DIR = re.compile(r"^Liquidated (Cross|Isolated) (Long|Short)$")
# Node times: "2025-10-27T17:00:02.684975680" (UTC, no zone, up to 9 fraction digits).
_NODE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|[+-]00:?00)?$")


def is_spot(coin: str) -> bool:
    """True for spot markets (``@107``, ``PURR/USDC``): their fills are never perp liquidations."""
    return coin.startswith("@") or "/" in coin


def base_of(coin: str) -> tuple[str, Decimal | None]:
    """The base asset and lot multiplier of a perp coin.

    ``BTC`` -> (``BTC``, None); HIP-3 ``xyz:TSLA`` -> (``TSLA``, None); ``kPEPE`` -> (``PEPE``, 1000).
    """
    return split_multiplier(coin.split(":", 1)[-1])


def node_time_ns(text: str, *, field: str) -> int:
    """Parse a node timestamp (ISO UTC with up to 9 fraction digits) to integer ns."""
    m = _NODE_TIME.match(text)
    if not m:
        raise UnexpectedPayload(f"{field} {text!r} is not an ISO UTC time", field=field)
    try:
        seconds = datetime.fromisoformat(m.group(1)).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise UnexpectedPayload(f"{field} {text!r} is not an ISO UTC time", field=field) from None
    return int(seconds) * 1_000_000_000 + int((m.group(2) or "0").ljust(9, "0"))


def _liquidated_side(legs: list[wire.FillPair], victim: str) -> tuple[PositionSide, str]:
    # (the liquidated position, the raw side of the leg it was read from)
    own = [fill for user, fill in legs if user == victim]
    if not own and len(legs) > 1:
        # Both legs of the trade are here, so one must be the liquidated user's: the record is inconsistent,
        # and reading a leg as the counterparty's would flip the side.
        raise UnexpectedPayload(f"no leg of trade {legs[0][1].coin}:{legs[0][1].tid} belongs to liquidatedUser "
                                f"{victim!r}", field="liquidation.liquidatedUser")
    fill, table = (own[0], CLOSED_BY_OWN_FILL) if own else (legs[0][1], CLOSED_BY_COUNTERPARTY_FILL)
    side = table.get(fill.side)
    if side is None:
        raise UnexpectedPayload(f"fill side was {fill.side!r}, expected A or B", field="side")
    return side, fill.side


def _kind(legs: list[wire.FillPair], liquidation: wire.Liquidation) -> LiquidationKind:
    if any(fill.dir == ADL_DIR for _, fill in legs):
        return LiquidationKind.ADL
    kind = KIND_OF_METHOD.get(liquidation.method)
    if kind is None:
        raise UnexpectedPayload(f"liquidation method was {liquidation.method!r}, expected market or backstop",
                                field="liquidation.method")
    return kind


def _margin_mode(legs: list[wire.FillPair]) -> MarginMode | None:
    for _, fill in legs:
        m = _LIQUIDATED_DIR.match(fill.dir)
        if m:
            return MARGIN_MODE[m.group(1)]
    return None


def trade_event(legs: list[wire.FillPair], ts_recv: int, rx: Received) -> LiquidationEvent:
    """Normalize the legs (one or two ``[user, fill]`` pairs) of one liquidation trade."""
    first = legs[0][1]
    liquidation = first.liquidation
    if liquidation is None:
        raise UnexpectedPayload("a liquidation trade leg has no liquidation object", field="liquidation")
    for _, fill in legs[1:]:
        if (fill.px, fill.sz, fill.time) != (first.px, first.sz, first.time):
            raise UnexpectedPayload(f"the legs of trade {first.coin}:{first.tid} disagree on px/sz/time",
                                    field="events")
    asset, multiplier = base_of(first.coin)
    side, venue_side = _liquidated_side(legs, liquidation.liquidatedUser)
    return LiquidationEvent(
        venue=VENUE,
        market=first.coin,
        instrument_kind=InstrumentKind.PERPETUAL,
        base_asset=asset,
        quote_asset=SETTLE,
        settle_asset=SETTLE,
        margining=Margining.LINEAR,
        liquidated_side=side,
        venue_side=venue_side,
        price=first.px,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=first.sz,
        # kPEPE trades in lots of 1000 PEPE: a contract of 1000 base units.
        quantity_unit=QtyUnit.CONTRACTS if multiplier else QtyUnit.BASE,
        contract_size=multiplier,
        contract_size_unit=QtyUnit.BASE if multiplier else None,
        notional_usd=mul(first.sz, first.px),
        ts_event=first.time * 1_000_000,
        ts_recv=ts_recv,
        source=rx.source,
        event_id=f"{VENUE}:{first.coin}:{first.tid}",
        raw_ref=rx.ref,
        liquidation_kind=_kind(legs, liquidation),
        margin_mode=_margin_mode(legs),
        account=liquidation.liquidatedUser,
    )


def _is_perp_liquidation(fill: wire.Fill) -> bool:
    return fill.liquidation is not None and not is_spot(fill.coin)


def parse_block(block: wire.Block, rx: Received) -> list[LiquidationEvent]:
    """Normalize one ``node_fills_by_block`` line: one event per liquidation trade in the block.

    ``ts_recv`` is the block's ``local_time`` (when the node wrote it), not when we read the file.
    """
    trades: dict[tuple[str, int], list[wire.FillPair]] = {}
    for user, fill in block.events:
        if _is_perp_liquidation(fill):
            trades.setdefault((fill.coin, fill.tid), []).append((user, fill))
    if not trades:
        raise NotALiquidation(f"block {block.block_number} has no liquidation fill")
    ts_recv = node_time_ns(block.local_time, field="local_time")
    return [trade_event(legs, ts_recv, rx) for legs in trades.values()]


def parse_pair(pair: wire.FillPair, rx: Received) -> list[LiquidationEvent]:
    """Normalize one ``node_fills`` line (one leg); the file carries no receipt time."""
    _, fill = pair
    if not _is_perp_liquidation(fill):
        raise NotALiquidation(f"fill {fill.coin}:{fill.tid} is not a perp liquidation fill")
    return [trade_event([pair], rx.ts_ns, rx)]


def parse_node_line(line: wire.Block | wire.FillPair, rx: Received) -> list[LiquidationEvent]:
    """Normalize one node line of either era (a block object or a ``[user, fill]`` pair)."""
    if isinstance(line, wire.Block):
        return parse_block(line, rx)
    return parse_pair(line, rx)


def parse_official(row: wire.OfficialLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Normalize one official ``liquidations.csv`` row: an account-level record (no coin, side, price)."""
    if not row.liquidated_ntl_pos.is_finite() or row.liquidated_ntl_pos <= 0:
        raise UnexpectedPayload(f"liquidated_ntl_pos must be > 0, got {row.liquidated_ntl_pos}",
                                field="liquidated_ntl_pos")
    mode = MARGIN_MODE.get(row.leverage_type)
    if mode is None:
        raise UnexpectedPayload(f"leverage_type was {row.leverage_type!r}, expected Cross or Isolated",
                                field="leverage_type")
    if not row.user:
        raise UnexpectedPayload("user is empty", field="user")
    return [
        LiquidationEvent(
            venue=VENUE,
            market="*",
            instrument_kind=InstrumentKind.ACCOUNT,
            base_asset="*",
            quote_asset=SETTLE,
            settle_asset=SETTLE,
            margining=Margining.LINEAR,
            liquidated_side=None,
            price=None,
            price_kind=None,
            quantity=row.liquidated_ntl_pos,
            quantity_unit=QtyUnit.QUOTE,
            notional_usd=row.liquidated_ntl_pos,
            ts_event=node_time_ns(row.time, field="time"),
            ts_recv=rx.ts_ns,
            source=rx.source,
            event_id=f"{VENUE}:account:{row.user}:{row.time}:{row.liquidated_ntl_pos}",
            raw_ref=rx.ref,
            margin_mode=mode,
            account=row.user,
        )
    ]
