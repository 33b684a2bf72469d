# PNG charts for the note, drawn with matplotlib (the optional `charts` extra, imported only here).
# Each chart's title says what it shows and its footer names the methodology fingerprint.
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from liqscope.reporting._note import Note

LONG, SHORT, UNKNOWN, NEUTRAL, SELECTED = "#d1433c", "#1f9d6b", "#8b949e", "#9aa5b1", "#2f6fd6"


def _usd_axis(v: float, _pos: int = 0) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            return f"${v / div:g}{suffix}"
    return f"${v:g}"


def _usd_label(v: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            return f"${v / div:,.2f}{suffix}"
    return f"${v:,.2f}"


def _figure(plt: Any, height: float) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", color="#e1e4e8", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Any, footer: str) -> bytes:
    fig.text(0.01, 0.01, footer, fontsize=8, color="#57606a")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": "liqscope"})  # no timestamp: same note, same bytes
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _f(d: Decimal) -> float:
    return float(d)  # drawing only: the note's text keeps the exact decimals


def render(note: Note) -> dict[str, bytes]:
    """PNG bytes per chart name: ``timeline``, ``assets``, ``range`` (when more than one methodology)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    c = note.primary
    foot = f"liqscope · methodology {c.name} v{c.version} · fingerprint {c.fingerprint} · venue time, UTC"
    out: dict[str, bytes] = {}

    tl = note.timeline
    fig, ax = _figure(plt, 3.6)
    import datetime as dt

    xs = [dt.datetime.fromtimestamp(b.ts_ns / 1e9, tz=dt.UTC) for b in tl.buckets]
    width = tl.bucket_ns / 1e9 / 86_400 * 0.85
    longs = [_f(b.long_usd) for b in tl.buckets]
    shorts = [_f(b.short_usd) for b in tl.buckets]
    unknown = [_f(b.unknown_side_usd) for b in tl.buckets]
    ax.bar(xs, longs, width=width, color=LONG, label="longs liquidated", align="edge")
    ax.bar(xs, shorts, width=width, bottom=longs, color=SHORT, label="shorts liquidated", align="edge")
    if any(unknown):
        ax.bar(xs, unknown, width=width, bottom=[a + b for a, b in zip(longs, shorts, strict=True)], color=UNKNOWN,
               label="side not published", align="edge")
    ax.set_title(f"Liquidated notional per {tl.bucket} (USD), stacked by liquidated position side", loc="left")
    ax.set_ylabel("USD")
    ax.yaxis.set_major_formatter(FuncFormatter(_usd_axis))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=dt.UTC))
    ax.set_xlabel("UTC")
    ax.legend(frameon=False, loc="upper right")
    out["timeline"] = _png(fig, foot)

    assets = [(t.name, t) for t in c.report.by_asset[:12]][::-1]
    if assets:
        fig, ax = _figure(plt, 0.8 + 0.32 * len(assets))
        names = [a for a, _ in assets]
        lv = [_f(t.long_usd) for _, t in assets]
        sv = [_f(t.short_usd) for _, t in assets]
        ax.barh(names, lv, color=LONG, label="longs liquidated")
        ax.barh(names, sv, left=lv, color=SHORT, label="shorts liquidated")
        ax.set_title("Liquidated notional by asset (USD), top 12", loc="left")
        ax.xaxis.set_major_formatter(FuncFormatter(_usd_axis))
        ax.legend(frameon=False, loc="lower right")
        out["assets"] = _png(fig, foot)

    if len(note.entries) > 1:
        fig, ax = _figure(plt, 0.9 + 0.4 * len(note.entries))
        labels = [f"{x.name} [{x.fingerprint}]" for x in note.entries][::-1]
        vals = [_f(x.report.total_usd) for x in note.entries][::-1]
        ax.axvspan(min(vals), max(vals), color="#d2a8ff", alpha=0.25, label="range")
        ax.barh(labels, vals, color=[SELECTED if i == len(vals) - 1 else NEUTRAL for i in range(len(vals))])
        for y, v in enumerate(vals):
            ax.text(v, y, " " + _usd_label(v), va="center", fontsize=9)
        ax.set_title("Total liquidated notional under each methodology (USD); shaded: the range", loc="left")
        ax.xaxis.set_major_formatter(FuncFormatter(_usd_axis))
        out["range"] = _png(fig, f"liqscope · each bar names its methodology fingerprint · headline {c.fingerprint}")
    return out
