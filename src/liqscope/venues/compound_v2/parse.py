"""Pure Compound v2 ``LiquidateBorrow`` logs -> ``LiquidationEvent`` (no I/O, no clock).

The debt leg is in the emitting cToken's underlying; the collateral leg is in cTokens (``seizeTokens``),
kept as such: their underlying amount needs the exchange rate at the block, so that leg is valued only
when the input supplies an oracle price for the cToken itself, else it is "not valued".
"""

from __future__ import annotations

from liqscope.errors import UnknownInstrument
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord, address, hex_int, scaled, words
from liqscope.venues.compound_v2 import wire

VENUE = "compound_v2"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)
TOPICS = {wire.TOPIC0: "LiquidateBorrow"}


def decode_liquidate_borrow(record: LogRecord) -> wire.LiquidateBorrow:
    """Data words -> the event's arguments, by their ABI names."""
    liquidator, borrower, repay, collateral, seize = words(record.log.data, 5)
    return wire.LiquidateBorrow(liquidator=address(liquidator, field="data.liquidator"),
                                borrower=address(borrower, field="data.borrower"), repayAmount=repay,
                                cTokenCollateral=address(collateral, field="data.cTokenCollateral"),
                                seizeTokens=seize)


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One cToken log -> one event."""
    _lending.check_log(record, DEPLOYMENTS, TOPICS)
    call = decode_liquidate_borrow(record)
    chain, log = record.chain, record.log
    ctoken = _lending.token(chain, log.address, field="address")
    if ctoken.underlying is None:
        raise UnknownInstrument(f"cToken {log.address} has no underlying in the token table", field="address")
    debt_token = _lending.token(chain, ctoken.underlying, field="address")
    collateral_token = _lending.token(chain, call.cTokenCollateral, field="data.cTokenCollateral")
    return [_lending.lending_event(
        venue=VENUE, chain=chain, tx=log.transaction_hash, log_index=hex_int(log.log_index, field="logIndex"),
        block_time=record.block_time or 0, rx=rx, account=call.borrower, oracle=record.prices,
        retraction=record.log.removed,
        debt=_lending.Leg(address=ctoken.underlying, token=debt_token,
                          quantity=scaled(call.repayAmount, debt_token.decimals)),
        collateral=_lending.Leg(address=call.cTokenCollateral, token=collateral_token,
                                quantity=scaled(call.seizeTokens, collateral_token.decimals)),
    )]
