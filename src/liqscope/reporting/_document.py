# The note as a list of blocks (heading, paragraph, table, list, figure), written once and rendered
# twice: Markdown and self-contained HTML. Every figure in a block carries its methodology fingerprint.
from __future__ import annotations

import base64
import html
import re
from decimal import Decimal

from liqscope.metrics import NOT_COVERED
from liqscope.reporting._note import Note

Block = tuple  # ("h1"|"h2"|"p"|"ul"|"table"|"figure", ...)


def usd(d: Decimal) -> str:
    return f"${d:,.2f}"


def compact(d: Decimal) -> str:
    for div, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K")):
        if abs(d) >= div:
            return f"${d / div:,.2f}{suffix}"
    return usd(d)


def share(part: Decimal, whole: Decimal) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def tag(fp: str) -> str:
    return f"[{fp}]"


def blocks(note: Note, charts: dict[str, str]) -> list[Block]:
    """The note's content; ``charts`` maps chart names to figure captions (only charts that exist)."""
    c = note.primary
    r, fp = c.report, c.fingerprint
    lo, hi = note.range_usd
    out: list[Block] = [("h1", f"Liquidations {r.start[:16].replace('T', ' ')} → {r.end[:16].replace('T', ' ')} UTC")]
    out.append(("p", f"Headline methodology **{c.name}** v{c.version}, fingerprint `{fp}`. Every figure below is "
                     "followed by the fingerprint of the methodology that produced it, in brackets."))
    out.append(("h2", "Headline"))
    spread = "all methodologies agree" if lo == hi else f"range {compact(lo)} – {compact(hi)} across methodologies"
    estimated = (f" The figures include the throttle-adjusted estimate of what sampled feeds did not send "
                 f"(observed floor {usd(r.estimate.floor_usd)} {tag(fp)}); the largest liquidations are observed "
                 "orders." if r.estimated and r.estimate else "")
    out.append(("p", f"**{usd(r.total_usd)}** {tag(fp)} of positions were liquidated in **{r.events:,}** "
                     f"liquidations {tag(fp)}; {spread}.{estimated}"))
    out.append(("table", ["methodology", "total USD", "liquidations", "long USD", "short USD", "fingerprint"],
                [[x.name, usd(x.report.total_usd) + (" (estimated)" if x.report.estimated else ""),
                  f"{x.report.events:,}", usd(x.report.long_usd),
                  usd(x.report.short_usd), f"`{x.fingerprint}`"] if x.report.coverage.covered else
                 [x.name, NOT_COVERED, "", "", "", f"`{x.fingerprint}`"] for x in note.entries]))
    if "range" in charts:
        out.append(("figure", "range", charts["range"]))
    out.append(("h2", "Long/short structure"))
    out.append(("p", f"Longs liquidated {usd(r.long_usd)} {tag(fp)} ({share(r.long_usd, r.total_usd)} of notional, "
                     f"{r.long_events:,} liquidations); shorts {usd(r.short_usd)} {tag(fp)} "
                     f"({share(r.short_usd, r.total_usd)}, {r.short_events:,})."
                     + (f" Side not published: {usd(r.unknown_side_usd)} {tag(fp)}." if r.unknown_side_usd else "")))
    tl = note.timeline
    if tl.peak:
        out.append(("p", f"The busiest {tl.bucket} began {tl.peak.ts[:16].replace('T', ' ')} UTC: "
                         f"{usd(tl.peak.total_usd)} {tag(fp)} in {tl.peak.events:,} liquidations "
                         f"(longs {usd(tl.peak.long_usd)}, shorts {usd(tl.peak.short_usd)})."))
    if "timeline" in charts:
        out.append(("figure", "timeline", charts["timeline"]))
    out.append(("h2", "Asset distribution"))
    assets = [(t.name, t) for t in r.by_asset[:10]]
    out.append(("table", ["asset", "total USD", "share", "long USD", "short USD", "liquidations", "fingerprint"],
                [[a, usd(t.total_usd), share(t.total_usd, r.total_usd), usd(t.long_usd), usd(t.short_usd),
                  f"{t.events:,}", f"`{fp}`"] for a, t in assets]))
    if len(r.by_asset) > 10:
        out.append(("p", f"{len(r.by_asset) - 10} more assets are not shown."))
    if "assets" in charts:
        out.append(("figure", "assets", charts["assets"]))
    out.append(("h2", "Largest liquidations and platforms"))
    out.append(("table", ["time (UTC)", "venue", "market", "side", "notional USD", "raw record", "fingerprint"],
                [[x.ts[:19].replace("T", " "), x.venue, x.market, x.side or "not published", usd(x.notional_usd),
                  f"`{x.raw_ref}`", f"`{fp}`"] for x in r.largest]))
    out.append(("table", ["venue", "total USD", "share", "long USD", "short USD", "liquidations", "fingerprint"],
                [[v, usd(t.total_usd), share(t.total_usd, r.total_usd), usd(t.long_usd), usd(t.short_usd),
                  f"{t.events:,}", f"`{fp}`"] for v, t in ((t.name, t) for t in r.by_venue)]))
    out.append(("h2", "Data differences explained"))
    if not note.differences:
        out.append(("p", "Every methodology gives the same figures for this window: nothing to reconcile."))
    for rec in note.differences:
        out.append(("p", f"From **{rec.a}** {usd(rec.a_total_usd)} {tag(rec.a_fingerprint)} to **{rec.b}** "
                         f"{usd(rec.b_total_usd)} {tag(rec.b_fingerprint)}: a difference of "
                         f"{usd(rec.b_total_usd - rec.a_total_usd)}."))
        pair = f"`{rec.a_fingerprint}` → `{rec.b_fingerprint}`"
        if rec.by_rule.note:
            out.append(("p", f"{rec.by_rule.note}."))
        elif rec.by_rule.differing:
            out.append(("p", "By the rule that differs (Shapley attribution, liqscope.metrics.reconcile):"))
            out.append(("table", ["rule", "USD", "fingerprints"],
                        [[d, f"{v:+,.2f}", pair] for d, v in rec.by_rule.contributions.items() if v]))
        out.append(("p", "By venue:"))
        out.append(("table", ["step", "USD", "liquidations", "fingerprint"],
                    [[f"{rec.a} total", usd(rec.a_total_usd), "", f"`{rec.a_fingerprint}`"],
                     *[[s.label, f"{s.delta_usd:+,.2f}", f"{s.events_delta:+,}", pair] for s in rec.steps],
                     [f"{rec.b} total", usd(rec.b_total_usd), "", f"`{rec.b_fingerprint}`"]]))
    out.append(("h2", "Structural-risk flags"))
    state = {True: "**RAISED**", False: "not raised", None: "not computable"}
    out.append(("ul", [f"{state[f.raised]}: {f.name.replace('_', ' ')}: {f.basis}: "
                       f"{'no data' if f.value is None else f'{f.value:.4g}'} (threshold {f.threshold}) {tag(fp)}"
                       for f in note.flags] or ["no flag could be computed for this window"]))
    out.append(("h2", "Coverage and caveats"))
    cov = r.coverage
    out.append(("table", ["venue", "liquidations", "first event", "last event", "sampling"],
                [[v.venue, f"{v.events:,}", v.first_event, v.last_event, v.sampling or "every liquidation"]
                 for v in cov.per_venue]))
    out.append(("ul", note.caveats or ["none"]))
    out.append(("p", "Methodologies: " + "; ".join(
        f"{x.name} v{x.version} `{x.fingerprint}`: {x.description.rstrip('.')}" for x in note.entries)
        + ". Produced by liqscope."))
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: list[Block], chart_files: dict[str, str]) -> str:
    """Markdown with figures linked to the PNG files beside it."""
    lines: list[str] = []
    for b in doc:
        kind = b[0]
        if kind == "h1":
            lines += [f"# {b[1]}", ""]
        elif kind == "h2":
            lines += [f"## {b[1]}", ""]
        elif kind == "p":
            lines += [b[1], ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in b[1]] + [""]
        elif kind == "table":
            head, rows = b[1], b[2]
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "|".join("---" for _ in head) + "|")
            lines += ["| " + " | ".join(_md_cell(str(c)) for c in row) + " |" for row in rows]
            lines.append("")
        elif kind == "figure":
            lines += [f"![{b[2]}]({chart_files[b[1]]})", "", f"*{b[2]}*", ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    # The note's own tiny markup: **bold** and `code`, applied after escaping.
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1000px;margin:24px auto;padding:0 16px;
color:#1f2328;line-height:1.5}h1{font-size:24px;border-bottom:2px solid #1f2328;padding-bottom:6px}
h2{font-size:18px;margin-top:28px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:8px 0;
font-size:13px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d0d7de;padding:4px 6px;text-align:left}
th{background:#f6f8fa}code{font-size:12px;background:#f6f8fa;padding:0 3px;border-radius:3px;word-break:break-all}
figure{margin:12px 0}figure img{max-width:100%}figcaption{font-size:12px;color:#57606a}
"""


def to_html(doc: list[Block], pngs: dict[str, bytes], title: str) -> str:
    """One self-contained HTML file: the charts are embedded as base64 PNG."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    for b in doc:
        kind = b[0]
        if kind in ("h1", "h2"):
            parts.append(f"<{kind}>{_inline(b[1])}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{_inline(b[1])}</p>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "figure":
            data = base64.b64encode(pngs[b[1]]).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(b[2], quote=True)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{_inline(b[2])}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)
