# Small pure helpers the venues' market parsers share.
from __future__ import annotations

import decimal
from decimal import Decimal

_CTX = decimal.Context(prec=40)


def premium_of(mark: Decimal | None, index: Decimal | None) -> Decimal | None:
    """(mark − index) / index, or ``None`` when either is missing or the index is not positive."""
    if mark is None or index is None or index <= 0:
        return None
    return _CTX.divide(mark - index, index)


def ms_ns(ms: int | str) -> int:
    """Epoch ms (int or decimal string, as venues send it) -> ns."""
    return int(ms) * 1_000_000


def dec_or_none(text: str | None) -> Decimal | None:
    """A venue decimal string, or ``None`` for ``""``/missing (venues send "" for "not applicable")."""
    if text is None or text == "":
        return None
    return Decimal(text)
