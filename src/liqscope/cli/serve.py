"""`liqscope serve` (HTTP API + dashboard) and `liqscope api get PATH` (one request, in-process)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import click

from liqscope.api import Limits
from liqscope.cli._common import data_dir_option, emit, err_console, library_errors, main, output_format
from liqscope.store import Catalog

_DEFAULT = Limits()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. The default is this machine only; the API is read-only either way.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow a web page from ORIGIN (e.g. https://desk.example) to read the API (repeatable). "
                   "Default: none (CORS closed).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header names NAME, any port (repeatable); 127.0.0.1, "
                   "localhost and ::1 always are, and so is the --host address. Any other Host gets 403 "
                   "(against DNS rebinding): name the machine here when serving beyond loopback.")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between checks for new batches (live dashboard updates).")
@click.option("--max-concurrent", default=_DEFAULT.concurrency, show_default=True, type=click.IntRange(1, 256),
              metavar="N",
              help="Requests run at once; more wait in the queue.")
@click.option("--max-queue", default=_DEFAULT.queue, show_default=True, type=click.IntRange(0, 10_000),
              metavar="N",
              help="Requests that may wait for a slot; beyond that a request gets 503 with Retry-After at once.")
@click.option("--queue-timeout", default=_DEFAULT.queue_timeout_s, show_default=True,
              type=click.FloatRange(0.001, 600), metavar="SECONDS",
              help="Longest wait for a slot before 503 with Retry-After.")
@click.option("--request-timeout", default=_DEFAULT.request_timeout_s, show_default=True,
              type=click.FloatRange(0.001, 3600), metavar="SECONDS",
              help="Longest a request may run before it is answered 504.")
@data_dir_option
@output_format
@library_errors
def serve(host: str, port: int, cors_origins: tuple[str, ...], allow_hosts: tuple[str, ...], poll: float,
          max_concurrent: int, max_queue: int, queue_timeout: float, request_timeout: float,
          catalog: Catalog, fmt: str) -> None:
    """Serve the read-only HTTP API (/api/…, OpenAPI at /api/openapi.json) and the dashboard (/).

    Prints where it serves first (--json / --nl / --csv: as data on standard output), then serves until Ctrl-C.
    """
    from liqscope.api import create_app, require_extra

    require_extra("api", "fastapi", "uvicorn")
    import uvicorn

    limits = Limits(concurrency=max_concurrent, queue=max_queue, queue_timeout_s=queue_timeout,
                    request_timeout_s=request_timeout)
    bound = () if host in ("0.0.0.0", "::", "") else (host,)  # a wildcard is no name a browser sends
    app = create_app(catalog.root, cors_origins=cors_origins, poll_s=poll, allow_hosts=(*bound, *allow_hosts),
                     limits=limits)
    where = {"dashboard": f"http://{host}:{port}/", "api": f"http://{host}:{port}/api/openapi.json",
             "lake": str(catalog.root)}
    emit(fmt, where, table=lambda: err_console.print(
        f"liqscope dashboard: {where['dashboard']}   API: {where['api']}   lake: {where['lake']}"))
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=2)


@main.group("api")
def api_group() -> None:
    """Call the HTTP API without a server."""


@api_group.command("get")
@click.argument("path")
@data_dir_option
@output_format(default="json")
@library_errors
def api_get(path: str, catalog: Catalog, fmt: str) -> None:
    """Run GET PATH (e.g. '/api/report?start=2025-12-27&end=2025-12-29') in-process and print the JSON.

    --json (default) prints the response body as the API sent it; --nl, --csv and --table print the rows of
    its "data" (each element when it is a list, else the one object). Exits 1 when the API answers with an
    error envelope.
    """
    from liqscope.api import create_app
    from liqscope.api._inprocess import get

    if not path.startswith("/"):
        raise click.BadParameter("PATH must start with / (e.g. /api/venues)", param_hint="PATH")
    status, _, body = get(create_app(catalog.root), path)
    doc = json.loads(body, parse_float=Decimal)
    data = doc.get("data", doc) if isinstance(doc, dict) else doc
    # --json: the body as the API sent it (its shape is the API's); the other formats: its data's rows.
    emit(fmt, doc, rows=data if isinstance(data, list) else [data], encoded=body.decode("utf-8"))
    if status >= 400:
        sys.exit(1)
