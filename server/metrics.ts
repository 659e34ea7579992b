import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics for /metrics; one registry per server so tests can run several. */
export interface ServerMetrics {
  registry: Registry;
  connections: Counter<'outcome'>;
  activeConnections: Gauge;
  activeSessions: Gauge;
  requests: Counter<'op' | 'outcome'>;
  requestSeconds: Histogram<'op'>;
  batchSize: Histogram;
  batchSeconds: Histogram;
  logins: Counter<'method' | 'outcome'>;
  lockouts: Counter;
  integrityFailures: Counter<'cause'>;
  fraudAlerts: Counter<'rule'>;
  /**
   * The hot path's one call per answered request: `requests` and `requestSeconds` through label
   * children bound once per (op, outcome), since prom-client hashes the label object on every
   * `inc({...})`/`observe({...})` otherwise.
   */
  observeRequest(op: string, outcome: string, seconds: number): void;
}

interface BoundRequestMetrics {
  count: { inc(): void };
  seconds: { observe(value: number): void };
}

/** At most this many (op, outcome) pairs are bound; ops and codes are closed sets, so this is a guard only. */
const MAX_BOUND_PAIRS = 1024;

function requestObserver(
  requests: Counter<'op' | 'outcome'>,
  requestSeconds: Histogram<'op'>,
): (op: string, outcome: string, seconds: number) => void {
  const bound = new Map<string, BoundRequestMetrics>();
  return (op, outcome, seconds) => {
    const key = `${op}\u0000${outcome}`;
    let pair = bound.get(key);
    if (!pair) {
      pair = { count: requests.labels({ op, outcome }), seconds: requestSeconds.labels({ op }) };
      if (bound.size < MAX_BOUND_PAIRS) bound.set(key, pair);
    }
    pair.count.inc();
    pair.seconds.observe(seconds);
  };
}

export function createServerMetrics(options: { instance?: string } = {}): ServerMetrics {
  const registry = new Registry();
  // Several instances behind one Prometheus: each series says which one (instance `main`, the
  // single-process default, keeps the series as they always were).
  if (options.instance !== undefined && options.instance !== 'main')
    registry.setDefaultLabels({ instance: options.instance });
  const registers = [registry];
  const requests = new Counter({
    name: 'bank_requests_total',
    help: 'Requests answered, by op and outcome code',
    labelNames: ['op', 'outcome'] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'bank_request_duration_seconds',
    help: 'Time from a request frame arriving to its response being queued',
    labelNames: ['op'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  return {
    registry,
    requests,
    requestSeconds,
    observeRequest: requestObserver(requests, requestSeconds),
    connections: new Counter({
      name: 'bank_connections_total',
      help: 'TLS connections accepted, by how they were admitted',
      labelNames: ['outcome'],
      registers,
    }),
    activeConnections: new Gauge({ name: 'bank_connections_open', help: 'Open TLS connections', registers }),
    activeSessions: new Gauge({ name: 'bank_sessions_open', help: 'Logged-in sessions', registers }),
    batchSize: new Histogram({
      name: 'bank_ledger_batch_size',
      help: 'Mutations committed per ledger transaction (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'bank_ledger_batch_seconds',
      help: 'Time to run and commit one ledger batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    logins: new Counter({
      name: 'bank_logins_total',
      help: 'Login and registration attempts, by outcome code',
      labelNames: ['method', 'outcome'],
      registers,
    }),
    lockouts: new Counter({ name: 'bank_lockouts_total', help: 'Accounts locked after failed logins', registers }),
    integrityFailures: new Counter({
      name: 'bank_integrity_failures_total',
      help: 'Sessions closed for a broken frame, envelope, sequence or MAC',
      labelNames: ['cause'],
      registers,
    }),
    fraudAlerts: new Counter({
      name: 'bank_fraud_alerts_total',
      help: 'Fraud rules tripped',
      labelNames: ['rule'],
      registers,
    }),
  };
}
