// The recent-alerts panel: self-contained (its own fetch of /api/alerts, its own table), refreshed each minute.
const REFRESH_MS = 60_000;

function cell(tr, text, title) {
  const td = document.createElement("td");
  td.textContent = text;
  if (title) td.title = title;
  tr.appendChild(td);
}

async function renderAlerts() {
  const body = document.querySelector("#alerts tbody");
  if (!body) return;
  let rows;
  try {
    const res = await fetch("/api/alerts?limit=20", { headers: { Accept: "application/json" } });
    const env = await res.json();
    if (!env.ok) throw new Error(env.error);
    rows = env.data;
  } catch (e) {
    body.replaceChildren();
    const tr = document.createElement("tr");
    cell(tr, `alerts unavailable: ${e.message}`);
    body.appendChild(tr);
    return;
  }
  body.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement("tr");
    cell(tr, "no alert has fired in this data directory");
    body.appendChild(tr);
    return;
  }
  for (const f of rows) {
    const a = f.alert;
    const tr = document.createElement("tr");
    cell(tr, a.ts.replace("T", " ").replace(/\.\d+Z$/, "Z"), a.ts);
    cell(tr, a.rule, a.kind);
    cell(tr, a.summary.replace(/^\[[^\]]*\] /, ""));
    cell(tr, `${a.methodology.name} v${a.methodology.version} ${a.methodology.fingerprint}`);
    const sent = f.deliveries.map((d) => `${d.ok ? "✓" : "✗"} ${d.channel}`).join(", ");
    cell(tr, sent || "–", f.deliveries.filter((d) => d.error).map((d) => `${d.channel}: ${d.error}`).join("\n"));
    tr.dataset.key = a.key;
    body.appendChild(tr);
  }
}

renderAlerts();
setInterval(renderAlerts, REFRESH_MS);
