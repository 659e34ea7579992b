import { bucketed, formatCash, formatMs, formatRate, type Tick } from './figures-math.js';
import { sparkline } from './sparkline.js';
import type { StatusFigures } from './status-source.js';
import { HISTORY_MS } from './top-history.js';

/** The console fits a classic terminal. */
export const TOP_WIDTH = 80;
export const TOP_HEIGHT = 24;

/** Sparkline columns; each one is HISTORY_MS / SPARK_WIDTH of time. */
const SPARK_WIDTH = 60;
const MAX_OPS = 6;
const MAX_ALERTS = 3;

export type TopColor = 'cyan' | 'green' | 'red' | 'yellow' | 'gray';
export interface Segment {
  text: string;
  color?: TopColor;
  bold?: boolean;
}
export type TopLine = Segment[];

export interface TopViewInput {
  endpoint: string;
  figures: StatusFigures | null;
  tick: Tick | null;
  ticks: readonly Tick[];
  nowMs: number;
  /** The last poll's failure, if it failed. */
  error: string | null;
  /** Interactive screens show the `q` hint; --once does not. */
  interactive: boolean;
}

/** Everything on one screen, at most TOP_WIDTH columns by TOP_HEIGHT lines. */
export function topLines(input: TopViewInput): TopLine[] {
  const { figures, tick } = input;
  const lines: TopLine[] = [titleLine(input)];
  if (!figures) {
    lines.push([{ text: input.error ?? 'waiting for the first figures…', color: input.error ? 'red' : 'gray' }]);
    return lines.map(fit);
  }
  lines.push(
    [
      label('connections '),
      value(figures.connections),
      label('  sessions '),
      value(figures.sessions),
      label('  req/s '),
      value(tick ? formatRate(tick.reqPerSec) : '–'),
      label('  p50 '),
      value(formatMs(tick?.p50Ms ?? null)),
      label('  p99 '),
      value(formatMs(tick?.p99Ms ?? null)),
    ],
    [
      label('commit '),
      value(tick?.batchSize == null ? '–' : tick.batchSize.toFixed(1)),
      label('/batch '),
      value(formatMs(tick?.batchMs ?? null)),
      label('  logins/s '),
      value(tick ? formatRate(tick.loginsPerSec) : '–'),
      label('  lockouts '),
      { text: String(figures.lockouts), color: figures.lockouts > 0 ? 'yellow' : 'green', bold: true },
      label('  integrity failures '),
      {
        text: String(figures.integrityFailures.total),
        color: figures.integrityFailures.total > 0 ? 'red' : 'green',
        bold: true,
      },
    ],
    sparkLine('req/s', input, (t) => t.reqPerSec, formatRate),
    sparkLine('p99  ', input, (t) => t.p99Ms, formatMs),
  );

  const ops = tick?.ops ?? figures.requests.map((r) => ({ ...r, perSec: 0, outcomes: Object.entries(r.outcomes) }));
  const alerts = figures.fraudAlerts.newest.slice(0, MAX_ALERTS);
  const opRows = Math.min(Math.max(ops.length, 1), MAX_OPS);
  // Title, two figure lines, two sparklines, three table headers and the footer.
  const terminalRows = Math.max(1, TOP_HEIGHT - 9 - opRows - alerts.length);

  lines.push([{ text: `${'OP'.padEnd(18)}${'REQ/S'.padStart(8)}${'TOTAL'.padStart(10)}  OUTCOMES`, bold: true }]);
  if (ops.length === 0) lines.push([label('no requests yet')]);
  for (const op of ops.slice(0, opRows)) {
    const outcomes = op.outcomes.map(([code, n]) => `${code} ${n}`).join(' · ');
    lines.push([
      { text: op.op.slice(0, 17).padEnd(18) },
      { text: formatRate(op.perSec).padStart(8), bold: true },
      { text: String(op.total).padStart(10) },
      { text: `  ${outcomes}`, color: op.outcomes.some(([code]) => code !== 'ok') ? 'yellow' : 'gray' },
    ]);
  }

  const alertTotal = figures.fraudAlerts.total;
  lines.push([
    { text: 'FRAUD ALERTS', bold: true },
    { text: alertTotal === 0 ? '  none' : `  ${alertTotal} since start, newest:`, color: 'gray' },
  ]);
  for (const a of alerts) {
    lines.push([
      { text: `${clockOf(a.at)}  ` },
      { text: a.rule.slice(0, 14).padEnd(15), color: 'red' },
      { text: a.user.slice(0, 16).padEnd(17) },
      { text: a.op.slice(0, 10).padEnd(11) },
      { text: formatCash(a.amountCents).padStart(14) },
      { text: `  ${a.action}`, color: a.action === 'held' ? 'red' : 'yellow' },
    ]);
  }

  lines.push([{ text: `${'TERMINAL'.padEnd(18)}${'STATUS'.padEnd(10)}${'CASH'.padStart(16)}  LAST SEEN`, bold: true }]);
  const terminals = figures.terminals;
  if (terminals.length === 0) lines.push([label('no terminals enrolled')]);
  const shown = terminals.length > terminalRows ? terminalRows - 1 : terminalRows;
  for (const t of terminals.slice(0, shown)) {
    lines.push([
      { text: t.id.slice(0, 17).padEnd(18) },
      { text: t.status.slice(0, 9).padEnd(10), color: t.status === 'active' ? 'green' : 'red' },
      { text: formatCash(t.cashCents).padStart(16), bold: true },
      { text: `  ${lastSeen(t.lastSeenAt, input.nowMs)}`, color: 'gray' },
    ]);
  }
  if (terminals.length > shown) lines.push([label(`… and ${terminals.length - shown} more`)]);

  lines.push([
    label(
      `${input.interactive ? 'q quit · ' : ''}every 1 s · sparklines: last ${HISTORY_MS / 60_000} min · writer queue ${figures.writerQueueDepth}`,
    ),
  ]);
  return lines.map(fit);
}

function titleLine(input: TopViewInput): TopLine {
  const state = input.error
    ? { text: 'unreachable', color: 'red' as const }
    : { text: input.figures?.status ?? 'connecting', color: 'green' as const };
  const up = input.figures ? `  up ${duration(input.figures.uptimeSec)}` : '';
  const left = `BANK TOP  ${input.endpoint}  `;
  const clock = `${new Date(input.nowMs).toISOString().slice(11, 19)} UTC`;
  const pad = Math.max(1, TOP_WIDTH - left.length - state.text.length - up.length - clock.length);
  return [
    { text: left, color: 'cyan', bold: true },
    { ...state, bold: true },
    { text: up, color: 'gray' },
    { text: `${' '.repeat(pad)}${clock}`, color: 'gray' },
  ];
}

function sparkLine(
  name: string,
  input: TopViewInput,
  pick: (t: Tick) => number | null,
  format: (v: number) => string,
): TopLine {
  const values = bucketed(input.ticks, pick, SPARK_WIDTH, HISTORY_MS / SPARK_WIDTH, input.nowMs);
  const seen = values.filter((v): v is number => v !== null);
  const max = seen.length > 0 ? format(Math.max(...seen)) : '–';
  return [label(`${name} `), { text: sparkline(values), color: 'cyan' }, label(` max ${max}`)];
}

function label(text: string): Segment {
  return { text, color: 'gray' };
}

function value(v: string | number): Segment {
  return { text: String(v), bold: true };
}

/** Cut a line to TOP_WIDTH columns (every character the console draws is one column wide). */
function fit(line: TopLine): TopLine {
  let room = TOP_WIDTH;
  const out: TopLine = [];
  for (const seg of line) {
    if (room <= 0) break;
    const text = [...seg.text].slice(0, room).join('');
    room -= [...text].length;
    out.push({ ...seg, text });
  }
  return out;
}

function clockOf(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '--:--:--' : new Date(ms).toISOString().slice(11, 19);
}

function lastSeen(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '?';
  const ago = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (ago < 120) return `${ago} s ago`;
  if (ago < 7200) return `${Math.round(ago / 60)} min ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function duration(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return m > 0 ? `${m}m${String(sec % 60).padStart(2, '0')}s` : `${sec}s`;
}

/** The screen as plain text (for --once and tests). */
export function linesAsText(lines: readonly TopLine[]): string {
  return lines
    .map((l) =>
      l
        .map((s) => s.text)
        .join('')
        .trimEnd(),
    )
    .join('\n');
}
