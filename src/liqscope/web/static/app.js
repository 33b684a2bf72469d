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
  // A panel that failed empties and says why: it never keeps a previous window's numbers.
  const el = $(where);
  const p = document.createElement(el.tagName === "TABLE" ? "td" : "p");
  p.className = "error";
  p.textContent = String(err.message || err);
  if (el.tagName === "TABLE") {
    const body = el.querySelector("tbody");
    const tr = document.createElement("tr");
    p.colSpan = el.querySelectorAll("thead th").length;
    tr.appendChild(p);
    body.replaceChildren(tr);
  } else {
    el.replaceChildren(p);
  }
  el.dataset.error = p.textContent;
}

function clearError(where) {
  delete $(where).dataset.error;
}

// Fetch one panel's data and render it; on failure (or when a newer refresh started) nothing stale stays.
async function panel(token, ids, load, render, onError) {
  let data;
  try {
    data = await load();
  } catch (err) {
    if (token !== state.token) return false;
    for (const id of ids) showError(id, err);
    if (onError) onError(err);
    return false;
  }
  if (token !== state.token) return false;
  for (const id of ids) clearError(id);
  render(data);
  return true;
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

const ESTIMATED = "includes the throttle-adjusted estimate of what sampled feeds did not send";

function clearKpis(err) {
  for (const id of ["kpi-total", "kpi-long", "kpi-short", "kpi-meth", "kpi-fp"]) {
    $(id).textContent = "–";
    $(id).title = "";
  }
  for (const id of ["kpi-events", "kpi-long-s", "kpi-short-s"]) $(id).textContent = "–";
  $("notes").textContent = `⚠ ${String(err.message || err)}`;
}

function renderPeak(tl) {
  if (tl.peak) {
    $("kpi-peak").textContent = usdCompact(tl.peak.total_usd);
    $("kpi-peak-s").replaceChildren(timeEl(tl.peak.ts_ns, false), document.createTextNode(` + ${tl.bucket}`));
  } else {
    $("kpi-peak").textContent = "–";
    $("kpi-peak-s").textContent = "no events";
  }
}

function renderKpis(r, fp) {
  $("kpi-total").textContent = usdCompact(r.total_usd);
  $("kpi-total").title = usd(r.total_usd) + (r.estimated ? ` (${ESTIMATED})` : "");
  $("kpi-total").dataset.estimated = String(Boolean(r.estimated));
  $("kpi-events").textContent = `${count(r.events)} liquidations` + (r.estimated ? " · estimated total" : "");
  $("kpi-long").textContent = usdCompact(r.long_usd);
  $("kpi-long").title = usd(r.long_usd);
  $("kpi-long-s").textContent = `${pct(r.long_usd, r.total_usd)} of notional · ${count(r.long_events)} events`;
  $("kpi-short").textContent = usdCompact(r.short_usd);
  $("kpi-short").title = usd(r.short_usd);
  $("kpi-short-s").textContent = `${pct(r.short_usd, r.total_usd)} of notional · ${count(r.short_events)} events`;
  $("kpi-meth").textContent = `${r.methodology.name} v${r.methodology.version}`;
  $("kpi-fp").textContent = fp;
  $("kpi-fp").title = "Methodology fingerprint: a hash of every rule behind these numbers";
  const notes = [...r.coverage.notes];
  if (Number(r.unknown_side_usd)) notes.push(`${usd(r.unknown_side_usd)} comes from records that name no side (whole-account liquidations)`);
  $("notes").textContent = notes.map((n) => `⚠ ${n}`).join("   ");
}

function renderTimeline(tl) {
  $("timeline-title").textContent = `Liquidated notional per ${tl.bucket} bucket (USD), ${utc(tl.start, false)} → ${utc(tl.end, false)}`
    + (tl.estimated ? " · estimated" : "");
  $("timeline").dataset.totalUsd = String(tl.total_usd);
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

async function renderRange(token, p) {
  // Every built-in methodology over the same window; one that excludes the chosen venue has its own row
  // saying so. The reconciliation reads the range's figures for its default pair.
  let items = null;
  const ok = await panel(token, ["range"], () => api("range", { start: p.start, end: p.end, venue: p.venue }), (res) => {
    items = res.data.methodologies.map((t) => ({
      label: t.name, value: t.total_usd, fingerprint: t.fingerprint, covered: t.covered, note: t.note,
      selected: t.name === p.methodology,
    }));
    const [lo, hi] = res.data.range.total_usd.map(Number);
    const counted = items.filter((it) => it.covered);
    $("kpi-range").textContent = lo === hi ? usdCompact(lo) : `${usdCompact(lo)} – ${usdCompact(hi)}`;
    $("kpi-range").title = `${usd(lo)} – ${usd(hi)}`;
    const left = items.length - counted.length;
    $("kpi-range-s").textContent = `${counted.length} methodologies · ${lo === hi ? "they agree" : `spread ${usdCompact(hi - lo)}`}`
      + (left ? ` · ${left} not covering this venue` : "");
    rangeChart($("range"), items);
  }, (err) => {
    $("kpi-range").textContent = "–";
    $("kpi-range").title = "";
    $("kpi-range-s").textContent = String(err.message || err);
  });
  const reconciled = await renderReconcile(token, p, items);
  return ok && reconciled;
}

const DIMENSION_NOTES = {
  coverage: "which venues, instruments, assets and kinds count", window: "how the window is formed",
  counting: "how copies of one liquidation count", valuation: "which price values the notional",
  estimation: "observed floor or throttle-adjusted estimate",
};

function coverageRows(rec) {
  // One row per side: its total, or why it has none.
  const table = document.createElement("table");
  table.className = "board";
  const body = document.createElement("tbody");
  for (const side of [rec.from, rec.to]) {
    const tr = document.createElement("tr");
    cell(tr, side.name);
    cell(tr, side.covered ? usd(side.total_usd) : side.note, side.covered ? "num" : "muted");
    cell(tr, side.fingerprint, "mono");
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

async function renderReconcile(token, p, items) {
  const a = p.methodology;
  const select = $("reconcile-b");
  if (items && (!select.value || select.value === a)) {
    // Default: the methodology furthest from the selected one (the biggest difference to explain).
    const from = items.find((it) => it.label === a);
    const far = items.filter((it) => it.label !== a && it.covered).reduce((best, it) => (!best || Math.abs(it.value - from.value) > Math.abs(best.value - from.value) ? it : best), null);
    if (far) select.value = far.label;
  }
  const b = select.value || a;
  $("reconcile-pair").textContent = `${a} → `;
  return panel(token, ["reconcile"], () => api("reconcile", { start: p.start, end: p.end, a, b, venue: p.venue }), (res) => {
    const rec = res.data;
    if (rec.note) {
      $("reconcile-sub").textContent = rec.note;
      $("reconcile").replaceChildren(coverageRows(rec));
      return;
    }
    const steps = [{ label: `${rec.from.name}`, value: rec.from.total_usd, kind: "start", note: `fingerprint ${rec.from.fingerprint}` }];
    for (const [dim, v] of Object.entries(rec.contributions)) {
      if (Number(v)) steps.push({ label: dim, value: v, kind: "delta", note: DIMENSION_NOTES[dim] || "" });
    }
    steps.push({ label: `${rec.to.name}`, value: rec.to.total_usd, kind: "end", note: `fingerprint ${rec.to.fingerprint}` });
    $("reconcile-sub").textContent = Number(rec.difference_usd)
      ? `${usd(rec.difference_usd)} difference, attributed to the rules that differ (${rec.differing.join(", ")}; Shapley values).`
      : "Both methodologies give the same total on this window.";
    waterfall($("reconcile"), steps);
  }, (err) => { $("reconcile-sub").textContent = String(err.message || err); });
}

async function renderEvents(p, token = state.token) {
  const side = $("ev-side").value;
  const asset = $("ev-asset").value.trim();
  const min = $("ev-min").value.trim();
  return panel(token, ["events"], () => api("events", { ...p, side, asset: asset ? [asset] : [], min_notional_usd: min, limit: state.evLimit, offset: state.evOffset }),
    (res) => renderEventRows(res.data), (err) => { $("events-count").textContent = String(err.message || err); });
}

function renderEventRows(page) {
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
  // Each panel fetches and renders on its own: one failing empties itself and says why, the others render.
  const token = ++state.token;
  document.body.dataset.state = "loading";
  const p = windowParams();
  let fp = "";
  const done = await Promise.all([
    panel(token, ["by-asset", "by-venue", "largest", "coverage"], () => api("report", { ...p, largest: 10 }), (rep) => {
      const r = rep.data;
      fp = rep.meta.methodologies[0].fingerprint;
      renderKpis(r, fp);
      renderBreakdowns(r);
      renderLargest(r.largest);
      renderCoverage(r.coverage);
    }, clearKpis),
    panel(token, ["timeline"], () => api("timeline", { ...p, bucket: $("bucket").value }), (tl) => {
      renderTimeline(tl.data);
      renderPeak(tl.data);
    }, () => { $("kpi-peak").textContent = "–"; $("kpi-peak-s").textContent = "–"; }),
    renderRange(token, p),
    renderEvents(p, token),
    renderMarket(state.server, p, api).then(() => true, (err) => { showError("market", err); return false; }),
  ]);
  if (token !== state.token) return;
  state.renders += 1;
  Object.assign(document.body.dataset, { state: "ready", fingerprint: fp, renders: String(state.renders),
    failed: String(done.filter((ok) => !ok).length) });
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
  for (const id of ["ev-side", "ev-asset", "ev-min"]) $(id).addEventListener("change", () => { state.evOffset = 0; renderEvents(windowParams()); });
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
