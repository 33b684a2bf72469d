"""Pure Compound III absorb logs -> ``LiquidationEvent``: one event per log (one leg each).

An ``AbsorbCollateral`` event holds the collateral leg, an ``AbsorbDebt`` the debt leg, each valued by
Comet's ``usdValue``; the other leg is absent, so the event has no side, and it counts under the
valuation basis of its leg only (docs/events.md, "Lending").
"""

from __future__ import annotations

from decimal import Decimal

from liqscope.errors import UnexpectedPayload, UnknownInstrument
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord, address, hex_int, scaled, words
from liqscope.venues.compound_v3 import wire

VENUE = "compound_v3"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)
TOPICS = {wire.TOPIC0_ABSORB_COLLATERAL: "AbsorbCollateral", wire.TOPIC0_ABSORB_DEBT: "AbsorbDebt"}
# Each Comet's base token (its debt asset), per chain and Comet address.
BASE = {"ethereum": {"0xc3d688b66703497daa19211eedff47f25384cdc3": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                     "0xa17581a9e3356d9a858b789d68b4d866e593ae94": "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"}}


def decode_absorb(record: LogRecord, name: str) -> wire.AbsorbCollateral | wire.AbsorbDebt:
    """Topics and data words -> the event's arguments, by their ABI names."""
    t = record.log.topics
    if name == "AbsorbCollateral":
        if len(t) != 4:
            raise UnexpectedPayload("AbsorbCollateral has 3 indexed arguments", field="topics")
        amount, usd = words(record.log.data, 2)
        return wire.AbsorbCollateral(absorber=address(t[1], field="topics[1]"),
                                     borrower=address(t[2], field="topics[2]"), asset=address(t[3], field="topics[3]"),
                                     collateralAbsorbed=amount, usdValue=usd)
    if len(t) != 3:
        raise UnexpectedPayload("AbsorbDebt has 2 indexed arguments", field="topics")
    paid, usd = words(record.log.data, 2)
    return wire.AbsorbDebt(absorber=address(t[1], field="topics[1]"), borrower=address(t[2], field="topics[2]"),
                           basePaidOut=paid, usdValue=usd)


def _usd(value: int) -> Decimal | None:
    return scaled(value, wire.USD_DECIMALS) if value else None


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One Comet log -> one event."""
    _, name = _lending.check_log(record, DEPLOYMENTS, TOPICS)
    call = decode_absorb(record, name)
    chain, log = record.chain, record.log
    source = f"Comet usdValue ({name}, its price feed at the block)"
    collateral = debt = None
    if isinstance(call, wire.AbsorbCollateral):
        t = _lending.token(chain, call.asset, field="topics[3]")
        collateral = _lending.Leg(address=call.asset, token=t, quantity=scaled(call.collateralAbsorbed, t.decimals),
                                  usd=_usd(call.usdValue), source=source)
    else:
        base = BASE.get(chain, {}).get(log.address.lower())
        if base is None:
            raise UnknownInstrument(f"Comet {log.address} has no base token in BASE", field="address")
        t = _lending.token(chain, base, field="address")
        debt = _lending.Leg(address=base, token=t, quantity=scaled(call.basePaidOut, t.decimals),
                            usd=_usd(call.usdValue), source=source)
    return [_lending.lending_event(
        venue=VENUE, chain=chain, tx=log.transaction_hash, log_index=hex_int(log.log_index, field="logIndex"),
        block_time=record.block_time or 0, rx=rx, account=call.borrower, oracle=record.prices,
        retraction=record.log.removed,
        collateral=collateral, debt=debt)]
