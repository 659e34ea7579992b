import type { HistogramFigure, LiveFigures } from '../admin/live-figures.js';

/**
 * Turns two /status snapshots into what a person watches: rates and percentiles over the interval
 * between them. Pure, and free of Node imports, because the dashboard page runs it in the browser
 * too (served as /assets/figures-math.js) — the console and the page compute the same way.
 */

/** One interval between two snapshots. Null where the interval had nothing to measure. */
export interface Tick {
  atMs: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  sessions: number;
  connections: number;
  /** Mean mutations per group commit in the interval. */
  batchSize: number | null;
  /** Mean time of one group commit in the interval, ms. */
  batchMs: number | null;
  loginsPerSec: number;
  failedLoginsPerSec: number;
  ops: OpRate[];
}

export interface OpRate {
  op: string;
  perSec: number;
  total: number;
  /** Totals since start, by outcome code, largest first. */
  outcomes: [string, number][];
}

/** Rates over the interval from `prev` to `cur`; a counter that went backwards (restart) counts from zero. */
export function tickBetween(prev: LiveFigures, cur: LiveFigures): Tick {
  const seconds = Math.max((cur.sampledAtMs - prev.sampledAtMs) / 1000, 0.001);
  const perSec = (a: number, b: number) => counterDelta(a, b) / seconds;
  const latency = histogramDelta(prev.latency, cur.latency);
  const sizes = histogramDelta(prev.commitBatchSize, cur.commitBatchSize);
  const times = histogramDelta(prev.commitBatchSeconds, cur.commitBatchSeconds);
  const before = new Map(prev.requests.map((r) => [r.op, r.total]));
  const ops = cur.requests
    .map((r) => ({
      op: r.op,
      perSec: perSec(before.get(r.op) ?? 0, r.total),
      total: r.total,
      outcomes: Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]),
    }))
    .sort((a, b) => b.perSec - a.perSec || b.total - a.total || a.op.localeCompare(b.op));
  const p50 = quantile(latency, 0.5);
  const p99 = quantile(latency, 0.99);
  return {
    atMs: cur.sampledAtMs,
    seconds,
    reqPerSec: perSec(prev.requestsServed, cur.requestsServed),
    p50Ms: p50 === null ? null : p50 * 1000,
    p99Ms: p99 === null ? null : p99 * 1000,
    sessions: cur.sessions,
    connections: cur.connections,
    batchSize: sizes.count > 0 ? sizes.sum / sizes.count : null,
    batchMs: times.count > 0 ? (times.sum / times.count) * 1000 : null,
    loginsPerSec: perSec(prev.logins.total, cur.logins.total),
    failedLoginsPerSec: perSec(prev.logins.failed, cur.logins.failed),
    ops,
  };
}

function counterDelta(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** Observations that fell between two snapshots of one histogram. */
export function histogramDelta(prev: HistogramFigure, cur: HistogramFigure): HistogramFigure {
  if (cur.count < prev.count) return cur;
  const earlier = new Map(prev.le.map((le, i) => [le, prev.cumulative[i] ?? 0]));
  return {
    le: cur.le,
    cumulative: cur.le.map((le, i) => (cur.cumulative[i] ?? 0) - (earlier.get(le) ?? 0)),
    count: cur.count - prev.count,
    sum: cur.sum - prev.sum,
  };
}

/**
 * The q-quantile of a histogram, interpolating linearly inside the bucket it falls in (as
 * Prometheus's histogram_quantile does). Past the last finite bound it answers that bound.
 */
export function quantile(h: HistogramFigure, q: number): number | null {
  if (h.count <= 0) return null;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < h.le.length; i++) {
    const upper = h.le[i] ?? 0;
    const atOrBelow = h.cumulative[i] ?? 0;
    if (atOrBelow >= rank) {
      const inBucket = atOrBelow - below;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
    lower = upper;
    below = atOrBelow;
  }
  return h.le.length > 0 ? lower : null;
}

/** Values in fixed-width time buckets ending now (mean of each), oldest first; null where none fell. */
export function bucketed(
  ticks: readonly Tick[],
  pick: (t: Tick) => number | null,
  buckets: number,
  bucketMs: number,
  nowMs: number,
): (number | null)[] {
  const sums = new Array<number>(buckets).fill(0);
  const counts = new Array<number>(buckets).fill(0);
  for (const t of ticks) {
    const age = Math.floor((nowMs - t.atMs) / bucketMs);
    const value = pick(t);
    if (age < 0 || age >= buckets || value === null) continue;
    const slot = buckets - 1 - age;
    sums[slot] = (sums[slot] ?? 0) + value;
    counts[slot] = (counts[slot] ?? 0) + 1;
  }
  return sums.map((s, i) => ((counts[i] ?? 0) > 0 ? s / (counts[i] ?? 1) : null));
}

/** Cash as the console shows it: 1234567 → "12,345.67". */
export function formatCash(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** A latency for people: "0.84 ms", "12.3 ms", "1.20 s"; "–" when there is none. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** A rate for people: "0", "3.5", "142". */
export function formatRate(perSec: number): string {
  if (perSec === 0) return '0';
  return perSec < 100 ? perSec.toFixed(1) : Math.round(perSec).toString();
}
