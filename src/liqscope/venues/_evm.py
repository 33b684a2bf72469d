"""EVM logs, shared by the lending venues: the ``eth_getLogs`` wire shape, ABI words, and the two file formats.

- ``eth-logs``: an ``eth_getLogs`` result (a JSON array of logs, or the JSON-RPC response holding it), or a
  bundle ``{"logs": [...], "blocks": [...], "prices": [...]}``. A log carries no block time; it comes from
  the log's own ``blockTimestamp`` (newer nodes add it) or from ``blocks`` (``eth_getBlockByNumber``
  results: ``number``, ``timestamp``). ``prices`` are oracle answers recorded at a block (``block``,
  ``asset`` token address, ``usd`` decimal string, ``source`` e.g. ``AaveOracle.getAssetPrice``).
- ``thegraph-messari``: a GraphQL response ``{"data": {"liquidates": [{id, timestamp, amountUSD}]}}`` of a
  Messari-schema lending subgraph. It holds the rows the query selected, so it is labelled with its
  sampling: the top-level ``"sampling"`` string when the file has one (``jq '{sampling: "largest 1,000",
  data}'``), else a label stating the row count and the amountUSD range it spans.

Each record ``split`` yields is one log (or row) re-encoded with what it needs from the rest of the file
(its block time, the oracle answers of its block, the file's sampling), so ``parse`` stays pure.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import msgspec

from liqscope.errors import InputUnreadable, NotALiquidation, UnexpectedPayload

_WORD = 64  # hex digits per 32-byte ABI word


class Log(msgspec.Struct, frozen=True, rename="camel"):
    """One ``eth_getLogs`` log; field names are the JSON-RPC ones (hex quantities as strings)."""

    address: str
    block_number: str        # hex quantity
    transaction_hash: str
    log_index: str           # hex quantity: position of the log in its block
    topics: list[str]        # topics[0]: keccak of the event signature; then the indexed arguments
    data: str                # the non-indexed arguments, ABI-encoded 32-byte words
    removed: bool = False    # true: a reorg dropped the block that held it (eth_subscribe says so)
    block_timestamp: str | None = None  # hex seconds; some nodes add it
    block_hash: str | None = None       # the block that held it (which copy a reorg removes)


class OraclePrice(msgspec.Struct, frozen=True):
    """An oracle answer recorded at a block: the USD price of one token."""

    block: str               # hex block number
    asset: str               # token address
    usd: Decimal
    source: str              # e.g. "AaveOracle.getAssetPrice", "Chainlink ETH/USD round 92233720368547798489"


class Block(msgspec.Struct, frozen=True):
    number: str              # hex
    timestamp: str           # hex seconds


class Bundle(msgspec.Struct, frozen=True):
    logs: list[msgspec.Raw]
    blocks: list[Block] = []
    prices: list[OraclePrice] = []


class LogRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One log with what the file knew about its block: what ``parse`` receives."""

    log: Log
    block_time: int | None = None          # seconds since the epoch, UTC
    prices: list[OraclePrice] = []         # oracle answers at this log's block
    chain: str = "ethereum"


class MessariLiquidate(msgspec.Struct, frozen=True):
    """One ``liquidates`` row of a Messari-schema lending subgraph."""

    id: str                  # tx hash (32 bytes) + log index (4 bytes, little-endian) + 4 more bytes
    timestamp: str           # block time, decimal seconds
    # amountUSD: USD value of the collateral seized, priced by the subgraph
    amount_usd: Decimal = msgspec.field(name="amountUSD")


class MessariRecord(msgspec.Struct, frozen=True, kw_only=True):
    row: MessariLiquidate
    sampling: str
    chain: str = "ethereum"


class _Graph(msgspec.Struct, frozen=True):
    liquidates: list[msgspec.Raw]


class _GraphResponse(msgspec.Struct, frozen=True):
    data: _Graph
    sampling: str | None = None


class _RpcResponse(msgspec.Struct, frozen=True):
    result: list[msgspec.Raw]


_decode_messari = msgspec.json.Decoder(MessariRecord).decode
_decode_log = msgspec.json.Decoder(Log).decode
_encode = msgspec.json.Encoder().encode


def decode_log_record(raw: bytes, filename: str = "") -> LogRecord:
    """One record -> ``LogRecord``: a ``split_logs`` record (also what live capture writes once a log is
    confirmed, docs/capture.md) or a bare log (one per line).

    Raises:
        NotALiquidation: another JSON-RPC frame of a live capture: a raw ``eth_subscription`` notification
            (its log counts through the confirmed record the capture writes for it), a ``newHeads``
            header, a response to a request (``eth_getLogs``, ``eth_getBlockByNumber``, an ack).
    """
    doc = msgspec.json.decode(raw)
    if isinstance(doc, dict) and "log" in doc:
        return msgspec.convert(doc, LogRecord)
    if isinstance(doc, dict) and ("params" in doc or "id" in doc or "jsonrpc" in doc):
        result = doc.get("params", {}).get("result") if isinstance(doc.get("params"), dict) else None
        if isinstance(result, dict) and "topics" in result:
            raise NotALiquidation("raw eth_subscription log notification: it counts through the confirmed "
                                  "record the capture writes once it is deep enough")
        what = "newHeads header" if isinstance(result, dict) else "response or ack"
        raise NotALiquidation(f"JSON-RPC {what}: not a log")
    return LogRecord(log=msgspec.convert(doc, Log))


def decode_messari_record(raw: bytes, filename: str = "") -> MessariRecord:
    """One ``split_messari`` record -> ``MessariRecord``."""
    return _decode_messari(raw)


def hex_int(text: str, *, field: str) -> int:
    """A JSON-RPC hex quantity (``0x1a``) -> int."""
    if not isinstance(text, str) or not text.startswith("0x") or len(text) < 3:
        raise UnexpectedPayload(f"{field} {text!r} is not a hex quantity", field=field)
    try:
        return int(text, 16)
    except ValueError:
        raise UnexpectedPayload(f"{field} {text!r} is not a hex quantity", field=field) from None


def words(data: str, n: int, *, field: str = "data") -> list[int]:
    """The first ``n`` 32-byte words of ABI data, as unsigned integers."""
    body = data[2:] if data.startswith("0x") else data
    if len(body) < n * _WORD:
        raise UnexpectedPayload(f"{field} holds {len(body) // _WORD} words, the event has {n}", field=field)
    try:
        return [int(body[i * _WORD:(i + 1) * _WORD], 16) for i in range(n)]
    except ValueError:
        raise UnexpectedPayload(f"{field} is not hex", field=field) from None


def address(word: int | str, *, field: str) -> str:
    """A word (or a topic) holding an address -> the lowercase ``0x`` address."""
    value = hex_int(word, field=field) if isinstance(word, str) else word
    if value >> 160:
        raise UnexpectedPayload(f"{field} is not an address (high bytes set)", field=field)
    return f"0x{value:040x}"


def scaled(amount: int, decimals: int) -> Decimal:
    """A token's integer amount -> exact decimal units (``scaleb``: no rounding, no float)."""
    return Decimal(amount).scaleb(-decimals)


def _load(data: bytes, filename: str) -> object:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise InputUnreadable(f"{filename}: not a JSON document ({e})") from None


def split_logs(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """``eth-logs``: yield ``(n, LogRecord JSON)`` per log, n its 1-based position in the file's list."""
    doc = _load(data, filename)
    try:
        if isinstance(doc, list):
            bundle = Bundle(logs=msgspec.convert(doc, list[msgspec.Raw]))
        elif isinstance(doc, dict) and "result" in doc:
            bundle = Bundle(logs=msgspec.json.decode(data, type=_RpcResponse).result)
        else:
            bundle = msgspec.json.decode(data, type=Bundle)
    except msgspec.ValidationError as e:
        raise InputUnreadable(f"{filename}: not an eth_getLogs result nor a logs bundle ({e})") from None
    times = {int(b.number, 16): int(b.timestamp, 16) for b in bundle.blocks}
    prices: dict[int, list[OraclePrice]] = {}
    for p in bundle.prices:
        prices.setdefault(int(p.block, 16), []).append(p)
    for n, raw in enumerate(bundle.logs, start=1):
        try:
            log = _decode_log(raw)
            block = int(log.block_number, 16)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            yield n, bytes(raw)  # kept as is: decoding it names the bad field, and it is quarantined
            continue
        yield n, _encode(LogRecord(log=log, block_time=times.get(block), prices=prices.get(block, [])))


def split_messari(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """``thegraph-messari``: yield ``(n, MessariRecord JSON)`` per ``liquidates`` row, labelled with the
    file's sampling."""
    try:
        doc = msgspec.json.decode(data, type=_GraphResponse)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise InputUnreadable(f"{filename}: not a subgraph response with data.liquidates ({e})") from None
    sampling = doc.sampling or _sampling_label(doc.data.liquidates)
    for n, raw in enumerate(doc.data.liquidates, start=1):
        try:
            row = msgspec.json.decode(raw, type=MessariLiquidate)
        except (msgspec.DecodeError, msgspec.ValidationError):
            yield n, bytes(raw)
            continue
        yield n, _encode(MessariRecord(row=row, sampling=sampling))


def _sampling_label(rows: list[msgspec.Raw]) -> str:
    # The export does not say how the query chose its rows; say what the file itself shows.
    amounts = []
    for raw in rows:
        try:
            amounts.append(msgspec.json.decode(raw, type=MessariLiquidate).amount_usd)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
    span = f", amountUSD {min(amounts):,.2f}..{max(amounts):,.2f}" if amounts else ""
    return (f"subgraph export of {len(rows):,} rows{span}: the rows its query selected "
            "(e.g. the largest N), not every liquidation")
