"""Shared pieces of the venues' columnar fast paths (``VenueSpec.parse_batch``).

A fast path decodes a whole batch with one msgspec call into *strict* structs (every field required, no
unknown field, decimals kept as the venue's strings), builds Arrow columns, and checks in Arrow every rule
the per-record path checks. Whatever it is not sure of goes back to ``normalize_record``, so a fast path
only ever has to be right about the records it takes, never about the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from operator import methodcaller
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope.events import MAX_NOTIONAL_USD, MIN_NOTIONAL_USD

__all__ = ["MONEY", "Shapes", "colons", "exact_product", "in_range", "plain_decimal", "strings", "to_int64"]

MONEY = pa.decimal128(38, 18)  # store._schema.MONEY (not imported: the store builds on the venues' events)
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError, OverflowError)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
# Below this many records a failed batch decode is retried record by record instead of halved again.
_SMALLEST_SPLIT = 16
# A venue decimal the fast path takes: digits, at most 19 before the point (< 1E+19, so products of two fit
# decimal256) and 1..18 after it (the lake's scale), no sign, exponent or leading zero. For these, and only
# these, Decimal(s) is exact and str(Decimal(s)) == s (event ids hash str(Decimal)) -- except when s starts
# with "0.000000", which str() writes in scientific notation ("1E-7"); those are excluded below.
_PLAIN = r"^(?:0|[1-9][0-9]{0,18})(?:\.[0-9]{1,18})?$"
_SCIENTIFIC_IN_STR = "0.000000"
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_count_colons = methodcaller("count", b":")


class Shapes:
    """Strict struct types a venue's records come in, and one decoder per type for a list or one record.

    Args:
        types: The strict struct types, tried in order.
    """

    def __init__(self, *types: type) -> None:
        self._lists = [msgspec.json.Decoder(list[t]) for t in types]  # type: ignore[valid-type]  # t: a run-time type
        self._ones: list[msgspec.json.Decoder[Any]] = [msgspec.json.Decoder(t) for t in types]

    def decode(self, raws: Sequence[bytes], first: int = 0) -> list[Any]:
        """Decode every record as exactly one JSON value of one of the types; ``None`` where none fits.

        The batch is decoded in one call as a JSON array of the records. Each array element must then be
        exactly one record: the lengths of the elements (as ``msgspec.Raw``) are compared with the records',
        because a broken record can otherwise swallow the comma after it (``{"a":[1`` then ``2]}``).
        A batch that fails is halved until the bad records are found and decoded one at a time.

        Args:
            raws: The records.
            first: Index of the type to try first (the likely one).
        """
        if not raws:
            return []
        joined = b"[" + b",".join(raws) + b"]"
        try:
            aligned = list(map(len, _RAW_LIST.decode(joined))) == list(map(len, raws))
        except _DECODE_ERRORS:
            aligned = False
        if aligned:
            for decoder in (self._lists[first], *self._lists[:first], *self._lists[first + 1:]):
                try:
                    return decoder.decode(joined)
                except _DECODE_ERRORS:
                    continue
        if len(raws) > _SMALLEST_SPLIT:
            half = len(raws) // 2
            return self.decode(raws[:half], first) + self.decode(raws[half:], first)
        return [self._one(raw) for raw in raws]

    def _one(self, raw: bytes) -> Any:
        for decoder in self._ones:
            try:
                return decoder.decode(raw)
            except _DECODE_ERRORS:
                continue
        return None


def colons(raws: Sequence[bytes]) -> pa.Array:
    """``b":"`` count of every record.

    A JSON object member has exactly one colon outside strings, so a record whose strict struct proves K
    distinct keys present and which holds exactly K colons has no other key, no repeated key (the
    per-record path quarantines those) and no colon inside a string.
    """
    return pa.array(map(_count_colons, raws), type=pa.int64(), size=len(raws))


def plain_decimal(strings: pa.Array) -> pa.Array:
    """Mask of the decimal strings the fast path takes (see ``_PLAIN``); null strings are not taken."""
    plain = pc.match_substring_regex(strings, _PLAIN)
    return pc.and_kleene(plain, pc.invert(pc.starts_with(strings, _SCIENTIFIC_IN_STR))).fill_null(False)


def in_range(values: pa.Array, low: Decimal | int, high: Decimal | int, *, high_inclusive: bool = True) -> pa.Array:
    """Mask of ``low <= value <= high`` (``< high`` when not ``high_inclusive``); nulls are out of range."""
    lo = pc.greater_equal(values, pa.scalar(low))
    hi = (pc.less_equal if high_inclusive else pc.less)(values, pa.scalar(high))
    return pc.and_(lo, hi).fill_null(False)


def exact_product(a: pa.Array, b: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``a × b`` of two ``MONEY`` columns (each < 1E+19) as the lake stores it, and its sanity mask.

    The product is exact in decimal256 (at most 36 decimals), then rounded half-to-even to 18 decimals,
    exactly as ``events.mul`` followed by the store's quantize. The mask is ``MIN_NOTIONAL_USD <= a × b <=
    MAX_NOTIONAL_USD``; products outside it are returned as 0 (they are not taken).
    """
    try:
        # Most factors are < 1E+10 and < 1E+9 with at most 9 decimals each (safe casts prove it: they refuse to
        # drop a digit or overflow). Their product is then exact in decimal128 (38, 18), MONEY itself (Arrow
        # multiplies to precision p1 + p2 + 1, scale s1 + s2): no decimal256, no rounding, ~3x faster.
        narrow = pc.multiply(pc.cast(a, pa.decimal128(19, 9)), pc.cast(b, pa.decimal128(18, 9)))
    except pa.ArrowInvalid:
        pass
    else:
        ok = in_range(narrow, MIN_NOTIONAL_USD, MAX_NOTIONAL_USD)
        return pc.if_else(ok, narrow, pa.scalar(Decimal(0), MONEY)), ok
    product = pc.multiply(pc.cast(a, pa.decimal256(37, 18)), pc.cast(b, pa.decimal256(38, 18)))
    ok = in_range(product, MIN_NOTIONAL_USD, MAX_NOTIONAL_USD)
    kept = pc.if_else(ok, product, pa.scalar(Decimal(0), product.type))
    try:
        # Most products have at most 18 decimals (factors of at most 9 each): a safe cast proves it (it refuses
        # to drop a non-zero digit), and rounding them is the identity, so the round pass is skipped.
        return pc.cast(kept, MONEY), ok
    except pa.ArrowInvalid:
        return pc.cast(pc.round(kept, ndigits=18, round_mode="half_to_even"), MONEY), ok


def to_int64(values: list[int]) -> tuple[pa.Array, pa.Array]:
    """Python ints as int64, and the mask of those that fit (the others become 0)."""
    try:
        return pa.array(values, type=pa.int64()), pa.repeat(pa.scalar(True), len(values))
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
        fits = [type(v) is int and _I64_MIN <= v <= _I64_MAX for v in values]
        return (pa.array([v if ok else 0 for v, ok in zip(values, fits, strict=True)], type=pa.int64()),
                pa.array(fits, type=pa.bool_()))


def strings(raws: Sequence[bytes], *, max_bytes: int | None = None) -> pa.Array:
    """The records as an Arrow string array; a record that is not UTF-8 (or longer than ``max_bytes``) becomes
    "", which no template proves, so it goes down the reference path (which refuses it)."""
    if max_bytes is not None and raws and max(map(len, raws)) > max_bytes:
        raws = [r if len(r) <= max_bytes else b"" for r in raws]
    arr = pa.array(raws, type=pa.binary())
    try:
        return arr.cast(pa.string())
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere
        return pa.array([r.decode() if _utf8(r) else "" for r in raws], type=pa.string())


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
