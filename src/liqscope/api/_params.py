# Request parameters: their types (closed sets become OpenAPI enums), limits, and the checks that
# FastAPI's types cannot express (a window with an offset, end after start, a maximum span).
from __future__ import annotations

import inspect
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import Query, Request

from liqscope._time import TIME_RANGE, parse_iso_ns
from liqscope.api.envelope import FieldError
from liqscope.errors import ConfigError, LiqscopeError
from liqscope.methodology import Methodology, builtin_names, load
from liqscope.metrics import Counted
from liqscope.metrics import counted as count
from liqscope.metrics.events import EventFilter
from liqscope.metrics.levels import REALIZED
from liqscope.metrics.timeline import BUCKETS
from liqscope.store import Catalog
from liqscope.venues import venues

MAX_WINDOW_DAYS = 1830          # five years: the bundled data spans 2023-2025
MAX_PAGE = 500                  # rows per page of /api/events
MAX_LARGEST = 1000
_DAY_NS = 86_400 * 10**9

VENUES: tuple[str, ...] = tuple(sorted(venues()))
METHODOLOGIES: tuple[str, ...] = tuple(builtin_names())
SIDES = ("LONG", "SHORT", "UNKNOWN")
ORDERS = ("time_desc", "time_asc", "usd_desc")

# The registry and the built-in presets are read once, when the API module is first imported, so the
# OpenAPI document lists them as enums.
VenueName = Literal[VENUES]                 # type: ignore[valid-type]  # a Literal of values read at import
MethodologyName = Literal[METHODOLOGIES]    # type: ignore[valid-type]  # a Literal of values read at import
BucketName = Literal[tuple(BUCKETS)]        # type: ignore[valid-type]  # a Literal of values read at import
Side = Literal[SIDES]                       # type: ignore[valid-type]  # a Literal of values read at import
Order = Literal[ORDERS]                     # type: ignore[valid-type]  # a Literal of values read at import

# Closed sets by parameter name: validation errors list these as the valid values.
VALID: dict[str, list[str]] = {
    "venue": list(VENUES), "methodology": list(METHODOLOGIES), "name": list(METHODOLOGIES),
    "a": list(METHODOLOGIES), "b": list(METHODOLOGIES), "bucket": list(BUCKETS), "side": list(SIDES),
    "order": list(ORDERS), "realized": list(REALIZED),
}

ISO = r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2}))?$"
TIME_HELP = ("ISO-8601 with an explicit offset (2025-12-27T14:00:00Z); a bare date means midnight UTC. "
              f"Venue time, within {TIME_RANGE}.")

Start = Annotated[str, Query(description="Window start, inclusive. " + TIME_HELP, pattern=ISO,
                             examples=["2025-12-27T00:00:00Z"])]
End = Annotated[str, Query(description=f"Window end, exclusive; at most {MAX_WINDOW_DAYS} days after start. "
                           + TIME_HELP, pattern=ISO, examples=["2025-12-29T00:00:00Z"])]
MethodologyQ = Annotated[MethodologyName, Query(description="A built-in methodology (see /api/methodologies).")]
VenuesQ = Annotated[list[VenueName] | None, Query(description="Only these venues (repeatable).")]


class ApiError(Exception):
    """A request the API refuses: status, a sentence, and per-parameter details."""

    def __init__(self, status: int, error: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.errors = status, error, errors or []


def bad(param: str, message: str) -> ApiError:
    return ApiError(400, f"{param}: {message}", [FieldError(param=param, message=message, valid=VALID.get(param))])


def instant(param: str, text: str) -> int:
    """One time in ns, or a 400 naming ``param``."""
    try:
        return parse_iso_ns(text, what=param)
    except ConfigError as e:
        raise bad(param, str(e).removeprefix(f"{param}: ")) from None


def names(param: str, values: list[str] | None) -> list[str]:
    """Free-form names (assets, markets): 1-64 printable characters each, upper-cased."""
    for v in values or ():
        if not v or len(v) > 64 or not v.isprintable():
            raise bad(param, f"{v!r} is not a {param} name (1-64 printable characters)")
    return sorted({v.upper() for v in values or ()})


def window(start: str, end: str) -> tuple[int, int]:
    """[start, end) in ns, or a 400 naming the parameter at fault."""
    try:
        s = parse_iso_ns(start, what="start")
    except ConfigError as e:
        raise bad("start", str(e).removeprefix("start: ")) from None
    try:
        e_ = parse_iso_ns(end, what="end")
    except ConfigError as e:
        raise bad("end", str(e).removeprefix("end: ")) from None
    if e_ <= s:
        raise bad("end", f"must be after start ({start})")
    if e_ - s > MAX_WINDOW_DAYS * _DAY_NS:
        raise bad("end", f"the window may span at most {MAX_WINDOW_DAYS} days")
    return s, e_


def methodology(name: str) -> Methodology:
    """The built-in ``name``, or a 400 naming the parameter."""
    try:
        return load(name)
    except LiqscopeError as e:
        raise bad("methodology", str(e)) from None


def counted(catalog: Catalog, name: str, start: str, end: str, only_venues: list[str] | None = None) -> Counted:
    """The built-in ``name`` applied once to the anchor [start, end), narrowed to ``only_venues``.

    A methodology that covers none of ``only_venues`` is not an error: its Counted says "not covered
    by this methodology" and every face shows that in its row.
    """
    m, (s, e) = methodology(name), window(start, end)
    return count(catalog, m, s, e, venues=tuple(only_venues or ()))


def money(param: str, text: str | None) -> Decimal:
    if text is None:
        return Decimal(0)
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise bad(param, f"{text!r} is not a decimal number of USD") from None
    if not d.is_finite() or d < 0 or d > Decimal(10) ** 15:
        raise bad(param, f"{text!r} must be between 0 and 1e15 USD")
    return d


def event_filter(venue: list[str] | None, side: str | None, asset: list[str] | None, market: list[str] | None,
                 min_notional_usd: str | None) -> EventFilter:
    return EventFilter(venues=tuple(sorted(set(venue or ()))), side=side,  # type: ignore[arg-type]  # FastAPI checked it against Side
                       assets=tuple(names("asset", asset)), markets=tuple(names("market", market)),
                       min_notional_usd=money("min_notional_usd", min_notional_usd))


def no_unknown_params(request: Request) -> None:
    """Reject query parameters the route does not declare: a typo must not silently widen a query."""
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    if endpoint is None:
        return
    known = {p for p in inspect.signature(endpoint).parameters if p != "request"}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        valid = sorted(known - set(getattr(route, "param_convertors", {})))
        raise ApiError(400, f"{unknown[0]}: unknown query parameter; valid parameters: {', '.join(valid) or 'none'}",
                       [FieldError(param=p, message="unknown query parameter", valid=valid) for p in unknown])


_ISO_HINT = "not an ISO-8601 time with an offset (e.g. 2025-12-27T14:00:00Z, or a bare date 2025-12-27)"
_MESSAGES: dict[tuple[str, str | None], str] = {
    ("start", "string_pattern_mismatch"): _ISO_HINT,
    ("end", "string_pattern_mismatch"): _ISO_HINT,
    ("at", "string_pattern_mismatch"): _ISO_HINT,
    ("min_notional_usd", "string_pattern_mismatch"): "not a plain decimal number of USD (e.g. 10000 or 2500.5)",
}


def validation_errors(errors: list[dict[str, Any]]) -> ApiError:
    """FastAPI's validation details -> one 400 naming each parameter and its valid values."""
    out = []
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path")]
        param = loc[0] if loc else "request"
        message = _MESSAGES.get((param, err.get("type")), str(err.get("msg", "invalid value")))
        if err.get("type") == "literal_error":
            message = f"{err.get('input')!r} is not a valid value"
        out.append(FieldError(param=param, message=message, valid=VALID.get(param)))
    first = out[0] if out else FieldError(param="request", message="invalid request")
    hint = f"; valid values: {', '.join(first.valid)}" if first.valid else ""
    return ApiError(400, f"{first.param}: {first.message}{hint}", out)
