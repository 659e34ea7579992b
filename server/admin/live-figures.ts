import type { Registry } from 'prom-client';

/**
 * The operator's figures, read from the very metrics /metrics exports, so `bank-server top`, the
 * dashboard page and Prometheus never disagree. Counters are totals since start; clients turn two
 * snapshots into rates and, from histogram bucket deltas, into p50/p99.
 *
 * Nothing here may carry a balance, contact data or a secret: user names appear only in fraud alerts.
 */

/** A Prometheus histogram: `cumulative[i]` observations were ≤ `le[i]`; `count` includes +Inf. */
export interface HistogramFigure {
  le: number[];
  cumulative: number[];
  count: number;
  sum: number;
}

/** Requests answered for one op, by outcome code (`ok` or an error code). */
export interface OpFigure {
  op: string;
  total: number;
  outcomes: Record<string, number>;
}

/** One enrolled ATM: its cash position is the bank's own money in the machine, not a customer balance. */
export interface TerminalFigure {
  id: string;
  status: string;
  cashCents: number;
  lastSeenAt: string | null;
}

/** A fraud alert as the console shows it (the only place a user name appears). */
export interface AlertFigure {
  at: string;
  rule: string;
  user: string;
  op: string;
  amountCents: number;
  action: 'alert' | 'held';
}

export interface LiveFigures {
  /** When these were read (ms since the epoch); rates divide by the difference of two of these. */
  sampledAtMs: number;
  connections: number;
  sessions: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  connectionsTlsErrors: number;
  requestsServed: number;
  requests: OpFigure[];
  /** Request latency in seconds, all ops together. */
  latency: HistogramFigure;
  /** Mutations per group commit. */
  commitBatchSize: HistogramFigure;
  /** Seconds one group commit took. */
  commitBatchSeconds: HistogramFigure;
  logins: { total: number; ok: number; failed: number; byOutcome: Record<string, number> };
  lockouts: number;
  integrityFailures: { total: number; byCause: Record<string, number> };
  fraudAlerts: { total: number; byRule: Record<string, number>; newest: AlertFigure[] };
  terminals: TerminalFigure[];
}

export interface LiveFigureSources {
  registry: Registry;
  clock?: () => number;
  /** Enrolled terminals; none until the ledger keeps them. */
  terminals?: () => TerminalFigure[] | Promise<TerminalFigure[]>;
  /** The newest fraud alerts, newest first. */
  alerts?: (limit: number) => AlertFigure[] | Promise<AlertFigure[]>;
}

/** How many fraud alerts a snapshot carries. */
export const NEWEST_ALERTS = 5;

type Sample = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };

/** Read one snapshot of the figures. */
export async function readLiveFigures(sources: LiveFigureSources): Promise<LiveFigures> {
  const metrics = await sources.registry.getMetricsAsJSON();
  const byName = new Map<string, Sample[]>(metrics.map((m) => [m.name, m.values as Sample[]]));
  const samples = (name: string): Sample[] => byName.get(name) ?? [];
  const total = (name: string) => samples(name).reduce((sum, s) => sum + s.value, 0);
  const byLabel = (name: string, label: string) => {
    const out: Record<string, number> = {};
    for (const s of samples(name)) {
      const key = String(s.labels[label] ?? '');
      out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
  };
  const connectionOutcomes = byLabel('bank_connections_total', 'outcome');
  const loginOutcomes = byLabel('bank_logins_total', 'outcome');
  const loginsOk = loginOutcomes.ok ?? 0;
  const loginsTotal = total('bank_logins_total');
  return {
    sampledAtMs: (sources.clock ?? Date.now)(),
    connections: total('bank_connections_open'),
    sessions: total('bank_sessions_open'),
    connectionsAccepted: connectionOutcomes.accepted ?? 0,
    connectionsRefused: connectionOutcomes.refused ?? 0,
    connectionsTlsErrors: connectionOutcomes.tls_error ?? 0,
    requestsServed: total('bank_requests_total'),
    requests: opFigures(samples('bank_requests_total')),
    latency: histogramOf(samples('bank_request_duration_seconds'), 'bank_request_duration_seconds'),
    commitBatchSize: histogramOf(samples('bank_ledger_batch_size'), 'bank_ledger_batch_size'),
    commitBatchSeconds: histogramOf(samples('bank_ledger_batch_seconds'), 'bank_ledger_batch_seconds'),
    logins: { total: loginsTotal, ok: loginsOk, failed: loginsTotal - loginsOk, byOutcome: loginOutcomes },
    lockouts: total('bank_lockouts_total'),
    integrityFailures: {
      total: total('bank_integrity_failures_total'),
      byCause: byLabel('bank_integrity_failures_total', 'cause'),
    },
    fraudAlerts: {
      total: total('bank_fraud_alerts_total'),
      byRule: byLabel('bank_fraud_alerts_total', 'rule'),
      newest: (await sources.alerts?.(NEWEST_ALERTS)) ?? [],
    },
    terminals: (await sources.terminals?.()) ?? [],
  };
}

function opFigures(samples: Sample[]): OpFigure[] {
  const ops = new Map<string, OpFigure>();
  for (const s of samples) {
    const op = String(s.labels.op ?? '');
    const outcome = String(s.labels.outcome ?? '');
    const figure = ops.get(op) ?? { op, total: 0, outcomes: {} };
    figure.total += s.value;
    figure.outcomes[outcome] = (figure.outcomes[outcome] ?? 0) + s.value;
    ops.set(op, figure);
  }
  return [...ops.values()].sort((a, b) => a.op.localeCompare(b.op));
}

/** Sum a histogram's series over every label set (all ops together), bucket by bucket. */
function histogramOf(samples: Sample[], name: string): HistogramFigure {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const s of samples) {
    if (s.metricName === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    } else if (s.metricName === `${name}_count`) count += s.value;
    else if (s.metricName === `${name}_sum`) sum += s.value;
  }
  const finite = [...buckets.keys()].filter(Number.isFinite).sort((a, b) => a - b);
  return { le: finite, cumulative: finite.map((le) => buckets.get(le) ?? 0), count, sum };
}
