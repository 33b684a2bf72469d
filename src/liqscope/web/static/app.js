// The dashboard. It reads only the API (/api/...) and renders with ./charts.js. No network beyond this server.
import { rangeChart, sideBars, stackedTimeline, waterfall } from "./charts.js";
import { count, fromInput, pct, timeEl, toInput, usd, usdCompact, utc } from "./format.js";
import { renderMarket } from "./panels.js";

const $ = (id) => document.getElementById(id);
const state = { server: null, lake: null, methodologies: [], renders: 0, token: 0, evOffset: 0, evLimit: 25, lastBatches: null };

export async function api(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== undefined && v !== null && v !== "") q.append(k, v);
  }
  const res = await fetch(`/api/${path}${q.size ? `?${q}` : ""}`, { headers: { Accept: "application/json" } });
  const body = await res.json();
  if (!body.ok) throw new Error(body.error);
  return body;
}

function windowParams() {
  const venue = $("venue").value;
  return { start: fromInput($("start").value), end: fromInput($("end").value), methodology: $("methodology").value, venue: venue ? [venue] : [] };
}

function setLatestWindow() {
  const last = state.lake && state.lake.last_event_ns;
  const day = 86400e3;
  const endMs = last ? Math.ceil((last / 1e6 + 1) / day) * day : Math.ceil(Date.now() / day) * day;
  $("end").value = toInput(new Date(endMs).toISOString());
  $("start").value = toInput(new Date(endMs - 2 * day).toISOString());
  autoBucket();
}

function autoBucket() {
  const span = Date.parse(fromInput($("end").value)) - Date.parse(fromInput($("start").value));
  const h = 3600e3;
  const pick = span <= 6 * h ? "1m" : span <= 24 * h ? "15m" : span <= 4 * 24 * h ? "1h" : span <= 30 * 24 * h ? "4h" : "1d";
  if (state.server.buckets.includes(pick)) $("bucket").value = pick;
}

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  select.appendChild(o);
}

function showError(where, err) {
  const el = $(where);
  el.replaceChildren();
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = String(err.message || err);
  el.appendChild(p);
}

function cell(tr, content, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (content instanceof Node) td.appendChild(content);
  else td.textContent = content;
  tr.appendChild(td);
  return td;
}

function refCell(tr, ref) {
  const td = cell(tr, ref, "ref mono");
  td.title = `raw_ref ${ref}: sha256 of the raw input file : line number`;
}

function renderKpis(r, tl, fp) {
  $("kpi-total").textContent = usdCompact(r.total_usd);
  $("kpi-total").title = usd(r.total_usd);
  $("kpi-events").textContent = `${count(r.events)} liquidations`;
  $("kpi-long").textContent = usdCompact(r.long_usd);
  $("kpi-long").title = usd(r.long_usd);
  $("kpi-long-s").textContent = `${pct(r.long_usd, r.total_usd)} of notional · ${count(r.long_events)} events`;
  $("kpi-short").textContent = usdCompact(r.short_usd);
  $("kpi-short").title = usd(r.short_usd);
  $("kpi-short-s").textContent = `${pct(r.short_usd, r.total_usd)} of notional · ${count(r.short_events)} events`;
  if (tl.peak) {
    $("kpi-peak").textContent = usdCompact(tl.peak.total_usd);
    $("kpi-peak-s").replaceChildren(timeEl(tl.peak.ts_ns, false), document.createTextNode(` + ${tl.bucket}`));
  } else {
    $("kpi-peak").textContent = "–";
    $("kpi-peak-s").textContent = "no events";
  }
  $("kpi-meth").textContent = `${r.methodology.name} v${r.methodology.version}`;
  $("kpi-fp").textContent = fp;
  $("kpi-fp").title = "Methodology fingerprint: a hash of every rule behind these numbers";
  const notes = [...r.coverage.notes];
  if (Number(r.unknown_side_usd)) notes.push(`${usd(r.unknown_side_usd)} comes from records that name no side (whole-account liquidations)`);
  $("notes").textContent = notes.map((n) => `⚠ ${n}`).join("   ");
}

function renderTimeline(tl) {
  $("timeline-title").textContent = `Liquidated notional per ${tl.bucket} bucket (USD), ${utc(tl.start, false)} → ${utc(tl.end, false)}`;
  const el = $("timeline");
  el.classList.toggle("empty", !tl.events);
  if (tl.events) stackedTimeline(el, tl);
  else el.replaceChildren();
}

function renderBreakdowns(r) {
  for (const [id, rows] of [["by-asset", r.by_asset], ["by-venue", r.by_venue]]) {
    const el = $(id);
    el.classList.toggle("empty", !Object.keys(rows).length);
    if (Object.keys(rows).length) sideBars(el, rows);
    else el.replaceChildren();
  }
}

function renderLargest(rows) {
  const body = $("largest").querySelector("tbody");
  body.replaceChildren();
  rows.forEach((x, i) => {
    const tr = document.createElement("tr");
    cell(tr, String(i + 1));
    cell(tr, timeEl(x.ts_event));
    cell(tr, x.venue);
    cell(tr, x.market);
    cell(tr, x.side || "not published", `side-${x.side || "UNKNOWN"}`);
    cell(tr, usd(x.notional_usd), "num");
    refCell(tr, x.raw_ref);
    body.appendChild(tr);
  });
}

function renderCoverage(c) {
  const body = $("coverage").querySelector("tbody");
  body.replaceChildren();
  for (const v of c.per_venue) {
    const tr = document.createElement("tr");
    cell(tr, v.venue);
    cell(tr, count(v.events), "num");
    cell(tr, timeEl(v.first_event));
    cell(tr, timeEl(v.last_event));
    cell(tr, v.sampling || "every liquidation");
    body.appendChild(tr);
  }
  const ul = $("caveats");
  ul.replaceChildren();
  const items = [...c.notes];
  if (!c.per_venue.length) items.push("no events counted in this window");
  for (const text of items) {
    const li = document.createElement("li");
    li.textContent = text;
    ul.appendChild(li);
  }
  const li = document.createElement("li");
  li.className = "ok";
  li.textContent = c.complete ? "every covered venue sends every liquidation" : "totals from sampled venues are floors, not estimates";
  ul.appendChild(li);
}

async function rangeItems(p) {
  // Every built-in methodology over the same window: one /api/range request when the server has it.
  if (state.server.panels.includes("range")) {
    const res = await api("range", { start: p.start, end: p.end, venue: p.venue });
    const items = res.data.methodologies.map((t) => ({ label: t.name, value: t.total_usd, fingerprint: t.fingerprint, by_venue: t.by_venue }));
    return { items, bounds: res.data.range.total_usd.map(Number) };
  }
  const reports = await Promise.all(state.methodologies.map((m) => api("report", { ...p, methodology: m.name, largest: 1 })));
  const items = reports.map((res) => ({
    label: res.data.methodology.name, value: res.data.total_usd, fingerprint: res.meta.methodologies[0].fingerprint,
    by_venue: Object.fromEntries(Object.entries(res.data.by_venue).map(([v, t]) => [v, t.total_usd])),
  }));
  const vals = items.map((it) => Number(it.value));
  return { items, bounds: [Math.min(...vals), Math.max(...vals)] };
}

async function renderRange(p) {
  const { items, bounds } = await rangeItems(p);
  for (const it of items) it.selected = it.label === p.methodology;
  const [lo, hi] = bounds;
  $("kpi-range").textContent = lo === hi ? usdCompact(lo) : `${usdCompact(lo)} – ${usdCompact(hi)}`;
  $("kpi-range").title = `${usd(lo)} – ${usd(hi)}`;
  $("kpi-range-s").textContent = `${items.length} methodologies · ${lo === hi ? "they agree" : `spread ${usdCompact(hi - lo)}`}`;
  rangeChart($("range"), items);
  await renderReconcile(items, p);
}

const DIMENSION_NOTES = {
  coverage: "which venues, instruments, assets and kinds count", window: "how the window is formed",
  counting: "how copies of one liquidation count", valuation: "which price values the notional",
  estimation: "observed floor or throttle-adjusted estimate",
};

async function renderReconcile(items, p) {
  const a = items.find((it) => it.selected) || items[0];
  const select = $("reconcile-b");
  if (!select.value || select.value === a.label) {
    // Default: the methodology furthest from the selected one (the biggest difference to explain).
    const far = items.filter((it) => it !== a).reduce((best, it) => (!best || Math.abs(it.value - a.value) > Math.abs(best.value - a.value) ? it : best), null);
    if (far) select.value = far.label;
  }
  const b = items.find((it) => it.label === select.value) || a;
  $("reconcile-pair").textContent = `${a.label} → `;
  if (state.server.panels.includes("reconcile")) {
    const rec = (await api("reconcile", { start: p.start, end: p.end, a: a.label, b: b.label })).data;
    const steps = [{ label: `${rec.from.name}`, value: rec.from.total_usd, kind: "start", note: `fingerprint ${rec.from.fingerprint}` }];
    for (const [dim, v] of Object.entries(rec.contributions)) {
      if (Number(v)) steps.push({ label: dim, value: v, kind: "delta", note: DIMENSION_NOTES[dim] || "" });
    }
    steps.push({ label: `${rec.to.name}`, value: rec.to.total_usd, kind: "end", note: `fingerprint ${rec.to.fingerprint}` });
    $("reconcile-sub").textContent = Number(rec.difference_usd)
      ? `${usd(rec.difference_usd)} difference, attributed to the rules that differ (${rec.differing.join(", ")}; Shapley values).`
      : "Both methodologies give the same total on this window.";
    waterfall($("reconcile"), steps);
    return;
  }
  // Without the reconciliation metric: the difference venue by venue, from the two reports.
  const venues = [...new Set([...Object.keys(a.by_venue), ...Object.keys(b.by_venue)])];
  const steps = [{ label: a.label, value: a.value, kind: "start", note: `fingerprint ${a.fingerprint}` }];
  for (const v of venues) {
    const d = Number(b.by_venue[v] || 0) - Number(a.by_venue[v] || 0);
    if (d) steps.push({ label: v, value: d, kind: "delta", note: `${b.label} minus ${a.label} on ${v}` });
  }
  steps.push({ label: b.label, value: b.value, kind: "end", note: `fingerprint ${b.fingerprint}` });
  $("reconcile-sub").textContent = `Difference by venue (${a.fingerprint} → ${b.fingerprint}).`;
  waterfall($("reconcile"), steps);
}

async function renderEvents(p) {
  const side = $("ev-side").value;
  const asset = $("ev-asset").value.trim();
  const min = $("ev-min").value.trim();
  const res = await api("events", { ...p, side, asset: asset ? [asset] : [], min_notional_usd: min, limit: state.evLimit, offset: state.evOffset });
  const page = res.data;
  $("events-count").textContent = `(${count(page.matched)} match, ${usdCompact(page.matched_usd)}; rows ${page.matched ? page.offset + 1 : 0}–${page.offset + page.events.length})`;
  const body = $("events").querySelector("tbody");
  body.replaceChildren();
  for (const x of page.events) {
    const tr = document.createElement("tr");
    cell(tr, timeEl(x.ts_event));
    cell(tr, x.venue);
    cell(tr, x.market);
    cell(tr, x.side || "not published", `side-${x.side || "UNKNOWN"}`);
    cell(tr, Number(x.price).toLocaleString("en-US", { maximumFractionDigits: 8 }), "num");
    cell(tr, `${Number(x.quantity).toLocaleString("en-US", { maximumFractionDigits: 8 })} ${x.quantity_unit}`, "num");
    cell(tr, usd(x.notional_usd), "num");
    refCell(tr, x.raw_ref);
    body.appendChild(tr);
  }
  $("ev-prev").disabled = page.offset === 0;
  $("ev-next").disabled = page.offset + page.events.length >= page.matched;
}

export async function refresh() {
  const token = ++state.token;
  document.body.dataset.state = "loading";
  const p = windowParams();
  try {
    const [rep, tl] = await Promise.all([
      api("report", { ...p, largest: 10 }),
      api("timeline", { ...p, bucket: $("bucket").value }),
    ]);
    if (token !== state.token) return;
    const r = rep.data;
    const fp = rep.meta.methodologies[0].fingerprint;
    renderKpis(r, tl.data, fp);
    renderTimeline(tl.data);
    renderBreakdowns(r);
    renderLargest(r.largest);
    renderCoverage(r.coverage);
    await Promise.all([renderRange(p), renderEvents(p), renderMarket(state.server, p, api)]);
    if (token !== state.token) return;
    state.renders += 1;
    Object.assign(document.body.dataset, { state: "ready", fingerprint: fp, renders: String(state.renders) });
  } catch (err) {
    if (token !== state.token) return;
    showError("timeline", err);
    document.body.dataset.state = "error";
  }
}

function lakeLine() {
  const l = state.lake;
  $("lake-line").textContent = l ? `Lake: ${count(l.batches)} batches, ${count(l.rows)} stored rows` +
    (l.first_event ? `, events ${utc(l.first_event, false)} → ${utc(l.last_event, false)}.` : ".") : "";
}

function connectLive() {
  const live = $("live");
  const src = new EventSource("/api/live");
  src.addEventListener("lake", async (e) => {
    const v = JSON.parse(e.data);
    live.classList.add("on");
    $("live-text").textContent = `live · ${count(v.batches)} batches` + (v.changed ? ` · lake changed ${utc(v.changed)}` : "");
    $("live-text").title = v.changed ? `Your time: ${new Date(v.changed).toLocaleString()}` : "";
    if (state.lastBatches !== null && v.batches !== state.lastBatches) {
      live.classList.add("flash");
      setTimeout(() => live.classList.remove("flash"), 800);
      state.lake = (await api("lake")).data;
      lakeLine();
      await refresh();
    }
    state.lastBatches = v.batches;
    document.body.dataset.batches = String(v.batches);
  });
  src.onerror = () => {
    live.classList.remove("on");
    $("live-text").textContent = "live updates: reconnecting…";
  };
}

async function init() {
  state.server = (await api("server")).data;
  state.lake = (await api("lake")).data;
  state.methodologies = (await api("methodologies")).data;
  for (const b of state.server.buckets) option($("bucket"), b, b);
  for (const m of state.methodologies) {
    option($("methodology"), m.name, `${m.name} · ${m.fingerprint}`);
    option($("reconcile-b"), m.name, m.name);
  }
  $("methodology").value = state.server.default_methodology;
  const rows = Object.fromEntries(state.lake.venues.map((v) => [v.venue, v.rows]));
  for (const v of state.server.venues) option($("venue"), v, rows[v] ? `${v} (${count(rows[v])} rows)` : `${v} (no data)`);
  setLatestWindow();
  lakeLine();
  $("reconcile-b").addEventListener("change", () => refresh());
  for (const id of ["methodology", "venue", "bucket"]) $(id).addEventListener("change", () => { state.evOffset = 0; refresh(); });
  for (const id of ["start", "end"]) $(id).addEventListener("change", () => { state.evOffset = 0; autoBucket(); refresh(); });
  $("latest").addEventListener("click", () => { setLatestWindow(); refresh(); });
  for (const id of ["ev-side", "ev-asset", "ev-min"]) $(id).addEventListener("change", () => { state.evOffset = 0; renderEvents(windowParams()).catch((e) => showError("events-count", e)); });
  $("ev-prev").addEventListener("click", () => { state.evOffset = Math.max(0, state.evOffset - state.evLimit); renderEvents(windowParams()); });
  $("ev-next").addEventListener("click", () => { state.evOffset += state.evLimit; renderEvents(windowParams()); });
  let resize;
  window.addEventListener("resize", () => { clearTimeout(resize); resize = setTimeout(refresh, 250); });
  connectLive();
  await refresh();
}

init().catch((err) => {
  document.body.dataset.state = "error";
  showError("timeline", err);
});
