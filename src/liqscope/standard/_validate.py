# A validator of the JSON Schema keywords the standard uses (draft 2020-12 semantics), and `liqscope validate`.
# Pure Python on purpose: one schema, a dozen keywords, no dependency. Unknown keywords are refused, so the
# schema cannot grow a keyword this validator would silently skip (tests/standard/test_validate.py).
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from liqscope.standard._schema import json_schema

_ANNOTATIONS = {"$schema", "$id", "title", "description", "version"}
_KNOWN = _ANNOTATIONS | {"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                         "items", "uniqueItems", "minItems", "maxItems", "properties", "patternProperties",
                         "required", "additionalProperties", "allOf", "if", "then", "else"}
_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "null": type(None)}
_MAX_ERRORS = 100  # per file: past that, the file is plainly not in the format


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One way a record breaks the schema.

    Attributes:
        line: 1-based line of the file (0 for a whole-file problem).
        field: JSON path of the value at fault (``$`` for the record itself).
        message: What is wrong.
    """

    line: int
    field: str
    message: str


class Validation(msgspec.Struct, frozen=True, kw_only=True):
    """What ``validate_file`` found.

    Attributes:
        file: The file checked.
        schema: The schema's ``$id``.
        records: Records read.
        valid: Records that validate.
        problems: Every problem, by line (at most 100).
        truncated: More problems were found than listed.
    """

    file: str
    schema: str
    records: int
    valid: int
    problems: list[Problem]
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """True when every record validates."""
        return not self.problems and self.records > 0


def _is(value: Any, name: str) -> bool:
    if name == "integer":
        return type(value) is int
    if name == "number":
        return type(value) in (int, float)
    return type(value) is _TYPES[name]


def errors(value: Any, schema: dict[str, Any], path: str = "$") -> Iterator[tuple[str, str]]:
    """Yield ``(path, message)`` for every way ``value`` breaks ``schema`` (the keywords listed in _KNOWN).

    Raises:
        ValueError: The schema uses a keyword this validator does not implement.
    """
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"schema keyword(s) {sorted(unknown)} not implemented; known: {sorted(_KNOWN)}")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, n) for n in names):
            yield path, f"expected {' or '.join(names)}, got {_json_type(value)} {_show(value)}"
            return
    if "enum" in schema and value not in schema["enum"]:
        yield path, f"{_show(value)} is not one of {', '.join(_show(v) for v in schema['enum'])}"
    if "const" in schema and value != schema["const"]:
        yield path, f"{_show(value)} must be {_show(schema['const'])}"
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield path, f"{_show(value)} does not match {schema['pattern']}"
        if len(value) < schema.get("minLength", 0):
            yield path, f"must not be shorter than {schema['minLength']} character(s)"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield path, f"must not be longer than {schema['maxLength']} characters"
    if type(value) is int:
        if "minimum" in schema and value < schema["minimum"]:
            yield path, f"{value} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"{value} is above the maximum {schema['maximum']}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield path, f"needs at least {schema['minItems']} item(s)"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield path, f"allows at most {schema['maxItems']} item(s)"
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            yield path, "items must be unique"
        if "items" in schema:
            for i, item in enumerate(value):
                yield from errors(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        yield from _object(value, schema, path)
    for sub in schema.get("allOf", []):
        yield from errors(value, sub, path)
    if "if" in schema:
        branch = "then" if not any(True for _ in errors(value, schema["if"], path)) else "else"
        if branch in schema:
            yield from errors(value, schema[branch], path)


def _object(value: dict[str, Any], schema: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            yield f"{path}.{name}", "required field is missing"
    patterns = schema.get("patternProperties", {})
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in props:
            yield from errors(item, props[name], where)
            continue
        matched = [p for p in patterns if re.search(p, name)]
        for p in matched:
            yield from errors(item, patterns[p], where)
        if not matched and schema.get("additionalProperties") is False:
            yield where, f"unknown field (valid fields: {', '.join(props)})"


def _json_type(value: Any) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object",
            type(None): "null"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_record(record: Any, schema: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Return the ``(field path, message)`` problems of one decoded record (``[]``: valid)."""
    return list(errors(record, schema or json_schema()))


def validate_file(path: Path) -> Validation:
    """Check every line of a JSON-lines file (a ``liqscope export --format jsonl``) against the schema.

    A line that is not JSON is a problem of that line; blank lines are skipped. The file is read as it
    comes; nothing is written.

    Raises:
        OSError: The file cannot be read.
    """
    schema = json_schema()
    problems: list[Problem] = []
    records = valid = 0
    truncated = False
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            records += 1
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError) as e:
                found = [("$", f"not JSON: {e}")]
            else:
                found = validate_record(record, schema)
            if not found:
                valid += 1
            for field, message in found:
                if len(problems) >= _MAX_ERRORS:
                    truncated = True
                    break
                problems.append(Problem(line=line_no, field=field, message=message))
    if records == 0:
        problems.append(Problem(line=0, field="$", message="the file holds no record"))
    return Validation(file=str(path), schema=schema["$id"], records=records, valid=valid, problems=problems,
                      truncated=truncated)
