// Market-structure panels (cascades, structural-risk flags, leverage health, funding, open interest).
// Each appears when the server lists it in /api/server "panels"; otherwise the panel says it is not served.
import { lineChart } from "./charts.js";
import { count, timeEl, usd, usdCompact } from "./format.js";

const LABELS = { cascades: "Cascades", flags: "Structural-risk flags", health: "Leverage health", funding: "Funding", oi: "Open interest" };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function table(headers, rows) {
  const t = el("table", undefined, "board");
  const tr = el("tr");
  headers.forEach((h) => tr.appendChild(el("th", h, /USD|share|value|thr/.test(h) ? "num" : undefined)));
  t.appendChild(el("thead")).appendChild(tr);
  const body = t.appendChild(el("tbody"));
  for (const row of rows) {
    const r = el("tr");
    row.forEach((c, i) => {
      const td = el("td", undefined, /USD|share|value|thr/.test(headers[i]) ? "num" : undefined);
      td.dataset.label = headers[i]; // at phone width a row becomes a card of "label value" lines
      if (c instanceof Node) td.appendChild(c);
      else td.textContent = c;
      r.appendChild(td);
    });
    body.appendChild(r);
  }
  return t;
}

function ratio(v) {
  return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 4 });
}

const RENDER = {
  cascades(data) {
    if (!data.length) return el("p", "No cascade in this window under this methodology's thresholds.", "sub");
    return table(["Start (UTC)", "Minutes", "Total USD", "Long share", "Peak minute USD", "Largest"],
      data.map((c) => [timeEl(c.start_ns, false), count((c.end_ns - c.start_ns) / 60e9), usd(c.total_usd),
        c.long_share === null ? "–" : `${(Number(c.long_share) * 100).toFixed(1)}%`, usd(c.peak_usd),
        `${c.largest_event.market} ${usdCompact(c.largest_event.notional_usd)}`]));
  },
  flags(data) {
    return table(["Flag", "State", "value", "threshold", "Basis"], data.map((f) => {
      const state = el("span", f.raised === null ? "no data" : f.raised ? "RAISED" : "not raised", f.raised ? "raised" : "muted");
      return [f.name.replaceAll("_", " "), state, ratio(f.value), ratio(f.threshold), f.basis];
    }));
  },
  health(data) {
    const box = el("div");
    // The headline names the components the index rests on and their weights, or why it is not computable.
    box.appendChild(el("p", data.headline, data.computable ? "sub" : "sub muted")).dataset.computable = String(data.computable);
    box.appendChild(table(["Component", "value", "Percentile", "History", "Weight", "Note"],
      data.components.map((c) => [c.name, ratio(c.value), ratio(c.percentile), count(c.history_points), ratio(c.weight), c.note || ""])));
    return box;
  },
  funding(data) {
    if (!data.length) return el("p", "No funding observations in the lake for this window.", "sub");
    const div = el("div", undefined, "chart");
    setTimeout(() => lineChart(div, data.map((f) => ({ ts_ns: f.ts_event, value: f.rate_8h ?? f.rate })),
      { label: "Funding rate per 8h, venue time UTC", format: (v) => `${(v * 100).toFixed(4)}%` }));
    return div;
  },
  oi(data) {
    const rows = data.filter((o) => o.oi_usd !== null);
    if (!rows.length) return el("p", "No open-interest observations (in USD) in the lake for this window.", "sub");
    const div = el("div", undefined, "chart");
    setTimeout(() => lineChart(div, rows.map((o) => ({ ts_ns: o.ts_event, value: o.oi_usd })), { label: "Open interest (USD), venue time UTC" }));
    return div;
  },
};

export async function renderMarket(server, params, api) {
  const root = document.getElementById("market");
  const present = Object.keys(LABELS).filter((n) => server.panels.includes(n));
  const missing = Object.keys(LABELS).filter((n) => !server.panels.includes(n));
  const at = params.end ? new Date(Math.min(Date.parse(params.end), Date.now())).toISOString() : undefined;
  const results = await Promise.all(present.map((name) => {
    const q = name === "health" ? { at, methodology: params.methodology }
      : name === "funding" || name === "oi" ? { start: params.start, end: params.end, venue: params.venue }
        : params;
    return api(name, q).then((res) => res.data, (err) => err);
  }));
  root.replaceChildren();
  present.forEach((name, i) => {
    const box = el("div", undefined, "sub-panel");
    box.dataset.panel = name;
    box.appendChild(el("h3", LABELS[name]));
    const data = results[i];
    box.appendChild(data instanceof Error ? el("p", data.message, "error") : RENDER[name](data));
    root.appendChild(box);
  });
  if (missing.length) root.appendChild(el("p", `Not served by this liqscope: ${missing.map((n) => LABELS[n].toLowerCase()).join(", ")}.`, "sub"));
  document.getElementById("market-panel").classList.toggle("absent", !present.length);
}
