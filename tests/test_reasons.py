"""Quarantine reason codes are liqscope's own: decided from the record's bytes, never from a library's words."""

from __future__ import annotations

import pytest

from liqscope._shape import decode_failure
from liqscope.errors import Reason


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"e":"forceOrder","E":1766846\xff}', Reason.INVALID_UTF8),
    (b'{"e":"forceOrder","E":17668', Reason.TRUNCATED_JSON),
    (b'{"e":"forceOrder","o":{"s":"BTCU', Reason.TRUNCATED_JSON),     # cut inside a string
    (b'{"e":"forceOrder","o":{"s":"B\\"TC', Reason.TRUNCATED_JSON),   # ... after an escaped quote
    (b'{"e":"forceOrder","o":{"ap":NaN}}', Reason.NON_FINITE),
    (b'{"e":"forceOrder","o":{"ap":-Infinity}}', Reason.NON_FINITE),
    (b'{"e" "forceOrder"}', Reason.MALFORMED_JSON),
    (b'{"e":"forceOrder"}}', Reason.MALFORMED_JSON),
    (b'{"s":"x"} trailing', Reason.MALFORMED_JSON),
])
def test_a_rejected_json_record_is_classified_from_its_bytes(raw, code):
    assert decode_failure(raw) is code


def test_every_reason_code_is_a_lowercase_identifier():
    assert all(r.value.isidentifier() and r.value == r.value.lower() for r in Reason)
