"""Pure Aave v2 / v3 ``LiquidationCall`` logs -> ``LiquidationEvent`` (no I/O, no clock)."""

from __future__ import annotations

from liqscope.errors import UnexpectedPayload
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord, address, hex_int, scaled, words
from liqscope.venues.aave_v2 import wire

VENUE = "aave_v2"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)
TOPICS = {wire.TOPIC0: "LiquidationCall"}


def decode_liquidation_call(record: LogRecord) -> wire.LiquidationCall:
    """Topics and data words -> the event's arguments, by their ABI names."""
    log = record.log
    if len(log.topics) != 4:
        raise UnexpectedPayload(f"LiquidationCall has 3 indexed arguments, the log {len(log.topics) - 1}",
                                         field="topics")
    debt_to_cover, collateral, liquidator, receive = words(log.data, 4)
    return wire.LiquidationCall(
        collateralAsset=address(log.topics[1], field="topics[1]"),
        debtAsset=address(log.topics[2], field="topics[2]"),
        user=address(log.topics[3], field="topics[3]"),
        debtToCover=debt_to_cover,
        liquidatedCollateralAmount=collateral,
        liquidator=address(liquidator, field="data.liquidator"),
        receiveAToken=bool(receive),
    )


def parse_call(venue: str, deployments: _lending.Deployments, record: LogRecord,
               rx: Received) -> list[LiquidationEvent]:
    """One Aave v2/v3 log -> one event; ``venue`` and ``deployments`` say which version's pool it is."""
    _lending.check_log(record, deployments, TOPICS)
    call = decode_liquidation_call(record)
    chain, log = record.chain, record.log
    debt_token = _lending.token(chain, call.debtAsset, field="topics[2]")
    collateral_token = _lending.token(chain, call.collateralAsset, field="topics[1]")
    return [_lending.lending_event(
        venue=venue, chain=chain, tx=log.transaction_hash, log_index=hex_int(log.log_index, field="logIndex"),
        block_time=record.block_time or 0, rx=rx, account=call.user, oracle=record.prices,
        retraction=record.log.removed,
        debt=_lending.Leg(address=call.debtAsset, token=debt_token,
                          quantity=scaled(call.debtToCover, debt_token.decimals)),
        collateral=_lending.Leg(address=call.collateralAsset, token=collateral_token,
                                quantity=scaled(call.liquidatedCollateralAmount, collateral_token.decimals)),
    )]


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One Aave v2 ``LendingPool`` log -> events."""
    return parse_call(VENUE, DEPLOYMENTS, record, rx)
