// Small hand-written SVG charts (no library, works offline). Each chart says what it shows:
// a title in the panel, labelled axes with units, and a tooltip per bar.
import { axisTime, count, local, usd, usdCompact, utc } from "./format.js";

const NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

export function niceTicks(max, n = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = 0; v <= max + step * 0.001; v += step) ticks.push(v);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

// Tooltips are built node by node: every piece of data goes in as text (a symbol such as
// <img src=x onerror=...>USDT is shown literally, never parsed as HTML). rows: arrays of strings and nodes,
// one line each; a falsy row is skipped.
function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

const swatch = (cls) => h("span", `sw ${cls}`);

function lines(rows) {
  const frag = document.createDocumentFragment();
  for (const row of rows) {
    if (!row) continue;
    const line = h("div");
    line.append(...row); // strings become text nodes
    frag.appendChild(line);
  }
  return frag;
}

const tip = (() => {
  let el = null;
  return {
    show(evt, rows) {
      if (!el) {
        el = h("div", "tooltip");
        el.setAttribute("role", "tooltip");
        document.body.appendChild(el);
      }
      el.replaceChildren(lines(rows));
      el.style.display = "block";
      const pad = 14;
      const w = el.offsetWidth;
      const x = evt.clientX + pad + w > window.innerWidth ? evt.clientX - w - pad : evt.clientX + pad;
      el.style.left = `${x + window.scrollX}px`;
      el.style.top = `${evt.clientY + window.scrollY + pad}px`;
    },
    hide() {
      if (el) el.style.display = "none";
    },
  };
})();

function frame(container, height, margin) {
  container.replaceChildren();
  const width = Math.max(container.clientWidth || 600, 320);
  const svg = svgEl("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  container.appendChild(svg);
  return { svg, width, height, x0: margin.left, x1: width - margin.right, y0: height - margin.bottom, y1: margin.top };
}

function yAxis(f, ticks, max, label) {
  const { svg, x0, x1, y0, y1 } = f;
  for (const t of ticks) {
    const y = y0 - (t / max) * (y0 - y1);
    svg.appendChild(svgEl("line", { x1: x0, x2: x1, y1: y, y2: y, class: "grid" }));
    svg.appendChild(svgEl("text", { x: x0 - 6, y: y + 4, class: "tick", "text-anchor": "end" }, usdCompact(t)));
  }
  svg.appendChild(svgEl("text", { x: 12, y: (y0 + y1) / 2, class: "axis-label", transform: `rotate(-90 12 ${(y0 + y1) / 2})`, "text-anchor": "middle" }, label));
}

// A time given as epoch ns (number) or ISO text -> epoch ns.
const ns = (t) => (typeof t === "number" ? t : Date.parse(t) * 1e6);

// Stacked long/short(/side unknown) notional per time bucket, with two optional layers from the API:
// price: /api/prices (a line on its own right-hand axis, broken across buckets without an observation);
// gaps: the report's coverage.gaps ({venue, start, end, seconds, source}), shaded behind the bars.
export function stackedTimeline(container, timeline, { price = null, gaps = [] } = {}) {
  const points = price ? price.points : [];
  const margin = { left: 74, right: points.length ? 64 : 12, top: 10, bottom: 44 };
  const f = frame(container, 280, margin);
  const buckets = timeline.buckets;
  const max = Math.max(...buckets.map((b) => Number(b.total_usd)), 0);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  yAxis(f, ticks, top, "Liquidated notional (USD)");
  const { svg, x0, x1, y0, y1 } = f;
  const n = buckets.length || 1;
  const bw = (x1 - x0) / n;
  const span = n * timeline.bucket_ns;
  const first = buckets.length ? buckets[0].ts_ns : 0;
  const sx = (t) => x0 + Math.min(Math.max((t - first) / span, 0), 1) * (x1 - x0);
  for (const g of gaps) {
    const a = sx(ns(g.start));
    const b = sx(ns(g.end));
    if (b - a <= 0) continue;
    const r = svgEl("rect", { x: a, y: y1, width: Math.max(b - a, 1), height: y0 - y1, class: "gap" });
    r.dataset.venue = g.venue;
    r.addEventListener("mousemove", (e) => tip.show(e, [
      [h("b", null, `Coverage gap · ${g.venue}`)],
      [`${utc(ns(g.start))} → ${utc(ns(g.end))}`],
      [`${count(g.seconds)} s without data (${g.source === "capture" ? "the recorder logged it" : "an inferred silence"})`],
      [h("span", "muted", "no data here is not a quiet market")],
    ]));
    r.addEventListener("mouseleave", () => tip.hide());
    svg.appendChild(r);
  }
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((x1 - x0) / 80))));
  // Bar height (named so as not to shadow h(), the tooltip's element builder: it once did, and the
  // tooltip's first line read "NaN").
  const barH = (v) => (Number(v) / top) * (y0 - y1);
  buckets.forEach((b, i) => {
    const x = x0 + i * bw;
    const g = svgEl("g", { class: "bucket" });
    let y = y0;
    for (const [key, cls] of [["long_usd", "long"], ["short_usd", "short"], ["unknown_side_usd", "unknown"]]) {
      const hh = barH(b[key]);
      if (hh > 0) {
        y -= hh;
        g.appendChild(svgEl("rect", { x: x + bw * 0.08, y, width: Math.max(bw * 0.84, 1), height: hh, class: `bar ${cls}` }));
      }
    }
    const hit = svgEl("rect", { x, y: y1, width: bw, height: y0 - y1, class: "hit" });
    const p = points.find((pt) => pt.ts_ns === b.ts_ns);
    hit.addEventListener("mousemove", (e) => tip.show(e, [
      [h("b", null, utc(b.ts_ns, false)), ` + ${timeline.bucket}`],
      [h("span", "muted", `your time: ${local(b.ts_ns)}`)],
      [swatch("long"), `Longs liquidated ${usd(b.long_usd)} (${count(b.long_events)})`],
      [swatch("short"), `Shorts liquidated ${usd(b.short_usd)} (${count(b.short_events)})`],
      Number(b.unknown_side_usd) && [swatch("unknown"), `Side not published ${usd(b.unknown_side_usd)}`],
      [h("b", null, `Total ${usd(b.total_usd)}`), ` in ${count(b.events)} liquidations`],
      p && [swatch("price"), `${price.asset} ${priceText(p.price)} (low ${priceText(p.low)}, high ${priceText(p.high)})`],
    ]));
    hit.addEventListener("mouseleave", () => tip.hide());
    g.appendChild(hit);
    svg.appendChild(g);
    if (i % labelEvery === 0) {
      svg.appendChild(svgEl("line", { x1: x, x2: x, y1: y0, y2: y0 + 4, class: "axis" }));
      svg.appendChild(svgEl("text", { x, y: y0 + 17, class: "tick", "text-anchor": "middle" }, axisTime(b.ts_ns, span)));
    }
  });
  if (points.length) priceLine(f, points, (t) => sx(t + timeline.bucket_ns / 2), timeline.bucket_ns, price.asset);
  svg.appendChild(svgEl("line", { x1: x0, x2: x1, y1: y0, y2: y0, class: "axis" }));
  svg.appendChild(svgEl("text", { x: (x0 + x1) / 2, y: f.height - 6, class: "axis-label", "text-anchor": "middle" },
    `Venue time, UTC (bucket ${timeline.bucket})`));
}

export function priceText(v) {
  const n = Number(v);
  return n.toLocaleString("en-US", { maximumFractionDigits: n >= 100 ? 2 : n >= 1 ? 4 : 8 });
}

// The price line on the right-hand axis: one segment per run of consecutive buckets (no line across a silence).
function priceLine(f, points, x, width, asset) {
  const { svg, x1, y0, y1 } = f;
  const ys = points.map((p) => Number(p.price));
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.01 || 1;
  const sy = (v) => y0 - ((v - (lo - pad)) / (hi - lo + 2 * pad)) * (y0 - y1);
  let run = [];
  const flush = () => {
    if (run.length > 1) svg.appendChild(svgEl("polyline", { points: run.join(" "), class: "price" }));
    run = [];
  };
  points.forEach((p, i) => {
    if (i && p.ts_ns - points[i - 1].ts_ns > width) flush();
    run.push(`${x(p.ts_ns)},${sy(Number(p.price))}`);
    svg.appendChild(svgEl("circle", { cx: x(p.ts_ns), cy: sy(Number(p.price)), r: 1.8, class: "price-dot" }));
  });
  flush();
  for (const v of [lo, hi]) {
    svg.appendChild(svgEl("text", { x: x1 + 4, y: sy(v) + 4, class: "tick price-tick" }, priceText(v)));
  }
  svg.appendChild(svgEl("text", { x: x1 + 4, y: y1 + 2, class: "tick price-tick" }, asset));
}

// Horizontal stacked bars: one row per entry of a ranking (the API's ordered array of {asset or venue, ...side totals}).
export function sideBars(container, rows, { limit = 12, unit = "USD" } = {}) {
  const entries = rows.slice(0, limit).map((r) => [String(r.asset ?? r.venue), r]);
  const rowH = 24;
  const margin = { left: 120, right: 90, top: 6, bottom: 28 };
  const f = frame(container, margin.top + margin.bottom + Math.max(entries.length, 1) * rowH, margin);
  const { svg, x0, x1, y1 } = f;
  const max = Math.max(...entries.map(([, v]) => Number(v.total_usd)), 0) || 1;
  entries.forEach(([key, v], i) => {
    const y = y1 + i * rowH;
    let x = x0;
    const g = svgEl("g", { class: "row" });
    g.appendChild(svgEl("text", { x: x0 - 8, y: y + rowH * 0.65, class: "label", "text-anchor": "end" }, key));
    const unknown = Number(v.total_usd) - Number(v.long_usd) - Number(v.short_usd);
    for (const [val, cls] of [[v.long_usd, "long"], [v.short_usd, "short"], [unknown, "unknown"]]) {
      const w = (Number(val) / max) * (x1 - x0);
      if (w > 0) {
        g.appendChild(svgEl("rect", { x, y: y + 3, width: Math.max(w, 1), height: rowH - 6, class: `bar ${cls}` }));
        x += w;
      }
    }
    g.appendChild(svgEl("text", { x: x + 6, y: y + rowH * 0.65, class: "value" }, usdCompact(v.total_usd)));
    const hit = svgEl("rect", { x: 0, y, width: f.width, height: rowH, class: "hit" });
    hit.addEventListener("mousemove", (e) => tip.show(e, [
      [h("b", null, key)],
      [swatch("long"), `Longs ${usd(v.long_usd)} (${count(v.long_events)})`],
      [swatch("short"), `Shorts ${usd(v.short_usd)} (${count(v.short_events)})`],
      unknown > 0 && [swatch("unknown"), `Side not published ${usd(unknown)}`],
      [h("b", null, `Total ${usd(v.total_usd)}`), ` in ${count(v.events)} liquidations`],
    ]));
    hit.addEventListener("mouseleave", () => tip.hide());
    g.appendChild(hit);
    svg.appendChild(g);
  });
  svg.appendChild(svgEl("text", { x: (x0 + x1) / 2, y: f.height - 8, class: "axis-label", "text-anchor": "middle" },
    `Liquidated notional (${unit}), longs | shorts`));
}

// One bar per methodology, with the min-max band drawn behind: the range across methodologies.
export function rangeChart(container, items) {
  const rowH = 26;
  const margin = { left: 150, right: 100, top: 6, bottom: 28 };
  const f = frame(container, margin.top + margin.bottom + Math.max(items.length, 1) * rowH, margin);
  const { svg, x0, x1, y0, y1 } = f;
  // A methodology that covers none of the chosen venues has a row saying so, and no bar.
  const vals = items.filter((it) => it.covered !== false).map((it) => Number(it.value));
  const max = Math.max(...vals, 0) || 1;
  const sx = (v) => x0 + (v / max) * (x1 - x0);
  if (vals.length > 1) {
    svg.appendChild(svgEl("rect", { x: sx(Math.min(...vals)), y: y1, width: Math.max(sx(Math.max(...vals)) - sx(Math.min(...vals)), 2), height: y0 - y1, class: "band" }));
  }
  items.forEach((it, i) => {
    const y = y1 + i * rowH;
    svg.appendChild(svgEl("text", { x: x0 - 8, y: y + rowH * 0.65, class: "label", "text-anchor": "end" }, it.label));
    if (it.covered === false) {
      svg.appendChild(svgEl("text", { x: x0 + 6, y: y + rowH * 0.65, class: "value not-covered" }, it.note));
      return;
    }
    const bar = svgEl("rect", { x: x0, y: y + 4, width: Math.max(sx(Number(it.value)) - x0, 1), height: rowH - 8, class: `bar ${it.selected ? "selected" : "neutral"}` });
    bar.addEventListener("mousemove", (e) => tip.show(e, [
      [h("b", null, it.label), " ", h("code", null, it.fingerprint)], [usd(it.value)], it.note && [it.note],
    ]));
    bar.addEventListener("mouseleave", () => tip.hide());
    svg.appendChild(bar);
    svg.appendChild(svgEl("text", { x: sx(Number(it.value)) + 6, y: y + rowH * 0.65, class: "value" }, usdCompact(it.value)));
  });
  svg.appendChild(svgEl("text", { x: (x0 + x1) / 2, y: f.height - 8, class: "axis-label", "text-anchor": "middle" },
    f.width < 560 ? "Total (USD) per methodology; shaded: the range" : "Total liquidated notional (USD) under each methodology; shaded: the range"));
}

// Waterfall: start total, signed steps, end total.
export function waterfall(container, steps) {
  const margin = { left: 74, right: 12, top: 12, bottom: 60 };
  const f = frame(container, 280, margin);
  let run = 0;
  const bars = steps.map((s) => {
    const v = Number(s.value);
    if (s.kind === "delta") {
      const from = run;
      run += v;
      return { ...s, lo: Math.min(from, run), hi: Math.max(from, run) };
    }
    run = v;
    return { ...s, lo: 0, hi: v };
  });
  const max = Math.max(...bars.map((b) => b.hi), 0) || 1;
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  yAxis(f, ticks, top, "USD");
  const { svg, x0, x1, y0, y1 } = f;
  const bw = (x1 - x0) / bars.length;
  const sy = (v) => y0 - (v / top) * (y0 - y1);
  bars.forEach((b, i) => {
    const x = x0 + i * bw;
    const cls = b.kind === "delta" ? (Number(b.value) >= 0 ? "up" : "down") : "total";
    const r = svgEl("rect", { x: x + bw * 0.15, y: sy(b.hi), width: bw * 0.7, height: Math.max(sy(b.lo) - sy(b.hi), 1), class: `bar ${cls}` });
    r.addEventListener("mousemove", (e) => tip.show(e, [
      [h("b", null, b.label)], [`${b.kind === "delta" && Number(b.value) >= 0 ? "+" : ""}${usd(b.value)}`], b.note && [b.note],
    ]));
    r.addEventListener("mouseleave", () => tip.hide());
    svg.appendChild(r);
    svg.appendChild(svgEl("text", { x: x + bw / 2, y: y0 + 16, class: "tick", "text-anchor": "middle" }, b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label));
    svg.appendChild(svgEl("text", { x: x + bw / 2, y: sy(b.hi) - 4, class: "value", "text-anchor": "middle" }, (b.kind === "delta" && Number(b.value) >= 0 ? "+" : "") + usdCompact(b.value)));
  });
  svg.appendChild(svgEl("line", { x1: x0, x2: x1, y1: y0, y2: y0, class: "axis" }));
}

// A simple line over time (funding, open interest): points [{ts_ns, value}].
export function lineChart(container, points, { label, format = usdCompact } = {}) {
  const margin = { left: 74, right: 12, top: 10, bottom: 40 };
  const f = frame(container, 200, margin);
  const { svg, x0, x1, y0, y1 } = f;
  if (!points.length) return;
  const xs = points.map((p) => p.ts_ns);
  const ys = points.map((p) => Number(p.value));
  const lo = Math.min(...ys, 0);
  const hi = Math.max(...ys, 0) || 1;
  const sx = (t) => x0 + ((t - xs[0]) / Math.max(xs[xs.length - 1] - xs[0], 1)) * (x1 - x0);
  const sy = (v) => y0 - ((v - lo) / (hi - lo || 1)) * (y0 - y1);
  svg.appendChild(svgEl("polyline", { points: points.map((p) => `${sx(p.ts_ns)},${sy(Number(p.value))}`).join(" "), class: "line" }));
  for (const v of [lo, hi]) svg.appendChild(svgEl("text", { x: x0 - 6, y: sy(v) + 4, class: "tick", "text-anchor": "end" }, format(v)));
  svg.appendChild(svgEl("text", { x: (x0 + x1) / 2, y: f.height - 6, class: "axis-label", "text-anchor": "middle" }, label || "Venue time, UTC"));
}
