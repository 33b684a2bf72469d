"""Pure Aave v1 ``LiquidationCall`` logs -> ``LiquidationEvent`` (no I/O, no clock)."""

from __future__ import annotations

from liqscope.errors import UnexpectedPayload
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord, address, hex_int, scaled, words
from liqscope.venues.aave_v1 import wire

VENUE = "aave_v1"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)
TOPICS = {wire.TOPIC0: "LiquidationCall"}


def decode_liquidation_call(record: LogRecord) -> wire.LiquidationCall:
    """Topics and data words -> the event's arguments, by their ABI names."""
    log = record.log
    if len(log.topics) != 4:
        raise UnexpectedPayload(f"LiquidationCall has 3 indexed arguments, the log {len(log.topics) - 1}",
                                field="topics")
    purchase, collateral, interest, liquidator, receive, timestamp = words(log.data, 6)
    return wire.LiquidationCall(
        _collateral=address(log.topics[1], field="topics[1]"),
        _reserve=address(log.topics[2], field="topics[2]"),
        _user=address(log.topics[3], field="topics[3]"),
        _purchaseAmount=purchase,
        _liquidatedCollateralAmount=collateral,
        _accruedBorrowInterest=interest,
        _liquidator=address(liquidator, field="data._liquidator"),
        _receiveAToken=bool(receive),
        _timestamp=timestamp,
    )


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One Aave v1 ``LendingPool`` log -> one event (its own ``_timestamp`` stands in for a missing block time)."""
    log = record.log
    if record.block_time is None and log.topics and log.topics[0].lower() == wire.TOPIC0:
        record = _lending.with_block_time(record, decode_liquidation_call(record)._timestamp)
    _lending.check_log(record, DEPLOYMENTS, TOPICS)
    call = decode_liquidation_call(record)
    chain = record.chain
    debt_token = _lending.token(chain, call._reserve, field="topics[2]")
    collateral_token = _lending.token(chain, call._collateral, field="topics[1]")
    return [_lending.lending_event(
        venue=VENUE, chain=chain, tx=log.transaction_hash, log_index=hex_int(log.log_index, field="logIndex"),
        block_time=record.block_time or call._timestamp, rx=rx, account=call._user, oracle=record.prices,
        retraction=record.log.removed,
        debt=_lending.Leg(address=call._reserve, token=debt_token,
                          quantity=scaled(call._purchaseAmount, debt_token.decimals)),
        collateral=_lending.Leg(address=call._collateral, token=collateral_token,
                                quantity=scaled(call._liquidatedCollateralAmount, collateral_token.decimals)),
    )]
