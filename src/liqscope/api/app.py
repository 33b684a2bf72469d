"""The HTTP API and the dashboard: routes only. Each route validates, calls the library, wraps the result.

Read-only (GET only). Every response is one of the two envelopes in ``liqscope.api.envelope``, and carries
the security headers of ``liqscope.api._guard``. Around the routes, outermost first: security headers,
the Host/Origin allow-list (``_guard.HostGuard``), admission control (``_admission.Admission``), CORS.
"""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from liqscope._time import MAX_TIME, MIN_TIME
from liqscope.alerts import AlertHistory, Fired
from liqscope.api import _levels, _panels, _trader
from liqscope.api import _params as p
from liqscope.api._admission import Admission, Limits
from liqscope.api._guard import HostGuard, security_headers
from liqscope.api._live import LakeHandle, lake_events
from liqscope.api._params import End, MethodologyQ, Start, VenuesQ
from liqscope.api._views import (
    Endpoint,
    MethodologyInfo,
    RawView,
    ServerInfo,
    VenueInfo,
    methodology_info,
    raw_view,
    venue_info,
)
from liqscope.api.envelope import ERROR_SCHEMA, failure, openapi_components, success, success_schema
from liqscope.errors import ConfigError, LiqscopeError, NotInLake
from liqscope.methodology import load
from liqscope.metrics import Counted
from liqscope.metrics.events import EventsPage, LakeSummary, events, lake_summary
from liqscope.metrics.report import Largest, Report, ReportCoverage, report
from liqscope.metrics.timeline import Timeline, timeline
from liqscope.venues import venues

if TYPE_CHECKING:
    from starlette.middleware.cors import CORSMiddleware

__all__ = ["create_app"]

log = logging.getLogger("liqscope.api")
_JSON = "application/json"
_STATIC = files("liqscope.web").joinpath("static")

# Response schemas: data types -> OpenAPI components (money is a JSON number).
_DATA_TYPES: list[Any] = [ServerInfo, LakeSummary, list[VenueInfo], list[MethodologyInfo], MethodologyInfo, Report,
                          Timeline, EventsPage, list[Largest], ReportCoverage, RawView, list[Fired],
                          *_panels.data_types(), *_levels.data_types(), *_trader.data_types()]
_DATA_SCHEMAS, _COMPONENTS = openapi_components(_DATA_TYPES)


def _responses(data_type: Any, *extra: int) -> dict[int | str, dict[str, Any]]:
    schema = _DATA_SCHEMAS[_DATA_TYPES.index(data_type)]
    out: dict[int | str, dict[str, Any]] = {
        200: {"description": "Success envelope", "content": {_JSON: {"schema": success_schema(schema)}}},
        400: {"description": "Invalid parameter (error envelope)", "content": {_JSON: {"schema": ERROR_SCHEMA}}},
    }
    for status in extra:
        out[status] = {"description": "Error envelope", "content": {_JSON: {"schema": ERROR_SCHEMA}}}
    return {**out, **_REFUSALS}


# Every path may be refused before its route runs (see docs/api.md, Security).
_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"description": f"{what} (error envelope)", "content": {_JSON: {"schema": ERROR_SCHEMA}}}
    for status, what in ((403, "Host or Origin not allowed"),
                         (503, "Busy: no request slot free in time; see the Retry-After header"),
                         (504, "The request ran longer than the server's limit"))
}


def _ok(data: Any, *methodologies: Any) -> Response:
    return Response(success(data, methodologies), media_type=_JSON)


def _lake(request: Request):  # -> Catalog
    return request.app.state.lake.current()


def _counted(request: Request, methodology: str, start: str, end: str, venue: list[str] | None = None) -> Counted:
    return p.counted(_lake(request), methodology, start, end, venue)


def _report(request: Request, c: Counted, largest: int = 10) -> Report:
    # Reports are memoized until the next batch lands: the dashboard asks for the same ones repeatedly.
    key = ("report", c.fingerprint, c.start_ns, c.end_ns, tuple(c.coverage.requested_venues), largest)
    return request.app.state.lake.cached(key, lambda _: report(c, largest_n=largest))


router = APIRouter(prefix="/api", dependencies=[Depends(p.no_unknown_params)], default_response_class=Response)


@router.get("/server", summary="What this server offers", responses=_responses(ServerInfo))
def get_server(request: Request) -> Response:
    eps = [Endpoint(path=path, summary=op.get("summary", ""))
           for path, ops in request.app.openapi()["paths"].items() for op in ops.values()]
    return _ok(ServerInfo(
        liqscope=request.app.version, endpoints=eps, panels=list(_panels.PANELS), missing_panels=[],
        venues=list(p.VENUES), methodologies=list(p.METHODOLOGIES), default_methodology="standard",
        buckets=list(p.VALID["bucket"]), max_window_days=p.MAX_WINDOW_DAYS, min_time=MIN_TIME, max_time=MAX_TIME,
        max_page=p.MAX_PAGE, max_largest=p.MAX_LARGEST, live_poll_seconds=request.app.state.poll_s))


@router.get("/lake", summary="Batches committed and stored rows per venue (before any methodology)",
            responses=_responses(LakeSummary))
def get_lake(request: Request) -> Response:
    return _ok(lake_summary(_lake(request)))


@router.get("/alerts", summary="Alerts live evaluation fired, newest first, with their deliveries",
            responses=_responses(list[Fired]))
def get_alerts(request: Request, limit: Annotated[int, Query(ge=1, le=200, description="Most recent N.")] = 20
               ) -> Response:
    return _ok(AlertHistory(_lake(request).root).recent(limit))


@router.get("/raw/{ref}", summary="The raw record an event's raw_ref names, byte for byte, with its batches",
            responses=_responses(RawView, 404))
def get_raw(request: Request, ref: str) -> Response:
    return _ok(raw_view(_lake(request).raw_record(ref)))


@router.get("/venues", summary="Registered venues: side convention, units, sampling",
            responses=_responses(list[VenueInfo]))
def get_venues() -> Response:
    return _ok([venue_info(s) for s in venues().values()])


@router.get("/methodologies", summary="Built-in methodologies and their fingerprints",
            responses=_responses(list[MethodologyInfo]))
def get_methodologies() -> Response:
    ms = [load(n) for n in p.METHODOLOGIES]
    return _ok([methodology_info(m) for m in ms], *ms)


@router.get("/methodologies/{name}", summary="One methodology with its rules",
            responses=_responses(MethodologyInfo, 404))
def get_methodology(name: str) -> Response:
    if name not in p.METHODOLOGIES:
        raise p.ApiError(404, f"name: unknown methodology {name!r}; valid values: {', '.join(p.METHODOLOGIES)}",
                         [p.FieldError(param="name", message="unknown methodology", valid=list(p.METHODOLOGIES))])
    m = load(name)
    return _ok(methodology_info(m, rules=True), m)


@router.get("/report", summary="Total, long/short, per asset and venue, largest, coverage",
            responses=_responses(Report))
def get_report(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
               venue: VenuesQ = None,
               largest: Annotated[int, Query(ge=1, le=p.MAX_LARGEST, description="Rows of the largest board.")] = 10,
               ) -> Response:
    c = _counted(request, methodology, start, end, venue)
    return _ok(_report(request, c, largest), c.methodology)


@router.get("/timeline", summary="Counted notional per time bucket, long/short stacked",
            responses=_responses(Timeline))
def get_timeline(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                 venue: VenuesQ = None,
                 bucket: Annotated[p.BucketName,  # type: ignore[valid-type]  # a Literal built at import (_params)
                                   Query(description="Bucket width (UTC-aligned).")] = "1h",
                 ) -> Response:
    c = _counted(request, methodology, start, end, venue)
    try:
        return _ok(timeline(c, bucket=bucket), c.methodology)
    except ConfigError as err:
        raise p.bad("bucket", str(err).removeprefix("bucket: ")) from None


@router.get("/events", summary="Counted liquidations, filtered and paginated", responses=_responses(EventsPage))
def get_events(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
               venue: VenuesQ = None,
               side: Annotated[p.Side | None, Query(description="Liquidated position side.")] = None,
               asset: Annotated[list[str] | None, Query(description="Base assets, e.g. BTC (repeatable).")] = None,
               market: Annotated[list[str] | None, Query(description="Venue markets, e.g. BTCUSDT (repeatable).")]
               = None,
               min_notional_usd: Annotated[str | None, Query(pattern=r"^\d{1,15}(\.\d{1,18})?$",
                                                             description="Smallest notional, USD.")] = None,
               order: Annotated[p.Order, Query(description="Sort order.")] = "time_desc",
               limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE, description="Page size.")] = 100,
               offset: Annotated[int, Query(ge=0, le=10**9, description="Rows to skip.")] = 0,
               ) -> Response:
    c = _counted(request, methodology, start, end, venue)
    where = p.event_filter(None, side, asset, market, min_notional_usd)
    return _ok(events(c, where=where, limit=limit, offset=offset, order=order), c.methodology)


@router.get("/largest", summary="The largest liquidations, each with its raw record reference",
            responses=_responses(list[Largest]))
def get_largest(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                venue: VenuesQ = None,
                n: Annotated[int, Query(ge=1, le=p.MAX_LARGEST, description="Rows.")] = 20) -> Response:
    c = _counted(request, methodology, start, end, venue)
    return _ok(_report(request, c, n).largest, c.methodology)


@router.get("/coverage", summary="What the numbers cover: venues, first/last event, sampling",
            responses=_responses(ReportCoverage))
def get_coverage(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                 venue: VenuesQ = None) -> Response:
    c = _counted(request, methodology, start, end, venue)
    return _ok(_report(request, c).coverage, c.methodology)


@router.get("/live", summary="Server-sent events: `event: lake` whenever a batch is committed",
            response_class=StreamingResponse,
            responses={200: {"description": "text/event-stream", "content": {"text/event-stream": {}}},
                       **{k: v for k, v in _REFUSALS.items() if k != 504}})
def get_live(request: Request) -> StreamingResponse:
    stream = lake_events(request.app.state.lake.catalog.layout.batches, request.app.state.poll_s,
                         stop=request.app.state.stopping)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


_panels.register(router, _responses, _ok, _lake, _report)
_levels.register(router, _responses, _ok, _lake)
_trader.register(router, _responses, _ok, _lake, _report)


class _App(FastAPI):
    # The guards wrap the whole stack, FastAPI's error middleware included, so that every response (a 500
    # too) carries the security headers and no request reaches a route before it is let in.
    def build_middleware_stack(self) -> Any:
        stack = super().build_middleware_stack()
        st = self.state
        return security_headers(HostGuard(Admission(stack, st.limits), st.allow_hosts, st.cors_origins))


def create_app(data_dir: Path, *, cors_origins: tuple[str, ...] = (), poll_s: float = 1.0,
               allow_hosts: tuple[str, ...] = (), limits: Limits | None = None) -> FastAPI:
    """The API plus the dashboard over the lake in ``data_dir``.

    Args:
        data_dir: The data directory (``--data-dir``).
        cors_origins: Origins allowed to read the API from another site; none by default (closed).
        poll_s: How often ``/api/live`` looks for new batches, in seconds.
        allow_hosts: Host names (any port) accepted besides the loopback ones (127.0.0.1, localhost, ::1);
            a request naming another host gets 403.
        limits: Admission control (concurrency, queue, timeouts); ``Limits()`` by default.
    """
    import asyncio

    from liqscope import __version__

    app = _App(title="liqscope", version=__version__, openapi_url="/api/openapi.json", docs_url=None,
               redoc_url=None, description="Read-only liquidation statistics under declared, fingerprinted "
               "methodologies. Every success is {ok, data, meta}; every error is {ok, error, errors, status}.")
    app.state.lake, app.state.poll_s, app.state.stopping = LakeHandle(Path(data_dir)), poll_s, asyncio.Event()
    app.state.allow_hosts, app.state.cors_origins = tuple(allow_hosts), tuple(cors_origins)
    app.state.limits = limits or Limits()
    app.include_router(router)
    if cors_origins:
        app.add_middleware(_cors_middleware(), allow_origins=list(cors_origins), allow_methods=["GET"])

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(_STATIC.joinpath("index.html")), headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    _install_errors(app)
    _install_openapi(app)
    return app


def _cors_middleware() -> type[CORSMiddleware]:
    from starlette.datastructures import Headers
    from starlette.middleware.cors import CORSMiddleware

    class EnvelopeCORS(CORSMiddleware):
        # Starlette refuses a preflight with a plain-text 400; ours says the same in the error envelope.
        def preflight_response(self, request_headers: Headers) -> Response:
            resp = super().preflight_response(request_headers)
            if resp.status_code < 400:
                return resp
            refused = bytes(resp.body).decode().removeprefix("Disallowed CORS ").split(", ")
            allowed = {"origin": ", ".join(self.allow_origins), "method": "GET"}
            text = "CORS preflight refused, not allowed: " + "; ".join(
                f"{r} (allowed: {allowed[r]})" if r in allowed else r for r in refused)
            headers = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "content-type")}
            return Response(failure(resp.status_code, text), status_code=resp.status_code, media_type=_JSON,
                            headers=headers)

    return EnvelopeCORS


def _install_errors(app: FastAPI) -> None:
    def respond(status: int, error: str, errors: list[Any] | None = None) -> Response:
        return Response(failure(status, error, errors), status_code=status, media_type=_JSON)

    @app.exception_handler(p.ApiError)
    async def api_error(_: Request, e: p.ApiError) -> Response:
        return respond(e.status, e.error, e.errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError) -> Response:
        err = p.validation_errors(list(e.errors()))
        return respond(err.status, err.error, err.errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> Response:
        text = {404: f"no such path {request.url.path!r}; see /api/openapi.json",
                405: "the API is read-only: only GET is allowed"}.get(e.status_code, str(e.detail))
        return respond(e.status_code, text)

    @app.exception_handler(LiqscopeError)
    async def library_error(_: Request, e: LiqscopeError) -> Response:
        status = 400 if isinstance(e, ConfigError) else 404 if isinstance(e, NotInLake) else 500
        return respond(status, str(e))

    @app.exception_handler(Exception)
    async def crash(request: Request, e: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)  # the traceback stays in the server log
        return respond(500, f"internal error ({type(e).__name__}); the server log has the details")


def _install_openapi(app: FastAPI) -> None:
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in doc.get("paths", {}).values():
                for op in path.values():
                    op.get("responses", {}).pop("422", None)  # validation errors are 400 error envelopes
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            schemas.update(_COMPONENTS)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to amend the schema
