"""The API's two response shapes: exactly one for success, exactly one for failure.

Success::

    {"ok": true, "data": <the library result>, "meta": {"methodologies": [{"name", "version",
     "fingerprint"}, ...], "liqscope": "0.1.0"}}

Failure::

    {"ok": false, "error": "<one sentence>", "errors": [{"param", "message", "valid"}], "status": 400}

Money is encoded as exact JSON numbers (every digit the lake holds), as in ``liqscope … --json``.
Pure: no web framework here, so the CLI's in-process ``api get`` and the tests share it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from liqscope.methodology import Methodology

__all__ = [
    "ERROR_SCHEMA",
    "Failure",
    "FieldError",
    "MethodologyRef",
    "Success",
    "failure",
    "methodology_ref",
    "openapi_components",
    "success",
    "success_schema",
]

_VERSION = "0.1.0"
_ENCODER = msgspec.json.Encoder(decimal_format="number")


class MethodologyRef(msgspec.Struct, kw_only=True):
    """Which rules produced the numbers in ``data``."""

    name: str
    version: int
    fingerprint: str


class Meta(msgspec.Struct, kw_only=True):
    methodologies: list[MethodologyRef]
    liqscope: str = _VERSION


class Success(msgspec.Struct, kw_only=True):
    """The success envelope."""

    ok: bool
    data: Any
    meta: Meta


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What is wrong with one request parameter, and its valid values when they form a closed set."""

    param: str
    message: str
    valid: list[str] | None = None


class Failure(msgspec.Struct, kw_only=True):
    """The error envelope."""

    ok: bool
    error: str
    errors: list[FieldError]
    status: int


def methodology_ref(m: Methodology) -> MethodologyRef:
    """The name, version and fingerprint of ``m``, as ``meta`` lists them."""
    return MethodologyRef(name=m.name, version=m.version, fingerprint=m.fingerprint())


def success(data: Any, methodologies: list[Methodology] | tuple[Methodology, ...] = ()) -> bytes:
    """Encode ``data`` in the success envelope, naming the methodologies behind it."""
    meta = Meta(methodologies=[methodology_ref(m) for m in methodologies])
    return _ENCODER.encode(Success(ok=True, data=data, meta=meta))


def failure(status: int, error: str, errors: list[FieldError] | None = None) -> bytes:
    """Encode an error in the error envelope. ``error`` is a sentence for people, never a traceback."""
    return _ENCODER.encode(Failure(ok=False, error=error, errors=errors or [], status=status))


# OpenAPI: msgspec writes the schemas; money is a number on the wire, so say so in the schema too.
def _numbers(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "decimal":
            return {"type": "number"}
        return {k: _numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    return node


_REF = "#/components/schemas/{name}"


def _any(t: Any) -> dict[str, Any]:
    if t is object:
        return {"description": "any JSON value"}  # free-form (a methodology's rules)
    raise NotImplementedError(t)


def openapi_components(types: list[Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """JSON schemas for ``types`` (referencing ``#/components/schemas``) and the components they use."""
    schemas, components = msgspec.json.schema_components([Failure, Meta, *types], ref_template=_REF,
                                                         schema_hook=_any)
    return _numbers(list(schemas[2:])), _numbers(components)


def success_schema(data_schema: dict[str, Any]) -> dict[str, Any]:
    """The success envelope's schema with ``data`` described by ``data_schema``."""
    return {
        "type": "object",
        "required": ["ok", "data", "meta"],
        "properties": {"ok": {"const": True}, "data": data_schema, "meta": {"$ref": _REF.format(name="Meta")}},
    }


ERROR_SCHEMA: dict[str, Any] = {"$ref": _REF.format(name="Failure")}
