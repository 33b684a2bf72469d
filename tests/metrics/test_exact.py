"""`exact` drops the lake's trailing zeros and never changes a value, however many digits it has."""

from __future__ import annotations

from decimal import Decimal

from liqscope.metrics._counted import exact


def test_trailing_zeros_go_and_the_value_stays():
    assert str(exact(Decimal("1.500000000000000000"))) == "1.5"
    assert str(exact(Decimal("2051029.334921000000000000"))) == "2051029.334921"
    assert exact(Decimal("0E-18")) == 0


def test_a_sum_with_more_than_28_significant_digits_is_not_rounded():
    # 38 significant digits: a DECIMAL(38, 18) sum of $12.3 billion (the default context would round it).
    big = Decimal("12345678901234567890.123456789012345678")
    assert exact(big) == big and str(exact(big)) == "12345678901234567890.123456789012345678"
    assert str(exact(Decimal("12345678901.123456789012345670"))) == "12345678901.12345678901234567"
