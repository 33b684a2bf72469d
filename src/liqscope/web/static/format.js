// Readable numbers with units, and times in UTC with the reader's own zone on hover.

const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";

export function usd(v) {
  // "$2,051,029.33": cents for people. The API keeps every digit; the tooltip shows them.
  const n = Number(v);
  return (n < 0 ? "-$" : "$") + Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function usdCompact(v) {
  const n = Number(v);
  const a = Math.abs(n);
  const sign = n < 0 ? "-" : "";
  for (const [div, suffix] of [[1e9, "B"], [1e6, "M"], [1e3, "K"]]) {
    if (a >= div) return `${sign}$${(a / div).toLocaleString("en-US", { maximumFractionDigits: a / div >= 100 ? 0 : a / div >= 10 ? 1 : 2 })}${suffix}`;
  }
  return `${sign}$${a.toLocaleString("en-US", { maximumFractionDigits: a >= 100 ? 0 : 2 })}`;
}

export function count(v) {
  return Number(v).toLocaleString("en-US");
}

export function pct(part, whole) {
  const w = Number(whole);
  return w ? `${((Number(part) / w) * 100).toFixed(1)}%` : "–";
}

function pad(n, w = 2) {
  return String(n).padStart(w, "0");
}

// ISO string or epoch ns -> Date
export function toDate(t) {
  if (typeof t === "number") return new Date(t / 1e6);
  return new Date(t);
}

export function utc(t, withSeconds = true) {
  const d = toDate(t);
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return (withSeconds ? `${s}:${pad(d.getUTCSeconds())}` : s) + " UTC";
}

export function local(t) {
  const d = toDate(t);
  return `${d.toLocaleString("sv-SE", { hour12: false })} ${LOCAL_ZONE}`;
}

// A <time> element: UTC on the page, the reader's zone on hover.
export function timeEl(t, withSeconds = true) {
  const el = document.createElement("time");
  const d = toDate(t);
  el.dateTime = d.toISOString();
  el.textContent = utc(t, withSeconds);
  el.title = `Your time: ${local(t)}`;
  return el;
}

export function axisTime(ns, spanNs) {
  const d = toDate(ns);
  if (spanNs > 3 * 86400e9) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} 00:00`;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

// The time inputs hold "YYYY-MM-DD HH:MM", UTC, on a 24-hour clock (a datetime-local input shows the
// browser's locale, often 12-hour AM/PM, and reads as local time). ISO UTC <-> input value.
export function toInput(iso) {
  return iso.slice(0, 16).replace("T", " ");
}

const INPUT = /^(\d{4}-\d{2}-\d{2})[ T]([01]\d|2[0-3]):([0-5]\d)$/;

// "" when the value is not a valid UTC time in that form.
export function fromInput(value) {
  const m = INPUT.exec(String(value).trim());
  if (!m) return "";
  const iso = `${m[1]}T${m[2]}:${m[3]}:00Z`;
  return Number.isNaN(Date.parse(iso)) || new Date(iso).toISOString().slice(0, 10) !== m[1] ? "" : iso;
}

// A share (a fraction the API computed, e.g. "0.312345") as a percentage for display.
export function share(v) {
  return `${(Number(v) * 100).toFixed(1)}%`;
}

export { LOCAL_ZONE };
