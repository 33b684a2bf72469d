// The dashboard. It reads only the API (/api/...) and renders with ./charts.js. No network beyond this server.
import { rangeChart, sideBars, stackedTimeline, waterfall } from "./charts.js";
import { count, fromInput, pct, share, timeEl, toInput, usd, usdCompact, utc } from "./format.js";
import { renderMarket } from "./panels.js";

const $ = (id) => document.getElementById(id);
const state = {
  server: null, lake: null, methodologies: [], renders: 0, token: 0, evOffset: 0, evLimit: 25, lastBatches: null,
  // The tables' data per timeframe (1h/4h/12h/24h from /api/overview, "window" from /api/report), the chosen
  // timeframe, and each table's sort (a click on a header; default: the API's order, largest first).
  ranks: {}, tf: "24h", sort: { "by-exchange": null, "by-coin": null },
};
const COIN_ROWS = 25;

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

function chosenVenues() {
  return [...document.querySelectorAll("#venue-list input:checked")].map((x) => x.value);
}

function windowParams() {
  return { start: fromInput($("start").value), end: fromInput($("end").value), methodology: $("methodology").value, venue: chosenVenues() };
}

function coin() {
  return $("coin").value.trim().toUpperCase();
}

// The default view: the 24 hours ending with the newest event in the lake (of the ticked venues), not
// wall-clock now: a lake recorded last week opens on its data, not on an empty day.
function setLatestWindow() {
  const l = state.lake;
  const chosen = chosenVenues();
  const lasts = (l ? l.venues : []).filter((v) => !chosen.length || chosen.includes(v.venue)).map((v) => v.last_event_ns).filter(Boolean);
  const last = lasts.length ? Math.max(...lasts) : l && l.last_event_ns;
  const minute = 60e3;
  // End (exclusive) on the minute after the newest event, so the event itself counts.
  const endMs = last ? Math.floor(last / 1e6 / minute) * minute + minute : Math.ceil(Date.now() / minute) * minute;
  $("end").value = toInput(new Date(endMs).toISOString());
  $("start").value = toInput(new Date(endMs - 24 * 3600e3).toISOString());
  autoBucket();
}

function autoBucket() {
  const span = Date.parse(fromInput($("end").value)) - Date.parse(fromInput($("start").value));
  const h = 3600e3;
  const pick = span <= 6 * h ? "1m" : span <= 24 * h ? "15m" : span <= 4 * 24 * h ? "1h" : span <= 30 * 24 * h ? "4h" : "1d";
  if (state.server.buckets.includes(pick)) $("bucket").value = pick;
}

// The time inputs must read as UTC on a 24-hour clock; a value that does not is refused before any request.
function checkTimes() {
  const bad = ["start", "end"].filter((id) => !fromInput($(id).value));
  for (const id of ["start", "end"]) $(id).classList.toggle("invalid", bad.includes(id));
  $("time-error").textContent = bad.length ? `${bad.map((id) => (id === "start" ? "From" : "To")).join(" and ")}: use YYYY-MM-DD HH:MM (UTC, 24-hour clock)` : "";
  return !bad.length;
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

// Every event row and board entry links to its raw frame: GET /api/raw/{ref}, the bytes as received.
function rawLink(ref, text = ref) {
  const a = document.createElement("a");
  a.href = `/api/raw/${encodeURIComponent(ref)}`;
  a.target = "_blank";
  a.rel = "noopener";
  a.className = "raw";
  a.textContent = text;
  a.title = `Open the raw record ${ref} (sha256 of the raw input file : line number)`;
  return a;
}

function refCell(tr, ref) {
  cell(tr, rawLink(ref), "ref mono");
}

// Label each cell with its column's header: at phone width a table row becomes a card of "label value" lines.
export function labelCells(table) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const tr of table.querySelectorAll("tbody tr")) {
    [...tr.children].forEach((td, i) => { if (heads[i] && td.colSpan === 1) td.dataset.label = heads[i]; });
  }
}

const ESTIMATED = "includes the throttle-adjusted estimate of what sampled feeds did not send";

function clearKpis(err) {
  for (const id of ["kpi-total", "kpi-long", "kpi-short", "kpi-meth", "kpi-fp"]) {
    $(id).textContent = "–";
    $(id).title = "";
  }
  for (const id of ["kpi-events", "kpi-long-s", "kpi-short-s"]) $(id).textContent = "–";
  $("notes").textContent = `⚠ ${String(err.message || err)}`;
  $("largest-usd").textContent = "–";
  $("largest-usd").title = "";
  $("largest-what").textContent = "–";
  delete state.ranks.window;
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

const PRICE_SOURCE = { ingested_price: "ingested prices", mark_price: "ingested mark prices", fill_price: "liquidation fill prices", none: "no price" };

function renderTimeline(tl, price, gaps) {
  $("timeline-title").textContent = `Liquidated notional per ${tl.bucket} bucket (USD), ${utc(tl.start, false)} → ${utc(tl.end, false)}`
    + (tl.estimated ? " · estimated" : "");
  const el = $("timeline");
  el.dataset.totalUsd = String(tl.total_usd);
  el.dataset.priceSource = price ? price.source : "";
  el.dataset.gaps = gaps ? String(gaps.length) : "not reported";
  const src = $("price-source");
  src.dataset.source = price ? price.source : "";
  src.textContent = price ? `Price line (right axis): ${price.asset}, ${PRICE_SOURCE[price.source]}: ${price.detail}.` : "";
  if (gaps && gaps.length) src.textContent += ` Shaded: ${count(gaps.length)} coverage gap${gaps.length > 1 ? "s" : ""} (no data, not a quiet market).`;
  el.classList.toggle("empty", !tl.events);
  if (tl.events) stackedTimeline(el, tl, { price, gaps: gaps || [] });
  else el.replaceChildren();
}

function renderBreakdowns(r) {
  // Rankings arrive as ordered arrays, largest first: drawn in the API's order.
  for (const [id, rows] of [["by-asset", r.by_asset], ["by-venue", r.by_venue]]) {
    const el = $(id);
    el.classList.toggle("empty", !rows.length);
    if (rows.length) sideBars(el, rows);
    else el.replaceChildren();
  }
  const list = $("coin-list");
  list.replaceChildren();
  for (const a of r.by_asset) option(list, a.asset, a.asset);
}

const TF_TEXT = { "1h": "last 1 h", "4h": "last 4 h", "12h": "last 12 h", "24h": "last 24 h", window: "the chosen window" };

function tileWindow(tf) {
  const w = tf.window;
  const moved = w.start !== w.anchor_start || w.end !== w.anchor_end;
  return `${utc(w.start, false)} → ${utc(w.end, false)}` + (moved ? ` (the methodology's ${w.kind} window: ${w.detail})` : "");
}

function renderTiles(ov) {
  for (const tf of ov.timeframes) {
    const tile = document.querySelector(`.tile[data-tf="${tf.label}"]`);
    const v = tile.querySelector(".v");
    if (!tf.covered) {
      v.textContent = "–";
      v.title = "";
      tile.querySelector(".ls").replaceChildren();
      tile.querySelector(".s").textContent = tf.note;
      continue;
    }
    v.textContent = usdCompact(tf.total_usd) + (tf.estimated ? "*" : "");
    v.title = usd(tf.total_usd) + (tf.estimated ? ` (${ESTIMATED})` : "");
    const ls = tile.querySelector(".ls");
    const long = document.createElement("span");
    long.className = "long";
    long.textContent = `L ${usdCompact(tf.long_usd)}`;
    long.title = `Longs liquidated ${usd(tf.long_usd)} in ${count(tf.long_events)} liquidations`;
    const short = document.createElement("span");
    short.className = "short";
    short.textContent = `S ${usdCompact(tf.short_usd)}`;
    short.title = `Shorts liquidated ${usd(tf.short_usd)} in ${count(tf.short_events)} liquidations`;
    ls.replaceChildren(long, document.createTextNode(" · "), short);
    tile.querySelector(".s").textContent = `${count(tf.events)} liquidations`;
    tile.title = tileWindow(tf);
  }
  $("tiles-sub").textContent = `Timeframes end at ${utc(ov.end, false)} (the window's end). Hover a tile for its exact span.`;
  for (const tf of ov.timeframes) state.ranks[tf.label] = { by_venue: tf.by_venue, by_asset: tf.by_asset, covered: tf.covered, note: tf.note, span: tileWindow(tf) };
}

function clearTiles() {
  // A failed overview leaves no previous window's figures on the tiles.
  for (const tile of document.querySelectorAll(".tile[data-tf]")) {
    tile.querySelector(".v").textContent = "–";
    tile.querySelector(".v").title = "";
    tile.querySelector(".ls").replaceChildren();
    tile.querySelector(".s").textContent = "–";
    delete state.ranks[tile.dataset.tf];
  }
}

function renderLargestTile(r) {
  const x = r.largest[0];
  $("largest-scope").textContent = "(in the window)";
  if (!x) {
    $("largest-usd").textContent = "–";
    $("largest-what").textContent = "no liquidation in this window";
    return;
  }
  $("largest-usd").textContent = usdCompact(x.notional_usd);
  $("largest-usd").title = usd(x.notional_usd);
  $("largest-what").replaceChildren(
    document.createTextNode(`${x.side ? (x.side === "LONG" ? "long" : "short") : "side not published"} · ${x.market} · ${x.venue} · `),
    timeEl(x.ts_event), document.createTextNode(" · "), rawLink(x.raw_ref, "raw frame"));
}

// The per-exchange and per-coin tables of the chosen timeframe, sorted as the reader asked. A ranking's
// entry names its asset or its venue.
const keyOf = (x) => String(x.asset ?? x.venue);

function sortRows(rows, how) {
  if (!how) return rows;
  const { key, dir } = how;
  return [...rows].sort((a, b) => dir * (key === "name" ? keyOf(a).localeCompare(keyOf(b)) : Number(a[key]) - Number(b[key]))
    || keyOf(a).localeCompare(keyOf(b)));
}

function rankTable(id, rows, note) {
  const table = $(id);
  const body = table.querySelector("tbody");
  body.replaceChildren();
  if (note) {
    const tr = document.createElement("tr");
    const td = cell(tr, note, "muted");
    td.colSpan = 6;
    body.appendChild(tr);
    return;
  }
  for (const x of rows) {
    const tr = document.createElement("tr");
    tr.dataset.name = keyOf(x);
    cell(tr, keyOf(x));
    const total = cell(tr, usd(x.total_usd) + (x.estimated ? "*" : ""), "num");
    if (x.estimated) total.title = ESTIMATED;
    cell(tr, share(x.share), "num");
    cell(tr, usd(x.long_usd), "num long");
    cell(tr, usd(x.short_usd), "num short");
    cell(tr, count(x.events), "num");
    body.appendChild(tr);
  }
  for (const th of table.querySelectorAll("thead th")) {
    const how = state.sort[id];
    th.setAttribute("aria-sort", how && how.key === th.dataset.key ? (how.dir > 0 ? "ascending" : "descending") : "none");
  }
  labelCells(table);
}

function renderRanks() {
  for (const b of document.querySelectorAll("#rank-tabs button")) b.classList.toggle("on", b.dataset.tf === state.tf);
  const data = state.ranks[state.tf];
  if (!data) return;
  $("rank-scope").textContent = `(${TF_TEXT[state.tf]}: ${data.span})`;
  const note = data.covered === false ? data.note : null;
  rankTable("by-exchange", sortRows(data.by_venue, state.sort["by-exchange"]), note || (data.by_venue.length ? null : "no liquidations counted"));
  const c = coin();
  const coins = sortRows(data.by_asset, state.sort["by-coin"]).filter((a) => !c || a.asset.includes(c));
  rankTable("by-coin", coins.slice(0, COIN_ROWS), note || (coins.length ? null : c ? `no coin matching "${c}" in this timeframe` : "no liquidations counted"));
  const shown = coins.length > COIN_ROWS ? `top ${COIN_ROWS} of ` : "";
  $("coin-count").textContent = c ? `(${shown}${count(coins.length)} matching "${c}" of ${count(data.by_asset.length)} coins)`
    : `(${shown}${count(data.by_asset.length)} coins)`;
}

function sortBy(id, key) {
  const now = state.sort[id];
  const dir = now && now.key === key ? -now.dir : key === "name" ? 1 : -1;
  state.sort[id] = { key, dir };
  renderRanks();
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
  labelCells($("largest"));
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
    const gaps = (c.gaps || []).filter((g) => g.venue === v.venue);
    const td = cell(tr, c.gaps ? count(gaps.length) : "not reported", "num");
    if (gaps.length) td.title = gaps.map((g) => `${utc(g.start, false)} → ${utc(g.end, false)} (${count(g.seconds)} s, ${g.source})`).join("\n");
    cell(tr, v.sampling || "every liquidation");
    body.appendChild(tr);
  }
  labelCells($("coverage"));
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
  labelCells($("events"));
  $("ev-prev").disabled = page.offset === 0;
  $("ev-next").disabled = page.offset + page.events.length >= page.matched;
}

export async function refresh() {
  // Each panel fetches and renders on its own: one failing empties itself and says why, the others render.
  if (!checkTimes()) {
    document.body.dataset.state = "ready";
    document.body.dataset.invalid = "true";
    return;
  }
  delete document.body.dataset.invalid;
  const token = ++state.token;
  document.body.dataset.state = "loading";
  const p = windowParams();
  let fp = "";
  const report = api("report", { ...p, largest: 10 });
  report.catch(() => {}); // its own panel reports the failure; the timeline only borrows its gaps and top coin
  const done = await Promise.all([
    panel(token, ["by-asset", "by-venue", "largest", "coverage"], () => report, (rep) => {
      const r = rep.data;
      fp = rep.meta.methodologies[0].fingerprint;
      renderKpis(r, fp);
      renderBreakdowns(r);
      renderLargest(r.largest);
      renderLargestTile(r);
      renderCoverage(r.coverage);
      state.ranks.window = { by_venue: r.by_venue, by_asset: r.by_asset, covered: r.coverage.covered, note: r.coverage.covered ? null : r.coverage.notes.join("; "), span: `${utc(r.start, false)} → ${utc(r.end, false)}` };
      renderRanks();
    }, clearKpis),
    panel(token, ["tiles-sub"], () => api("overview", { end: p.end, methodology: p.methodology, venue: p.venue }), (ov) => {
      renderTiles(ov.data);
      renderRanks();
    }, clearTiles),
    panel(token, ["timeline"], async () => {
      const bucket = $("bucket").value;
      const [tl, rep] = await Promise.all([api("timeline", { ...p, bucket }), report.then((x) => x.data, () => null)]);
      // The price of the searched coin; else BTC, the usual reference, when it has liquidations here; else the top coin.
      const names = rep ? rep.by_asset.map((a) => a.asset) : [];
      const asset = coin() || (names.includes("BTC") ? "BTC" : names[0] || "");
      const price = asset ? await api("prices", { ...p, bucket, asset }).then((x) => x.data, () => null) : null;
      return { tl: tl.data, price, gaps: rep ? rep.coverage.gaps : undefined };
    }, ({ tl, price, gaps }) => {
      renderTimeline(tl, price, gaps);
      renderPeak(tl);
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
  for (const v of state.server.venues) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "venue";
    box.value = v;
    label.append(box, ` ${v} `);
    const n = document.createElement("span");
    n.className = "muted";
    n.textContent = rows[v] ? `${count(rows[v])} rows` : "no data";
    label.appendChild(n);
    $("venue-list").appendChild(label);
  }
  setLatestWindow();
  lakeLine();
  const restart = () => { state.evOffset = 0; refresh(); };
  $("reconcile-b").addEventListener("change", () => refresh());
  for (const id of ["methodology", "bucket"]) $(id).addEventListener("change", restart);
  $("venue-list").addEventListener("change", () => {
    const chosen = chosenVenues();
    $("venues-summary").textContent = chosen.length ? chosen.join(", ") : "all venues";
    restart();
  });
  for (const id of ["start", "end"]) $(id).addEventListener("change", () => { if (checkTimes()) autoBucket(); restart(); });
  $("latest").addEventListener("click", () => { setLatestWindow(); restart(); });
  $("coin").addEventListener("change", () => { $("ev-asset").value = coin(); restart(); });
  $("coin").addEventListener("input", renderRanks);
  for (const b of document.querySelectorAll("#rank-tabs button")) b.addEventListener("click", () => { state.tf = b.dataset.tf; renderRanks(); });
  for (const id of ["by-exchange", "by-coin"]) {
    for (const th of $(id).querySelectorAll("thead th")) {
      th.tabIndex = 0;
      th.title = "Sort by this column (again: reverse)";
      th.addEventListener("click", () => sortBy(id, th.dataset.key));
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(id, th.dataset.key); } });
    }
  }
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
