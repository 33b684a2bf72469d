"""What the lending venues share: the token table, the price book, the side rule and the event builder.

A lending liquidation repays ``debt`` and seizes ``collateral``. Each leg is kept as the protocol emits it
(exact integer -> decimal) and valued on its own, from the first source that has a price:

1. the oracle answer at the log's block, when the input supplies one (``eth-logs`` bundle ``prices``);
2. USD stablecoins at par (declared in the token table; a cToken is never at par: its exchange rate moves);
3. the imported Chainlink ETH/USD daily series (``chainlink_eth_usd_daily.csv``, see PROVENANCE.md): the
   last answer updated at or before the block time, at most ``SERIES_MAX_AGE`` old; its age is written
   into ``price_source``. Daily: a valid but coarse source, never the answer at the block;
4. otherwise the leg is "not valued" (``None``), never guessed.

Side (docs/events.md, "Lending"): volatile collateral against stablecoin debt is a LONG of the collateral
asset; stablecoin collateral against volatile debt a SHORT of the debt asset; anything else (volatile
against volatile, stable against stable, or a record with one leg only) has no side, and counts in totals
and ``unknown_side_usd``, never in the long/short split.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import importlib
import io
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from importlib.resources import files

import msgspec

from liqscope._registry import Capability, Format, SideConvention, VenueSpec
from liqscope.errors import NotALiquidation, Reason, UnexpectedPayload, UnknownInstrument
from liqscope.events import InstrumentKind, LiquidationEvent, Margining, PositionSide, QtyUnit, Received, mul
from liqscope.venues._evm import (
    LogRecord,
    MessariRecord,
    OraclePrice,
    decode_log_record,
    decode_messari_record,
    split_logs,
    split_messari,
)

__all__ = [
    "ETH_LOGS",
    "MESSARI",
    "SERIES_MAX_AGE",
    "Deployments",
    "Leg",
    "LogFilter",
    "Token",
    "check_log",
    "formats",
    "lending_event",
    "lending_venues",
    "load_deployments",
    "log_filter",
    "parse_messari",
    "subgraph_event",
    "token",
    "tokens_version",
]

_NS = 1_000_000_000
SERIES_MAX_AGE = 48 * 3600  # seconds: a daily series older than two days prices nothing
_SERIES = "chainlink_eth_usd_daily.csv"
_SERIES_ASSETS = frozenset({"ETH"})  # what the imported series prices (WETH and ETH are asset ETH)
_PAR = Decimal(1)
_LAKE_QUANTUM = Decimal("1e-18")
_CTX = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)
ETH_LOGS = "eth-logs"
MESSARI = "thegraph-messari"


class Token(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One token of a chain, as the table holds it."""

    symbol: str
    decimals: int
    asset: str                     # the asset a position in it is exposed to (WETH -> ETH, cUSDC -> USDC)
    stable: bool                   # the asset is a USD stablecoin (side rule; par only without `underlying`)
    underlying: str | None = None  # cTokens / aTokens: the token they hold
    notes: str = ""


class _TokenFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    source: str
    chains: dict[str, dict[str, Token]]


@functools.cache
def _tokens() -> _TokenFile:
    return msgspec.json.decode((files(__name__) / "tokens.json").read_bytes(), type=_TokenFile)


def tokens_version() -> str:
    """The version of the bundled token table."""
    return _tokens().version


def token(chain: str, address: str, *, field: str) -> Token:
    """The table's token at ``address`` on ``chain``; an unknown one is quarantined, never guessed."""
    found = _tokens().chains.get(chain, {}).get(address.lower())
    if found is None:
        raise UnknownInstrument(f"token {address} on {chain} is not in the token table (version "
                                f"{tokens_version()}): its symbol and decimals are unknown", field=field)
    return found


class Leg(msgspec.Struct, frozen=True, kw_only=True):
    """One leg of a lending liquidation: an amount of a token, and what it is worth when known."""

    address: str
    token: Token
    quantity: Decimal
    usd: Decimal | None = None   # set by the caller only when the protocol itself values it (Comet usdValue)
    source: str | None = None


@functools.cache
def _series() -> tuple[list[int], list[tuple[Decimal, str]]]:
    # (updatedAt seconds, sorted) and (answer, label) per row of the daily Chainlink ETH/USD file.
    times: list[int] = []
    values: list[tuple[Decimal, str]] = []
    text = (files(__name__) / _SERIES).read_text()
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: r["chainlink_updatedAt_utc"])
    for row in rows:
        at = dt.datetime.fromisoformat(row["chainlink_updatedAt_utc"]).replace(tzinfo=dt.UTC)
        times.append(int(at.timestamp()))
        label = f"round {row['round_id']} updated {row['chainlink_updatedAt_utc']}"
        values.append((Decimal(row["eth_price_usd"]), label))
    return times, values


def _age(seconds: int) -> str:
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def price(leg: Leg, block_time: int, oracle: Sequence[OraclePrice]) -> tuple[Decimal, str] | None:
    """The USD price of one unit of ``leg``'s token at ``block_time`` and where it came from, or None."""
    for p in oracle:
        if p.asset.lower() == leg.address.lower():
            return p.usd, f"oracle at block: {p.source}"
    if leg.token.underlying is None and leg.token.stable:
        return _PAR, "par (stablecoin, declared)"
    if leg.token.underlying is None and leg.token.asset in _SERIES_ASSETS:
        times, values = _series()
        i = bisect_right(times, block_time) - 1
        if i >= 0 and block_time - times[i] <= SERIES_MAX_AGE:
            answer, label = values[i]
            return answer, (f"imported Chainlink ETH/USD daily series, {label} UTC, {_age(block_time - times[i])} "
                            "before the block (not the oracle at the block)")
    return None


def _value(leg: Leg | None, block_time: int, oracle: Sequence[OraclePrice]) -> tuple[Decimal | None, str | None]:
    if leg is None:
        return None, None
    if leg.usd is not None:
        return leg.usd, leg.source
    found = price(leg, block_time, oracle)
    if found is None:
        return None, None
    unit, source = found
    return mul(leg.quantity, unit), f"{leg.token.symbol}: {source}"


def side(collateral: Leg | None, debt: Leg | None) -> tuple[PositionSide | None, str]:
    """The liquidated side and the position's asset (docs/events.md, "Lending")."""
    if collateral is None or debt is None:
        only = collateral or debt
        if only is None:
            raise UnexpectedPayload("a lending liquidation with neither leg", field="data")
        return None, only.token.asset
    if not collateral.token.stable and debt.token.stable:
        return PositionSide.LONG, collateral.token.asset
    if collateral.token.stable and not debt.token.stable:
        return PositionSide.SHORT, debt.token.asset
    return None, collateral.token.asset


def lending_event(*, venue: str, chain: str, tx: str, log_index: int, block_time: int, rx: Received,
                  collateral: Leg | None, debt: Leg | None, account: str | None,
                  oracle: Sequence[OraclePrice] = (), retraction: bool = False) -> LiquidationEvent:
    """Build the event of one liquidation log (or one leg of one, for Compound v3's absorb events).

    ``retraction``: the log came with ``removed: true`` (a reorg): the row retracts the event's earlier copies.
    """
    liquidated_side, asset = side(collateral, debt)
    debt_usd, debt_source = _value(debt, block_time, oracle)
    collateral_usd, collateral_source = _value(collateral, block_time, oracle)
    sources = "; ".join(s for s in (debt_source and f"debt {debt_source}",
                                     collateral_source and f"collateral {collateral_source}") if s)
    main = debt or collateral
    if main is None:  # side() raised already; this narrows the type
        raise UnexpectedPayload("a lending liquidation with neither leg", field="data")
    symbols = f"{collateral.token.symbol if collateral else '?'}/{debt.token.symbol if debt else '?'}"
    return LiquidationEvent(
        venue=venue,
        market=f"{chain}:{symbols}",
        instrument_kind=InstrumentKind.LENDING,
        base_asset=asset,
        quote_asset=main.token.asset,
        settle_asset=main.token.asset,
        margining=Margining.LINEAR,
        liquidated_side=liquidated_side,
        price=None,
        price_kind=None,
        quantity=main.quantity,
        quantity_unit=QtyUnit.QUOTE,  # an amount of quote_asset: the debt repaid (or the only leg given)
        notional_usd=debt_usd,
        ts_event=block_time * _NS,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{venue}:{chain}:{tx.lower()}:{log_index}",
        raw_ref=rx.ref,
        account=account,
        debt_asset=debt.token.symbol if debt else None,
        debt_quantity=debt.quantity if debt else None,
        debt_usd=debt_usd,
        collateral_asset=collateral.token.symbol if collateral else None,
        collateral_quantity=collateral.quantity if collateral else None,
        collateral_usd=collateral_usd,
        price_source=sources or None,
        retraction=retraction,
    )


def subgraph_event(*, venue: str, chain: str, tx: str, log_index: int, block_time: int, rx: Received,
                   collateral_usd: Decimal, sampling: str) -> LiquidationEvent:
    """A Messari subgraph row: only the collateral seized in USD, as the subgraph priced it; no assets."""
    return LiquidationEvent(
        venue=venue,
        market=f"{chain}:*",
        instrument_kind=InstrumentKind.LENDING,
        base_asset="*",
        quote_asset="USD",
        settle_asset="USD",
        margining=Margining.LINEAR,
        liquidated_side=None,
        price=None,
        price_kind=None,
        quantity=collateral_usd,
        quantity_unit=QtyUnit.QUOTE,
        notional_usd=None,
        ts_event=block_time * _NS,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{venue}:{chain}:{tx.lower()}:{log_index}",
        raw_ref=rx.ref,
        collateral_usd=collateral_usd,
        price_source="subgraph amountUSD (Messari schema: collateral seized, priced by the subgraph)",
        sampling=sampling,
    )


class Deployments(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A venue's contracts per chain (address -> role), versioned like an instrument table."""

    venue: str
    version: str
    source: str
    chains: dict[str, dict[str, str]]
    notes: str = ""

    def role(self, chain: str, address: str) -> str:
        """The role of ``address`` (e.g. "LendingPool"); another contract's log is not this venue's record
        (skipped and counted: one ``eth_getLogs`` file may hold several protocols' logs)."""
        found = self.chains.get(chain, {}).get(address.lower())
        if found is None:
            raise NotALiquidation(f"log address {address} is not a {chain} deployment of {self.venue} "
                                  f"(deployments version {self.version})")
        return found


def load_deployments(package: str) -> Deployments:
    """Read ``deployments.json`` of a venue package."""
    return msgspec.json.decode((files(package) / "deployments.json").read_bytes(), type=Deployments)


def check_log(record: LogRecord, deployments: Deployments, topic0: Mapping[str, str]) -> tuple[str, str]:
    """The (contract role, event name) of a liquidation log; anything else is not a liquidation.

    A log a reorg removed (``removed: true``) is still a liquidation log: its event is a retraction.

    Raises:
        NotALiquidation: another event of the contract, or a log of an address that is none of the
            venue's deployments.
        UnexpectedPayload: a liquidation log with no block time.
    """
    log = record.log
    role = deployments.role(record.chain, log.address)
    name = topic0.get(log.topics[0].lower()) if log.topics else None
    if name is None:
        raise NotALiquidation(f"log {log.transaction_hash}:{log.log_index} is not a liquidation event")
    if record.block_time is None:
        raise UnexpectedPayload(f"no block time for block {log.block_number}: the log has no blockTimestamp and the "
                                "file no 'blocks' entry for it", field="blockTimestamp", code=Reason.MISSING_FIELD)
    return role, name


def parse_messari(venue: str, record: MessariRecord, rx: Received) -> list[LiquidationEvent]:
    """One Messari subgraph ``liquidates`` row -> one event (collateral seized in USD, no assets)."""
    row = record.row
    ident = row.id.lower()
    if len(ident) != 2 + 2 * 40 or not ident.startswith("0x"):
        raise UnexpectedPayload(f"id {row.id!r} is not tx hash (32 bytes) + log index (4) + 4 bytes", field="id")
    try:
        log_index = int.from_bytes(bytes.fromhex(ident[66:74]), "little")
        seconds = int(row.timestamp)
    except ValueError:
        raise UnexpectedPayload(f"id {row.id!r} or timestamp {row.timestamp!r} is not what the schema says",
                                field="id") from None
    # amountUSD carries up to ~32 decimals; the lake keeps 18 (below 1e-18 USD), rounded half-even.
    usd = row.amount_usd.quantize(_LAKE_QUANTUM, context=_CTX)
    if not usd.is_finite() or usd <= 0:
        raise UnexpectedPayload(f"amountUSD must be > 0, got {row.amount_usd}", field="amountUSD",
                                code=Reason.NON_POSITIVE)
    return [subgraph_event(venue=venue, chain=record.chain, tx=ident[:66], log_index=log_index, block_time=seconds,
                           rx=rx, collateral_usd=usd, sampling=record.sampling)]


def formats(venue: str, parse_log: Callable[[LogRecord, Received], list[LiquidationEvent]], *,
            subgraph: bool) -> dict[str, Format]:
    """The ``--format`` values of a lending venue: ``eth-logs``, and ``thegraph-messari`` where a Messari
    subgraph of it exists."""
    out = {ETH_LOGS: Format(name=ETH_LOGS, split=split_logs, decode=decode_log_record, parse=parse_log,
                            source="file", description="eth_getLogs result (or a {logs, blocks, prices} "
                            "bundle): JSON, block times from blockTimestamp or 'blocks'")}
    if subgraph:
        out[MESSARI] = Format(name=MESSARI, split=split_messari, decode=decode_messari_record,
                              parse=functools.partial(parse_messari, venue), source="file",
                              description="The Graph Messari-schema subgraph export {data: {liquidates: [...]}}: "
                              "collateral seized in USD; labelled with its sampling")
    return out


def with_block_time(record: LogRecord, seconds: int) -> LogRecord:
    """The record with a block time the event itself states (Aave v1's ``_timestamp``)."""
    return msgspec.structs.replace(record, block_time=seconds)


class LogFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What a live capture subscribes to for one lending venue on one chain (``eth_subscribe`` ``logs``)."""

    venue: str
    chain: str
    addresses: list[str]        # the venue's deployments on the chain (its deployments.json)
    topics: list[str]           # topic0 of each liquidation event the venue's parser decodes
    deployments_version: str

    def params(self) -> dict[str, object]:
        """The filter object of ``eth_subscribe``/``eth_getLogs``: any of the addresses, any of the topic0s."""
        return {"address": list(self.addresses), "topics": [list(self.topics)]}


def lending_venues() -> list[str]:
    """Registered venues that read EVM logs (``--format eth-logs``): the ones ``capture`` subscribes to."""
    from liqscope._registry import venues

    return sorted(v for v, spec in venues().items() if ETH_LOGS in spec.formats)


def log_filter(venue: str, chain: str = "ethereum") -> LogFilter:
    """The subscription of ``venue`` on ``chain``, from its own folder: the addresses of its deployments table
    and the topic0s its parser decodes (``parse.DEPLOYMENTS``, ``parse.TOPICS``): one authority.

    Raises:
        UnknownName: ``venue`` does not read EVM logs, or has no deployment on ``chain``.
    """
    from liqscope.errors import UnknownName

    if venue not in lending_venues():
        raise UnknownName("lending venue", venue, lending_venues())
    module = importlib.import_module(f"liqscope.venues.{venue}.parse")
    deployments: Deployments = module.DEPLOYMENTS
    topics: Mapping[str, str] = module.TOPICS
    if chain not in deployments.chains:
        raise UnknownName(f"chain of {venue}", chain, sorted(deployments.chains))
    return LogFilter(venue=venue, chain=chain, addresses=sorted(deployments.chains[chain]),
                     topics=sorted(t.lower() for t in topics), deployments_version=deployments.version)


def venue_spec(venue: str, parse_log: Callable[[LogRecord, Received], list[LiquidationEvent]], *,
               subgraph: bool) -> VenueSpec:
    """The registry entry every lending protocol shares: each liquidation is one log (a complete feed, the
    borrower named), amounts in exact token units valued in USD (``QtyUnit.QUOTE``), the side of the
    position stated by the side rule (docs/events.md, "Lending")."""
    return VenueSpec(
        id=venue,
        decode=decode_log_record,
        parse=parse_log,
        capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.EVENT_ID,
                                Capability.ACCOUNTS, Capability.ARCHIVE}),
        side_convention=SideConvention.POSITION,
        quantity_unit=QtyUnit.QUOTE,
        sampling=None,
        formats=formats(venue, parse_log, subgraph=subgraph),
    )
