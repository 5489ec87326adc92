/**
 * The status page (`GET /`): one self-contained HTML document, no build step, no CDN (gateways are
 * often offline). It polls `GET /status` every second and draws rates and queue depth of the last
 * minutes from the server's history, so the chart is full the moment the page opens.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mainflux-export</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; --in: #0969da; --out: #1a7f37; --q: #bf8700; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { display: flex; gap: 1.5rem; align-items: baseline; padding: .8rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
  h1 { font-size: 1.1rem; margin: 0; }
  main { padding: 1rem 1.2rem; max-width: 1100px; }
  .pill { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; color: #fff; font-weight: 600; }
  .up { background: var(--ok); } .down { background: var(--bad); }
  .muted { color: var(--muted); }
  .error { color: var(--bad); margin: .5rem 0; white-space: pre-wrap; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
  h2 { font-size: .95rem; margin: 0 0 .6rem; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: .3rem .6rem; border-bottom: 1px solid var(--line); }
  th:first-child, td:first-child { text-align: left; }
  th { color: var(--muted); font-weight: 600; }
  .legend span { margin-right: 1rem; } .legend i { display: inline-block; width: .8rem; height: .2rem; vertical-align: middle; margin-right: .3rem; }
  svg { width: 100%; height: 180px; display: block; }
</style>
</head>
<body>
<header>
  <h1>mainflux-export</h1>
  <span>NATS <span id="nats" class="pill down">…</span></span>
  <span>MQTT <span id="mqtt" class="pill down">…</span></span>
  <span>queued <b id="queued">…</b></span>
  <span class="muted">version <span id="version">…</span> · updated <span id="updated">never</span></span>
</header>
<main>
  <div id="error" class="error" hidden></div>
  <section>
    <h2>Routes</h2>
    <table>
      <thead><tr><th>route</th><th>in msg/s</th><th>out msg/s</th><th>received</th><th>published</th><th>invalid</th><th>dropped</th><th>queued</th><th>oldest</th><th>in flight</th></tr></thead>
      <tbody id="routes"><tr><td colspan="10" class="muted">loading…</td></tr></tbody>
    </table>
  </section>
  <section id="dead-letters" hidden>
    <h2>Dead letters</h2>
    <p id="dead-summary"></p>
    <table>
      <thead><tr><th>seq</th><th>route</th><th>reason</th><th>bytes</th><th>when</th><th>topic</th></tr></thead>
      <tbody id="dead-rows"></tbody>
    </table>
  </section>
  <section>
    <h2>Last minutes</h2>
    <div class="legend"><span><i style="background:var(--in)"></i>in msg/s</span><span><i style="background:var(--out)"></i>out msg/s</span><span><i style="background:var(--q)"></i>queued (right scale)</span></div>
    <svg id="chart" viewBox="0 0 1000 180" preserveAspectRatio="none" role="img" aria-label="rates and queue depth"></svg>
    <div class="muted" id="chart-scale"></div>
  </section>
</main>
<script>
"use strict";
let previous = null;
const $ = (id) => document.getElementById(id);
const fmt = (n) => n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n));
const age = (s) => s <= 0 ? '–' : s < 120 ? s.toFixed(1) + ' s' : s < 7200 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h';
function pill(el, state) { el.textContent = state; el.className = 'pill ' + (state === 'connected' ? 'up' : 'down'); }
function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }
function renderRoutes(s) {
  const body = $('routes');
  body.replaceChildren();
  for (const r of s.routes) {
    const before = previous && previous.routes.find((p) => p.id === r.id);
    const dt = previous ? (s.now - previous.now) / 1000 : 0;
    const rin = before && dt > 0 ? (r.received - before.received) / dt : 0;
    const rout = before && dt > 0 ? (r.published - before.published) / dt : 0;
    const tr = document.createElement('tr');
    tr.dataset.route = r.id;
    tr.append(cell(r.id + (r.configured ? '' : ' (draining)')), cell(fmt(rin)), cell(fmt(rout)), cell(fmt(r.received)), cell(fmt(r.published)),
      cell(fmt(r.invalid)), cell(fmt(r.dropped)), cell(fmt(r.queued)), cell(age(r.oldest_age_s)), cell(String(r.in_flight)));
    body.append(tr);
  }
  if (s.routes.length === 0) body.innerHTML = '<tr><td colspan="10" class="muted">no routes</td></tr>';
}
function polyline(points, color) {
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  p.setAttribute('points', points.map(([x, y]) => x.toFixed(1) + ',' + y.toFixed(1)).join(' '));
  p.setAttribute('fill', 'none'); p.setAttribute('stroke', color); p.setAttribute('stroke-width', '2');
  p.setAttribute('vector-effect', 'non-scaling-stroke');
  return p;
}
function renderChart(history) {
  const svg = $('chart');
  svg.replaceChildren();
  if (history.length < 2) return;
  const rates = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1], b = history[i], dt = (b.t - a.t) / 1000;
    rates.push({ t: b.t, in: Math.max(0, (b.received - a.received) / dt), out: Math.max(0, (b.published - a.published) / dt), queued: b.queued });
  }
  const t0 = rates[0].t, t1 = rates[rates.length - 1].t || t0 + 1;
  const maxRate = Math.max(1, ...rates.map((r) => Math.max(r.in, r.out)));
  const maxQueued = Math.max(1, ...rates.map((r) => r.queued));
  const x = (t) => t1 === t0 ? 1000 : ((t - t0) / (t1 - t0)) * 1000;
  const y = (v, max) => 175 - (v / max) * 165;
  svg.append(polyline(rates.map((r) => [x(r.t), y(r.queued, maxQueued)]), getComputedStyle(document.body).getPropertyValue('--q')));
  svg.append(polyline(rates.map((r) => [x(r.t), y(r.in, maxRate)]), getComputedStyle(document.body).getPropertyValue('--in')));
  svg.append(polyline(rates.map((r) => [x(r.t), y(r.out, maxRate)]), getComputedStyle(document.body).getPropertyValue('--out')));
  $('chart-scale').textContent = 'last ' + Math.round((t1 - t0) / 60000 * 10) / 10 + ' min · top: ' + fmt(maxRate) + ' msg/s, ' + fmt(maxQueued) + ' queued';
}
// Issue 10: messages taken out of their queue because they would block it; shown only when there are any.
function renderDeadLetters(d) {
  $('dead-letters').hidden = !d || d.total === 0;
  if (!d || d.total === 0) return;
  $('dead-summary').textContent = d.total + ' in the table, ' + d.last_hour + ' in the last hour. Look and send again with: mainflux-export dead-letters list | replay | purge';
  $('dead-rows').replaceChildren(...d.recent.map((x) => {
    const tr = document.createElement('tr');
    tr.title = x.detail;
    tr.append(cell(String(x.seq)), cell(x.route), cell(x.reason), cell(fmt(x.bytes)), cell(new Date(x.dead_lettered_at).toLocaleTimeString()), cell(x.topic));
    return tr;
  }));
}
async function refresh() {
  try {
    const res = await fetch('status', { cache: 'no-store' });
    const s = await res.json();
    pill($('nats'), s.nats); pill($('mqtt'), s.mqtt);
    $('queued').textContent = fmt(s.queued);
    $('version').textContent = s.version;
    $('updated').textContent = new Date(s.now).toLocaleTimeString();
    $('error').hidden = !s.last_error; $('error').textContent = s.last_error ? 'last error: ' + s.last_error : '';
    renderRoutes(s);
    renderDeadLetters(s.dead_letters);
    renderChart(s.history);
    previous = s;
  } catch (err) {
    $('error').hidden = false; $('error').textContent = 'status unavailable: ' + err;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`
