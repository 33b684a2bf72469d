"""Why a record failed to decode: liqscope's own reason code, found by looking at the record itself.

Decoders (msgspec, the stdlib) say what went wrong in words that change between releases. The code
stored with a quarantined record must not: so each failure is classified here from the bytes and the
document, and the library's message is kept only as detail.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from liqscope.errors import Reason

__all__ = ["decode_failure", "validation_failure"]

# msgspec names the location of a validation failure as a JSON path, "... - at `$.o.S`" / "`$[0].price`",
# and a missing field as "missing required field `s`". Only the path is read from the message, and the
# code is decided by looking the path up in the document.
_PATH = re.compile(r"at `\$([^`]*)`")
_MISSING = re.compile(r"required field `([^`]*)`")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


class _NonFinite(Exception):
    pass


def _reject_constant(name: str) -> float:
    raise _NonFinite(name)


def decode_failure(raw: bytes) -> Reason:
    """The code of a record the JSON decoder rejected: not UTF-8, cut short, NaN/Infinity, or malformed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Reason.INVALID_UTF8
    try:
        json.loads(text, parse_constant=_reject_constant)
    except _NonFinite:
        return Reason.NON_FINITE
    except json.JSONDecodeError as e:
        return Reason.TRUNCATED_JSON if _cut_short(text.rstrip(), e.pos) else Reason.MALFORMED_JSON
    except RecursionError:
        return Reason.TOO_DEEP
    except ValueError:  # e.g. an integer of more digits than the stdlib converts
        return Reason.NUMBER_OVERFLOW
    return Reason.MALFORMED_JSON  # JSON to the stdlib but not to the venue's decoder


def _cut_short(text: str, pos: int) -> bool:
    # The document ends where the parser still wanted more: at the very end, or inside a string that is
    # never closed (the stdlib points at the string's opening quote).
    if pos >= len(text):
        return True
    if text[pos] != '"':
        return False
    i = pos + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return False
        i += 1
    return True


def _path_steps(path: str) -> list[str | int]:
    return [name if name is not None else int(index) for name, index in
            ((m.group(1), m.group(2)) for m in _STEP.finditer(path))]


def _lookup(doc: Any, steps: list[str | int]) -> tuple[bool, Any]:
    # (found, value) of the path in the generic document.
    node = doc
    for step in steps:
        in_list = isinstance(step, int) and isinstance(node, list) and step < len(node)
        if in_list or (isinstance(step, str) and isinstance(node, dict) and step in node):
            node = node[step]
        else:
            return False, None
    return True, node


def field_path(message: str) -> tuple[str | None, str | None]:
    """(path, missing key) named by a validation message: ``("o", "s")`` for a missing ``$.o.s``."""
    at = _PATH.search(message)
    missing = _MISSING.search(message)
    return (at.group(1).lstrip(".") if at else None), (missing.group(1) if missing else None)


def validation_failure(message: str, raw: bytes | msgspec.Raw) -> Reason:
    """The code of a record that is JSON but not the venue's shape: a missing, null or wrongly typed field.

    The field is looked up in the document ``raw`` (the bytes the failing decoder was given).
    """
    path, missing = field_path(message)
    try:
        doc = json.loads(bytes(raw))  # bytes, or a msgspec.Raw slice of a larger document
    except (ValueError, RecursionError):
        return Reason.WRONG_TYPE
    steps = _path_steps("." + path if path and not path.startswith("[") else path or "")
    found, value = _lookup(doc, steps)
    if missing is not None:
        if found and isinstance(value, dict) and missing not in value:
            return Reason.MISSING_FIELD
        return Reason.WRONG_TYPE
    if found and value is None and steps:  # a null document is a wrongly typed document, not a null field
        return Reason.NULL_FIELD
    return Reason.WRONG_TYPE
