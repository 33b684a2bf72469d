"""Pure Morpho Blue ``Liquidate`` logs -> ``LiquidationEvent`` (no I/O, no clock).

A market is only an id in the log; its loan and collateral tokens come from ``markets.json``. A
liquidation of a market the table lacks is quarantined (unknown_instrument), never guessed.
"""

from __future__ import annotations

from importlib.resources import files

import msgspec

from liqscope.errors import UnexpectedPayload, UnknownInstrument
from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord, address, hex_int, scaled, words
from liqscope.venues.morpho_blue import wire

VENUE = "morpho_blue"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)
TOPICS = {wire.TOPIC0: "Liquidate"}
MARKETS = msgspec.json.decode(files(__package__ or __name__).joinpath("markets.json").read_bytes(),
                              type=wire.MarketFile)


def decode_liquidate(record: LogRecord) -> wire.Liquidate:
    """Topics and data words -> the event's arguments, by their ABI names."""
    t = record.log.topics
    if len(t) != 4:
        raise UnexpectedPayload(f"Liquidate has 3 indexed arguments, the log {len(t) - 1}", field="topics")
    repaid, repaid_shares, seized, bad_debt, bad_debt_shares = words(record.log.data, 5)
    return wire.Liquidate(id=t[1].lower(), caller=address(t[2], field="topics[2]"),
                          borrower=address(t[3], field="topics[3]"), repaidAssets=repaid,
                          repaidShares=repaid_shares, seizedAssets=seized, badDebtAssets=bad_debt,
                          badDebtShares=bad_debt_shares)


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One Morpho Blue log -> one event."""
    _lending.check_log(record, DEPLOYMENTS, TOPICS)
    call = decode_liquidate(record)
    chain, log = record.chain, record.log
    market = MARKETS.markets.get(chain, {}).get(call.id)
    if market is None:
        raise UnknownInstrument(f"Morpho Blue market {call.id} is not in markets.json (version {MARKETS.version})",
                                field="topics[1]")
    loan = _lending.token(chain, market.loanToken, field="topics[1]")
    coll = _lending.token(chain, market.collateralToken, field="topics[1]")
    return [_lending.lending_event(
        venue=VENUE, chain=chain, tx=log.transaction_hash, log_index=hex_int(log.log_index, field="logIndex"),
        block_time=record.block_time or 0, rx=rx, account=call.borrower, oracle=record.prices,
        retraction=record.log.removed,
        debt=_lending.Leg(address=market.loanToken, token=loan, quantity=scaled(call.repaidAssets, loan.decimals)),
        collateral=_lending.Leg(address=market.collateralToken, token=coll,
                                quantity=scaled(call.seizedAssets, coll.decimals)))]
