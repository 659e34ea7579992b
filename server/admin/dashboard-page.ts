/**
 * The dashboard's HTML and stylesheet, embedded so they ship inside the compiled package. The
 * page holds no figures of its own: its script fills it from /status. No inline script or style
 * (the Content-Security-Policy forbids both), no external resource.
 */

function chart(id: string, title: string): string {
  return `<figure class="chart">
        <figcaption><span>${title}</span> <b id="${id}-now">–</b> <small id="${id}-max">no data yet</small></figcaption>
        <svg id="${id}" viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label="${title}, last 5 minutes" data-samples="0"></svg>
      </figure>`;
}

function tile(id: string, title: string): string {
  return `<div class="tile"><span>${title}</span><b id="${id}">–</b></div>`;
}

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>secure-atm · bank dashboard</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/dashboard.css">
    <script type="module" src="/assets/dashboard-script.js"></script>
  </head>
  <body>
    <header>
      <h1>secure-atm · bank dashboard</h1>
      <span id="state" class="state">connecting</span>
      <span id="uptime"></span>
      <span id="updated" class="muted"></span>
    </header>
    <p id="banner" class="banner hidden"></p>
    <section class="tiles">
      ${tile('connections', 'connections')}
      ${tile('sessions', 'sessions')}
      ${tile('reqs', 'req/s')}
      ${tile('p50', 'p50')}
      ${tile('p99', 'p99')}
      ${tile('batch', 'commit batch')}
      ${tile('batch-ms', 'commit time')}
      ${tile('logins', 'logins/s')}
      ${tile('lockouts', 'lockouts')}
      ${tile('integrity', 'integrity failures')}
      ${tile('alert-total', 'fraud alerts')}
    </section>
    <section class="charts">
      ${chart('chart-reqs', 'req/s')}
      ${chart('chart-p99', 'p99 latency')}
      ${chart('chart-sessions', 'sessions')}
      ${chart('chart-batch', 'commit batch size')}
    </section>
    <section class="tables">
      <div>
        <h2>Requests by op</h2>
        <table><thead><tr><th>op</th><th class="num">req/s</th><th class="num">total</th><th>outcomes</th></tr></thead>
        <tbody id="ops"></tbody></table>
      </div>
      <div>
        <h2>Terminals</h2>
        <table><thead><tr><th>terminal</th><th>status</th><th class="num">cash</th><th>last seen</th></tr></thead>
        <tbody id="terminals"></tbody></table>
      </div>
      <div class="wide">
        <h2>Newest fraud alerts</h2>
        <table><thead><tr><th>at (UTC)</th><th>rule</th><th>user</th><th>op</th><th class="num">amount</th><th>action</th></tr></thead>
        <tbody id="alerts"></tbody></table>
      </div>
    </section>
    <footer class="muted">Live from this server's /status once a second; charts cover the last 5 minutes. Read-only.</footer>
  </body>
</html>
`;

export const DASHBOARD_CSS = `:root { color-scheme: dark; --bg: #0f1419; --panel: #19212a; --line: #2b3642; --text: #d8dee6;
  --muted: #7d8a97; --accent: #4fc3f7; --good: #81c784; --warn: #ffb74d; --bad: #e57373; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 20px; background: var(--bg); color: var(--text);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 18px; margin: 0 8px 0 0; color: var(--accent); }
h2 { font-size: 14px; margin: 0 0 6px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.state { color: var(--good); font-weight: 600; }
.muted, footer { color: var(--muted); }
footer { margin-top: 16px; font-size: 12px; }
.banner { background: #4a1f1f; color: #ffd6d6; padding: 8px 12px; border-radius: 6px; }
.hidden { display: none; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; margin: 14px 0; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.tile span { display: block; color: var(--muted); font-size: 12px; }
.tile b { font-size: 20px; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 10px; }
.chart { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.chart figcaption { display: flex; gap: 8px; align-items: baseline; }
.chart figcaption span { color: var(--muted); }
.chart figcaption small { margin-left: auto; color: var(--muted); }
.chart svg { display: block; width: 100%; height: 80px; margin-top: 4px; }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.chart .area { fill: var(--accent); fill-opacity: .15; stroke: none; }
.chart .dot { fill: var(--accent); stroke: var(--bg); stroke-width: 1; vector-effect: non-scaling-stroke; }
.chart .axis { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; margin-top: 16px; }
.tables .wide { grid-column: 1 / -1; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
th, td { padding: 4px 8px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.good { color: var(--good); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.empty { color: var(--muted); font-style: italic; }
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#19212a"/><polyline points="2,12 6,7 9,10 14,3" fill="none" stroke="#4fc3f7" stroke-width="2"/></svg>
`;
