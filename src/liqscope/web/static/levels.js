// The liquidation-levels heatmap panel: price x time x USD at risk under the methodology's [levels] model,
// with the price path and the hour's realized liquidations overlaid. Self-contained: it reads the window and
// methodology from the page's controls, redraws after each dashboard render (body[data-renders]), and talks
// only to /api/levels/heatmap. Estimated (inferred) levels, never measured: the panel says so.
import { fromInput, usdCompact, utc } from "./format.js";

const $ = (id) => document.getElementById(id);
const LONG = [240, 81, 74];
const SHORT = [46, 189, 133];
let token = 0;

async function fetchHeatmap(params) {
  const q = new URLSearchParams(params);
  const res = await fetch(`/api/levels/heatmap?${q}`, { headers: { Accept: "application/json" } });
  const body = await res.json();
  if (!body.ok) throw new Error(body.error);
  return body;
}

function say(text, cls = "sub") {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  $("levels-chart").replaceChildren(p);
}

function draw(h) {
  const wrap = $("levels-chart");
  const canvas = document.createElement("canvas");
  const W = Math.max(320, wrap.clientWidth || 900);
  const H = 320;
  canvas.width = W;
  canvas.height = H;
  canvas.setAttribute("role", "img");
  const ctx = canvas.getContext("2d");
  const nx = h.hours.length;
  const ny = h.rows.length;
  const left = 64;
  const bottom = 18;
  const cw = (W - left) / Math.max(1, nx);
  const ch = (H - bottom) / Math.max(1, ny);
  const lo = Number(h.rows[0]);
  const step = Number(h.bucket_usd);
  const y = (price) => H - bottom - ((Number(price) - lo) / step) * ch;
  let max = 0;
  for (const hr of h.hours) for (let i = 0; i < ny; i++) max = Math.max(max, Number(hr.long_usd[i]) + Number(hr.short_usd[i]));
  ctx.fillStyle = "#0d1117";
  ctx.fillRect(0, 0, W, H);
  h.hours.forEach((hr, x) => {
    for (let i = 0; i < ny; i++) {
      const l = Number(hr.long_usd[i]);
      const s = Number(hr.short_usd[i]);
      if (l + s <= 0) continue;
      const c = l >= s ? LONG : SHORT;
      ctx.fillStyle = `rgba(${c[0]},${c[1]},${c[2]},${Math.sqrt((l + s) / max).toFixed(3)})`;  // area-like contrast
      ctx.fillRect(left + x * cw, H - bottom - (i + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  });
  // The price at each hour's start, and the hour's realized liquidations (area ~ USD) at that price.
  ctx.strokeStyle = "#e6edf3";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let started = false;
  h.hours.forEach((hr, x) => {
    if (hr.price === null) return;
    const px = left + (x + 0.5) * cw;
    if (started) ctx.lineTo(px, y(hr.price)); else ctx.moveTo(px, y(hr.price));
    started = true;
  });
  ctx.stroke();
  let rmax = 0;
  for (const hr of h.hours) rmax = Math.max(rmax, Number(hr.realized_long_usd || 0) + Number(hr.realized_short_usd || 0));
  let dots = 0;
  h.hours.forEach((hr, x) => {
    const l = Number(hr.realized_long_usd || 0);
    const s = Number(hr.realized_short_usd || 0);
    if (!rmax || l + s <= 0 || hr.price === null) return;
    const c = l >= s ? LONG : SHORT;
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.strokeStyle = "#e6edf3";
    ctx.beginPath();
    ctx.arc(left + (x + 0.5) * cw, y(hr.price), 2 + 10 * Math.sqrt((l + s) / rmax), 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    dots += 1;
  });
  ctx.fillStyle = "#8b949e";
  ctx.font = "11px sans-serif";
  for (let k = 0; k <= 4; k++) {
    const i = Math.round((k / 4) * (ny - 1));
    ctx.fillText(Number(h.rows[i]).toLocaleString("en-US"), 2, Math.max(10, H - bottom - i * ch));
  }
  if (nx) {
    ctx.fillText(utc(h.hours[0].ts, false), left, H - 4);
    const last = utc(h.hours[nx - 1].ts, false);
    ctx.fillText(last, W - ctx.measureText(last).width - 2, H - 4);
  }
  wrap.replaceChildren(canvas);
  Object.assign(wrap.dataset, { hours: String(nx), rows: String(ny), maxUsd: String(Math.round(max)), dots: String(dots) });
}

async function render() {
  const mine = ++token;
  const start = fromInput($("start").value);
  const end = fromInput($("end").value);
  if (!start || !end) return;
  const params = { start, end, asset: ($("levels-asset").value || "BTC").toUpperCase(), methodology: $("methodology").value || "standard", realized: $("levels-realized").value };
  const panel = $("levels-panel");
  panel.dataset.state = "loading";
  try {
    const body = await fetchHeatmap(params);
    if (mine !== token) return;
    const h = body.data;
    if (!h.hours.length) {
      say(h.notes.join(" ") || "Nothing to draw in this window.");
      Object.assign($("levels-chart").dataset, { hours: "0", rows: "0" });
      panel.dataset.state = "empty";
      return;
    }
    draw(h);
    const real = h.hours.reduce((a, x) => a + Number(x.realized_long_usd || 0) + Number(x.realized_short_usd || 0), 0);
    $("levels-sub").textContent = `${h.asset}: estimated (inferred) USD at risk per ${usdCompact(h.bucket_usd)} price row at each hour's start, ` +
      `from ${h.coverage.oi_series.join(", ") || "no OI"} and ${h.coverage.price_series || "no price"}; ` +
      `dots: realized ${usdCompact(real)} (${h.realized_source}). Methodology ${h.methodology.name} · ${h.methodology.fingerprint}.`;
    panel.dataset.fingerprint = h.methodology.fingerprint;
    panel.dataset.state = "ready";
  } catch (err) {
    if (mine !== token) return;
    say(String(err.message || err), "error");
    $("levels-chart").dataset.error = String(err.message || err);
    panel.dataset.state = "error";
  }
}

let seen = null;
new MutationObserver(() => {
  const r = document.body.dataset.renders;
  if (r && r !== seen) {
    seen = r;
    render();
  }
}).observe(document.body, { attributes: true, attributeFilter: ["data-renders"] });
for (const id of ["levels-asset", "levels-realized"]) $(id).addEventListener("change", render);
