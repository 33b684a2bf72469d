"""Pure OKX dated futures (instType FUTURES) -> ``LiquidationEvent`` (no I/O, no clock).

Same channel and semantics as okx_swap, whose side logic is reused: ``side`` is the liquidation
ORDER's side (``sell`` closes a LONG), cross-checked against a hedge-mode ``posSide``; ``sz`` counts
CONTRACTS; ``bkPx`` is the bankruptcy price, the only price published.

What differs is the contract value: a dated instId (``XRP-USD-230929``) lives a quarter, so
``instruments.json`` holds ``ctVal`` per instrument family (``XRP-USD``), which OKX keeps the same
for every expiry. Inverse families (``*-USD``): ctVal in USD, notional = sz x ctVal. Linear families
(``*-USDT``): ctVal in the base coin, notional = sz x ctVal x bkPx.

History: the v3 ``futures/liquidation`` table (2019-2021, in Tardis archives; v3 was retired in 2022)
is parsed with okx_swap's ``v3_events``: ``type`` "3" closed a LONG, "4" a SHORT; ``size`` counts
contracts of the family's ctVal; ``price`` is the order's price; ``created_at`` is the venue time.
"""

from __future__ import annotations

import re
from typing import NoReturn

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _instruments, _tardis
from liqscope.venues.okx_futures import wire
from liqscope.venues.okx_swap import parse as swap

VENUE = "okx_futures"
_PACKAGE = "liqscope.venues.okx_futures"
INST_TYPE = "FUTURES"
# BTC-USD-220624: family BTC-USD, delivery 2022-06-24.
_DATED = re.compile(r"^(?P<family>[A-Z0-9]+-[A-Z]+)-(?P<delivery>\d{6})$")
_OTHER_VENUE = {"SWAP": "okx_swap"}


def family_of(inst_id: str, *, field: str) -> str:
    """``BTC-USD-220624`` -> ``BTC-USD``.

    Raises:
        UnexpectedPayload: The instId is not ``<BASE>-<QUOTE>-YYMMDD``.
    """
    m = _DATED.match(inst_id)
    if m is None:
        raise UnexpectedPayload(f"instId {inst_id!r} is not a dated future (<BASE>-<QUOTE>-YYMMDD)", field=field)
    return m.group("family")


def identity(inst_id: str, detail: wire.Detail) -> str:
    """OKX sends no id: (instId, ts, side, posSide, sz, bkPx), the tuple okx_swap uses."""
    return swap.identity(inst_id, detail, VENUE)


def _check_inst_type(inst_type: str | None, *, field: str) -> None:
    if inst_type == INST_TYPE:
        return
    home = _OTHER_VENUE.get(inst_type or "")
    where = f"belongs to venue {home}" if home else "is not a dated future"
    raise UnexpectedPayload(f"instType {inst_type} {where}; okx_futures parses instType FUTURES only", field=field)


def events_of(inst_id: str, details: list[wire.Detail], rx: Received, *, field: str) -> list[LiquidationEvent]:
    """Normalize the details of one dated instrument."""
    inst = _instruments.lookup(_PACKAGE, family_of(inst_id, field=field), field=field)
    return swap.detail_events(VENUE, inst_id, inst, details, rx)


def _v3_instrument(inst_id: str) -> _instruments.Instrument:
    family = family_of(inst_id, field="data.instrument_id")
    return _instruments.lookup(_PACKAGE, family, field="data.instrument_id")


def _skip_or_reject(envelope: wire.Envelope) -> NoReturn:
    if envelope.table is not None:
        raise NotALiquidation(f"OKX v3 table {envelope.table!r} carries no liquidations")
    channel = envelope.arg.channel if envelope.arg else None
    if envelope.event == "error":
        raise NotALiquidation(f"error event, code {envelope.code}: {envelope.msg}")
    if envelope.event is not None:
        raise NotALiquidation(f"{envelope.event!r} event (channel {channel!r}): an ack or notice, no data")
    raise NotALiquidation(f"channel {channel!r} carries no liquidations")


def parse_message(message: wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one decoded websocket frame.

    Raises:
        NotALiquidation: ``pong``, an ``event`` frame (ack, error, notice) or another channel.
        UnexpectedPayload: A SWAP instType (or the v3 swap table), an unknown instrument family, or a
            contradictory side.
    """
    if isinstance(message, wire.Pong):
        raise NotALiquidation("pong: the reply to a ping keepalive")
    if isinstance(message, wire.V3Push):
        return swap.v3_events(VENUE, INST_TYPE, message, rx, _v3_instrument)
    if isinstance(message, wire.LegacyPush):
        if message.arg.instId is None:
            raise UnexpectedPayload("a 'liquidations' push without arg.instId", field="arg.instId")
        if not message.data:
            raise NotALiquidation("empty liquidations push")
        return events_of(message.arg.instId, message.data, rx, field="arg.instId")
    if not isinstance(message, wire.LiquidationOrdersPush):
        _skip_or_reject(message)
    _check_inst_type(message.arg.instType, field="arg.instType")
    events = []
    for orders in message.data:
        _check_inst_type(orders.instType, field="data.instType")
        events += events_of(orders.instId, orders.details, rx, field="data.instId")
    return events


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``okex-futures`` row: amount = ``sz`` CONTRACTS, price = ``bkPx``, side = order side.

    Tardis keeps no ``posSide``; the detail is rebuilt with an empty one, so the ``event_id`` of a row
    differs from the stream's for the same liquidation.
    """
    detail = wire.Detail(side=row.side, posSide="", bkPx=row.price, sz=row.amount, ts=str(_tardis.ts_ms(row)))
    return events_of(row.symbol, [detail], _tardis.received(row, rx), field="symbol")
