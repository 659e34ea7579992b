import type { AlertFigure, TerminalFigure } from '../admin/live-figures.js';
import type { BrowserGlobals, DomNode } from './browser-dom.js';
import { chartGeometry } from './chart-geometry.js';
import { formatCash, formatMs, formatRate, type Tick } from './figures-math.js';
import type { StatusFigures } from './status-source.js';
import { HISTORY_MS, TopHistory } from './top-history.js';

/**
 * The dashboard page's script (served as /assets/dashboard-script.js, a module; the page allows
 * no inline script). It polls /status once a second — the same figures `bank-server top` reads —
 * and draws everything with textContent and hand-made SVG, never HTML from data.
 */

const POLL_MS = 1_000;
const CHART = { width: 300, height: 80, capacity: HISTORY_MS / POLL_MS };
const SVG_NS = 'http://www.w3.org/2000/svg';

const browser = globalThis as unknown as BrowserGlobals;
const doc = browser.document;
const history = new TopHistory();

interface ChartSpec {
  id: string;
  pick: (t: Tick) => number | null;
  format: (v: number) => string;
}

const CHARTS: ChartSpec[] = [
  { id: 'chart-reqs', pick: (t) => t.reqPerSec, format: formatRate },
  { id: 'chart-p99', pick: (t) => t.p99Ms, format: formatMs },
  { id: 'chart-sessions', pick: (t) => t.sessions, format: (v) => String(Math.round(v)) },
  { id: 'chart-batch', pick: (t) => t.batchSize, format: (v) => v.toFixed(1) },
];

function byId(id: string): DomNode {
  const node = doc.getElementById(id);
  if (!node) throw new Error(`dashboard page lacks #${id}`);
  return node;
}

function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

function svg(tag: string, attrs: Record<string, string>): DomNode {
  const node = doc.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function cell(text: string, className = ''): DomNode {
  const td = doc.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(cells: DomNode[]): DomNode {
  const tr = doc.createElement('tr');
  tr.append(...cells);
  return tr;
}

function fillTable(id: string, rows: DomNode[], empty: string, columns: number): void {
  if (rows.length > 0) {
    byId(id).replaceChildren(...rows);
    return;
  }
  const td = cell(empty, 'empty');
  td.setAttribute('colspan', String(columns));
  byId(id).replaceChildren(row([td]));
}

function drawChart(spec: ChartSpec): void {
  const values = history.ticks.map(spec.pick);
  const g = chartGeometry(values, CHART);
  const node = byId(spec.id);
  const parts: DomNode[] = [
    svg('line', {
      x1: '0',
      y1: String(CHART.height - 1),
      x2: String(CHART.width),
      y2: String(CHART.height - 1),
      class: 'axis',
    }),
  ];
  if (g.samples > 0) {
    parts.push(svg('polygon', { points: g.area, class: 'area' }), svg('polyline', { points: g.line, class: 'line' }));
  }
  if (g.lastPoint) {
    parts.push(svg('circle', { cx: g.lastPoint.x, cy: g.lastPoint.y, r: '2.5', class: 'dot' }));
  }
  node.replaceChildren(...parts);
  node.setAttribute('data-samples', String(g.samples));
  setText(`${spec.id}-now`, g.last === null ? '–' : spec.format(g.last));
  setText(`${spec.id}-max`, g.samples > 0 ? `max ${spec.format(g.max)}` : 'no data yet');
}

function lastSeen(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const ago = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (Number.isNaN(ago)) return '?';
  return ago < 120
    ? `${ago} s ago`
    : ago < 7200
      ? `${Math.round(ago / 60)} min ago`
      : iso.slice(0, 16).replace('T', ' ');
}

function uptime(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec % 60} s` : `${sec} s`;
}

function drawTerminals(terminals: TerminalFigure[], nowMs: number): void {
  const rows = terminals.map((t) =>
    row([
      cell(t.id),
      cell(t.status, t.status === 'active' ? 'good' : 'bad'),
      cell(formatCash(t.cashCents), 'num'),
      cell(lastSeen(t.lastSeenAt, nowMs)),
    ]),
  );
  fillTable('terminals', rows, 'no terminals enrolled', 4);
}

function drawAlerts(alerts: AlertFigure[]): void {
  const rows = alerts.map((a) =>
    row([
      cell(a.at.slice(0, 19).replace('T', ' ')),
      cell(a.rule, 'bad'),
      cell(a.user),
      cell(a.op),
      cell(formatCash(a.amountCents), 'num'),
      cell(a.action, a.action === 'held' ? 'bad' : 'warn'),
    ]),
  );
  fillTable('alerts', rows, 'no fraud alerts', 6);
}

function drawOps(tick: Tick | null, figures: StatusFigures): void {
  const ops = tick?.ops ?? figures.requests.map((r) => ({ ...r, perSec: 0, outcomes: Object.entries(r.outcomes) }));
  const rows = ops.map((op) =>
    row([
      cell(op.op),
      cell(formatRate(op.perSec), 'num'),
      cell(String(op.total), 'num'),
      cell(op.outcomes.map(([code, n]) => `${code} ${n}`).join(' · ')),
    ]),
  );
  fillTable('ops', rows, 'no requests yet', 4);
}

function draw(figures: StatusFigures, tick: Tick | null): void {
  setText('state', figures.status);
  setText('uptime', `up ${uptime(figures.uptimeSec)}`);
  setText('updated', `updated ${new Date(figures.sampledAtMs).toISOString().slice(11, 19)} UTC`);
  setText('connections', String(figures.connections));
  setText('sessions', String(figures.sessions));
  setText('reqs', tick ? formatRate(tick.reqPerSec) : '–');
  setText('p50', formatMs(tick?.p50Ms ?? null));
  setText('p99', formatMs(tick?.p99Ms ?? null));
  setText('batch', tick?.batchSize == null ? '–' : tick.batchSize.toFixed(1));
  setText('batch-ms', formatMs(tick?.batchMs ?? null));
  setText('logins', tick ? formatRate(tick.loginsPerSec) : '–');
  setText('lockouts', String(figures.lockouts));
  setText('integrity', String(figures.integrityFailures.total));
  setText('alert-total', String(figures.fraudAlerts.total));
  for (const spec of CHARTS) drawChart(spec);
  drawOps(tick, figures);
  drawTerminals(figures.terminals, figures.sampledAtMs);
  drawAlerts(figures.fraudAlerts.newest);
}

let busy = false;
async function poll(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const res = await fetch('/status');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const figures = (await res.json()) as StatusFigures;
    const tick = history.push(figures);
    draw(figures, tick ?? history.lastTick);
    byId('banner').className = 'banner hidden';
  } catch (err) {
    const banner = byId('banner');
    banner.textContent = `cannot read /status: ${(err as Error).message}`;
    banner.className = 'banner';
  } finally {
    busy = false;
  }
}

void poll();
browser.setInterval(() => void poll(), POLL_MS);
