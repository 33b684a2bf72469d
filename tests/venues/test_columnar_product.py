"""``_columnar.exact_product``: the lake's value of a x b, exact, rounded half-to-even once at 18 decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa

from liqscope.venues import _columnar as col

_Q = Decimal("1E-18")


def _expected(a: str, b: str) -> Decimal:
    return (Decimal(a) * Decimal(b)).quantize(_Q, rounding=ROUND_HALF_EVEN)


def _product(pairs: list[tuple[str, str]]) -> tuple[list[Decimal], list[bool]]:
    a = pa.array([Decimal(x) for x, _ in pairs], col.MONEY)
    b = pa.array([Decimal(y) for _, y in pairs], col.MONEY)
    product, ok = col.exact_product(a, b)
    return product.to_pylist(), ok.to_pylist()


def test_products_of_at_most_18_decimals_are_exact() -> None:
    pairs = [("142.6", "1.3794501"), ("0.000000001", "0.000000001"), ("99999.999999999", "0.1")]
    product, ok = _product(pairs)
    assert product == [_expected(*pairs[0]), Decimal(0), _expected(*pairs[2])]
    assert ok == [True, False, True]  # 1E-18 is below MIN_NOTIONAL_USD: not taken, returned as 0


def test_longer_products_are_rounded_half_to_even_once() -> None:
    # 0.5 ulp ties at the 18th decimal both ways, and a product of 36 decimals.
    pairs = [("2.000000000000000001", "0.5"), ("2.000000000000000003", "0.5"),
             ("0.123456789123456789", "3.333333333333333333"), ("1.5", "2")]
    product, ok = _product(pairs)
    assert product == [Decimal(1), Decimal("1.000000000000000002"), Decimal("0.411522630411522630"), Decimal(3)]
    assert product == [_expected(a, b) for a, b in pairs]
    assert ok == [True] * 4


def test_narrow_factors_take_decimal128_and_wider_ones_decimal256_with_the_same_values() -> None:
    # Every factor < 1E+10 / < 1E+9 with <= 9 decimals: the decimal128 multiply (the batch's common case).
    narrow = [("286", "0.4547453"), ("9999999999.999999999", "0.000000001"), ("0.001", "999999999.999999999")]
    product, ok = _product(narrow)
    assert product == [Decimal("130.0571558"), Decimal("9.999999999999999999"), Decimal("999999.999999999999")]
    assert ok == [True, True, True]
    # One factor of 10 decimals (or one >= 1E+10) sends the whole batch through decimal256: same values.
    wide = [*narrow, ("0.0000000001", "20000"), ("10000000000", "0.5")]
    product, ok = _product(wide)
    assert product == [Decimal("130.0571558"), Decimal("9.999999999999999999"), Decimal("999999.999999999999"),
                       Decimal("0.000002"), Decimal("5000000000")]
    assert ok == [True] * 5
