"""`liqscope capture` and `liqscope replay-server`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import msgspec

from liqscope.cli._common import console, data_dir_option, emit, err_console, library_errors, main, output_format
from liqscope.errors import ConfigError, UnknownName
from liqscope.store import Catalog

if TYPE_CHECKING:
    from liqscope.capture import ReplayServer


def _pairs(values: tuple[str, ...], what: str, sep: str = "=") -> dict[str, str]:
    out = {}
    for v in values:
        key, ok, val = v.partition(sep)
        if not ok or not key or not val:
            raise click.BadParameter(f"{v!r}: expected VENUE{sep}VALUE", param_hint=what)
        out[key.strip()] = val.strip()
    return out


def _venues(text: tuple[str, ...]) -> list[str]:
    from liqscope.capture import stream_venues
    from liqscope.capture._capture import NODE_VENUE
    from liqscope.venues._lending import lending_venues

    # The websocket venues, the one captured by tailing a node, and the lending ones (eth_subscribe to a node).
    valid = [*stream_venues(), NODE_VENUE, *lending_venues()]
    out = [v.strip() for t in text for v in t.split(",") if v.strip()]
    for v in out:
        if v not in valid:
            raise UnknownName("venue for live capture", v, valid)
    return out


@main.command()
@click.option("--venue", "venue_list", required=True, multiple=True,
              help="Venue id(s), comma-separated or repeated (see `liqscope venues`).")
@click.option("--url-override", multiple=True, metavar="VENUE=URL",
              help="Connect VENUE to URL instead of the venue (e.g. the replay server's URL).")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after recording this many seconds, counted once the recorders start (default: until "
                   "Ctrl-C / SIGTERM).")
@click.option("--watchdog", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds without market data that count as a silent feed (default: each venue's own).")
@click.option("--symbols", multiple=True, metavar="VENUE=SYM,SYM",
              help="Symbols for venues subscribed per symbol (bybit_*, dydx_v4, deribit currencies).")
@click.option("--flush", "flush_s", type=click.FloatRange(min=0, min_open=True), default=0.1, show_default=True,
              help="Group-commit window: least seconds between two transcript flushes + lake commits.")
@click.option("--flush-frames", type=click.IntRange(min=1), default=500, show_default=True,
              help="Commit before the window is over once a venue has this many frames waiting (under load).")
@click.option("--node-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="hyperliquid: the node's node_fills_by_block directory to tail.")
@click.option("--refresh-instruments/--no-refresh-instruments", default=True, show_default=True,
              help="Fetch contract sizes from REST first (falls back to the bundled snapshot offline).")
@click.option("--alerts", "alert_rules", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Alert rules (TOML) evaluated as frames are committed; sent once each (history in the data dir).")
@click.option("--rpc-url", default=None, metavar="WSS_URL",
              help="Lending venues (aave_*, compound_*, morpho_blue): an Ethereum node's JSON-RPC websocket URL; "
                   "only its host is written to transcripts.")
@click.option("--confirmations", type=click.IntRange(0, 10_000), default=12, show_default=True,
              help="Lending venues: blocks on top of a log's block before it counts (64 is finality).")
@data_dir_option(create=True)
@output_format
@library_errors
def capture(venue_list: tuple[str, ...], url_override: tuple[str, ...], duration: float | None,
            watchdog: float | None, symbols: tuple[str, ...], flush_s: float, flush_frames: int,
            node_dir: Path | None,
            refresh_instruments: bool, alert_rules: Path | None, rpc_url: str | None, confirmations: int,
            catalog: Catalog, fmt: str) -> None:
    """Capture venues live into the lake, keeping a raw transcript with every gap marked.

    Stops cleanly (DISCONNECT markers, last batch committed) on Ctrl-C, SIGTERM or after --duration.
    """
    from liqscope.capture import CaptureOptions
    from liqscope.capture import capture as run

    venue_ids = _venues(venue_list)
    live = _live_alerts(catalog, alert_rules) if alert_rules is not None else None
    opts = CaptureOptions(urls=_pairs(url_override, "--url-override"), silence_s=watchdog, flush_s=flush_s,
                          flush_frames=flush_frames,
                          symbols={k: v.split(",") for k, v in _pairs(symbols, "--symbols").items()},
                          node_dir=node_dir, refresh_instruments=refresh_instruments, rpc_url=rpc_url,
                          confirmations=confirmations, on_commit=live.notify if live is not None else None)
    if live is not None:
        live.start()
    try:
        result = run(catalog, venue_ids, duration=duration, options=opts, on_ready=lambda: err_console.print(
            f"capturing {', '.join(venue_ids)} into {catalog.root} (Ctrl-C to stop)"))
    finally:
        if live is not None:
            live.stop()  # after one last pass over the last commit
            for e in live.errors:
                err_console.print(f"alerts: {e}", markup=False)
    for o in result.instruments:
        err_console.print(f"instruments {o.venue}: {o.origin} ({o.instruments})" + (f": {o.error}" if o.error else ""))
    emit(fmt, {"ok": True, **msgspec.structs.asdict(result)}, rows=list(result.venues.values()),
         table=lambda: _render(result))


def _render(result: Any) -> None:
    for s in result.venues.values():
        console.print(f"{s.venue}: {s.connections} connection(s), {s.frames:,} frames ({s.data_frames:,} data), "
                      f"{s.events:,} events ({s.duplicate_events:,} copies of known ones), {s.skipped:,} skipped, "
                      f"{s.quarantined:,} quarantined, {s.silences} silent, {s.disconnects} disconnects")
        if s.lending:
            console.print(f"  logs: {s.lending['confirmed']:,} confirmed, {s.lending['retracted']:,} retracted, "
                          f"{s.lending['dropped_unconfirmed']:,} dropped before confirmation (reorg), "
                          f"{s.lending['backfilled']:,} backfilled")
        for t in s.transcripts:
            console.print(f"  transcript {t}")


@main.command("replay-server")
@click.option("--feed", "feeds", required=True, multiple=True, metavar="VENUE=PATH",
              help="Frames to replay for VENUE: a capture transcript or a JSONL file of raw frames.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--speed", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="1 = recorded pace, 10 = ten times faster, 0 = as fast as possible.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="JSONL feeds carry no receipt times: frames per second at --speed 1.")
@click.option("--max-pause", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Longest pause between two frames, in seconds.")
@click.option("--fault", "faults", multiple=True, metavar="VENUE:KIND@FRAMES",
              help="Inject a fault after FRAMES frames: drop, stall (stall@N:SECONDS resumes), malformed, "
                   "mute (geo-block), slow@N:SECONDS (between frames), reorder@N:COUNT (sent back to front), "
                   "skew@N:SECONDS (venue clock ahead; negative: behind).")
@click.option("--burst", type=click.IntRange(min=0), default=0, show_default=True,
              help="After every reconnect, resend the last N frames first (like OKX).")
@click.option("--heartbeat", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Deribit: heartbeat interval in seconds, overriding the client's.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds (default: until Ctrl-C / SIGTERM).")
@output_format
@library_errors
def replay_server(feeds: tuple[str, ...], port: int, speed: float, rate: float, max_pause: float,
                  faults: tuple[str, ...], burst: int, heartbeat: float | None, duration: float | None,
                  fmt: str) -> None:
    """Serve recorded frames over real websockets on 127.0.0.1, speaking each venue's subscribe protocol.

    Prints the URL to give `liqscope capture --url-override` for each venue, then serves until Ctrl-C,
    SIGTERM or --duration.
    """
    from liqscope.capture import Fault, Feed, ReplayServer

    plan: dict[str, list[Fault]] = {}
    for f in faults:
        venue, ok, spec = f.partition(":")
        if not ok:
            raise ConfigError(f"--fault {f!r}: expected VENUE:KIND@FRAMES, e.g. okx_swap:drop@100")
        plan.setdefault(venue, []).append(Fault.parse(spec))
    server = ReplayServer([Feed.from_file(v, Path(p), rate=rate) for v, p in _pairs(feeds, "--feed").items()],
                          port=port, speed=speed, max_pause_s=max_pause, faults=plan, burst=burst,
                          heartbeat_s=heartbeat)
    asyncio.run(_serve(server, duration, fmt))


async def _serve(server: ReplayServer, duration: float | None, fmt: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with server:
        urls = {v: server.url(v) for v in server.venues}
        emit(fmt, {"ok": True, "port": server.port, "urls": urls},
             rows=[{"venue": v, "url": u, "port": server.port} for v, u in urls.items()],
             table=lambda: console.print("\n".join(f"{v}: --url-override {v}={u}" for v, u in urls.items())))
        sys.stdout.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)


def _live_alerts(catalog: Catalog, rules: Path) -> Any:
    from liqscope.alerts import LiveAlerts
    from liqscope.cli.alerts import load_rule_set
    from liqscope.methodology import load

    rule_set: Any = load_rule_set(rules)
    return LiveAlerts(catalog, rule_set, load(rule_set.methodology))
