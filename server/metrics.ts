import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readThreadCpu, threadStatPath } from './thread-cpu.js';

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
   * The hot path's one call per answered request. `requests` is counted in plain numbers and
   * handed to prom-client when it is read (its `collect`), since prom-client hashes and validates
   * the label object on every `inc`, bound child or not: that `inc` was 1.1% of the main thread's
   * busy time at C=100 (114 ms of 10.3 s in `atm bench --profile`). `requestSeconds` goes through a
   * label child bound once per op.
   */
  observeRequest(op: string, outcome: string, seconds: number): void;
  /**
   * Report a thread's CPU time as `bank_thread_cpu_seconds_total{thread,mode}`, read from its
   * /proc stat file on every scrape (server/thread-cpu.ts). The main thread is watched from the start.
   */
  watchThreadCpu(thread: string, statPath: string): void;
}

interface PendingCount {
  labels: { op: string; outcome: string };
  /** Answers counted since the last read. */
  pending: number;
}

/** At most this many (op, outcome) pairs are kept; ops and codes are closed sets, so this is a guard only. */
const MAX_BOUND_PAIRS = 1024;

/** Request counts kept as numbers between reads of `bank_requests_total`. */
class RequestTally {
  private readonly byOp = new Map<string, Map<string, PendingCount>>();
  private readonly seconds = new Map<string, { observe(value: number): void }>();
  private pairs = 0;
  requests!: Counter<'op' | 'outcome'>;
  requestSeconds!: Histogram<'op'>;

  observe(op: string, outcome: string, seconds: number): void {
    this.count(op, outcome);
    let histogram = this.seconds.get(op);
    if (!histogram) {
      histogram = this.requestSeconds.labels({ op });
      if (this.seconds.size < MAX_BOUND_PAIRS) this.seconds.set(op, histogram);
    }
    histogram.observe(seconds);
  }

  private count(op: string, outcome: string): void {
    const kept = this.byOp.get(op)?.get(outcome);
    if (kept) {
      kept.pending++;
      return;
    }
    if (this.pairs >= MAX_BOUND_PAIRS) {
      // Past the guard: straight to prom-client.
      this.requests.inc({ op, outcome });
      return;
    }
    let outcomes = this.byOp.get(op);
    if (!outcomes) {
      outcomes = new Map();
      this.byOp.set(op, outcomes);
    }
    outcomes.set(outcome, { labels: { op, outcome }, pending: 1 });
    this.pairs++;
  }

  /** Hand the counts since the last read to prom-client (its `collect`, run on every read). */
  flush(): void {
    for (const outcomes of this.byOp.values()) {
      for (const count of outcomes.values()) {
        if (count.pending === 0) continue;
        this.requests.inc(count.labels, count.pending);
        count.pending = 0;
      }
    }
  }
}

export function createServerMetrics(options: { instance?: string } = {}): ServerMetrics {
  const registry = new Registry();
  // Several instances behind one Prometheus: each series says which one (instance `main`, the
  // single-process default, keeps the series as they always were).
  if (options.instance !== undefined && options.instance !== 'main')
    registry.setDefaultLabels({ instance: options.instance });
  const registers = [registry];
  const tally = new RequestTally();
  const requests = new Counter({
    name: 'bank_requests_total',
    help: 'Requests answered, by op and outcome code',
    labelNames: ['op', 'outcome'] as const,
    registers,
    collect: () => tally.flush(),
  });
  const requestSeconds = new Histogram({
    name: 'bank_request_duration_seconds',
    help: 'Time from a request frame arriving to its response being queued',
    labelNames: ['op'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  tally.requests = requests;
  tally.requestSeconds = requestSeconds;
  const threads = new Map<string, string>();
  const mainStat = threadStatPath();
  if (mainStat) threads.set('main', mainStat);
  new Counter({
    name: 'bank_thread_cpu_seconds_total',
    help: 'CPU seconds used by the main thread and the ledger writer thread (Linux), by mode: user, system',
    labelNames: ['thread', 'mode'] as const,
    registers,
    collect() {
      // Absolute figures from the kernel: set, not counted. A thread that ended drops out.
      this.reset();
      for (const [thread, path] of threads) {
        const cpu = readThreadCpu(path);
        if (!cpu) continue;
        this.inc({ thread, mode: 'user' }, cpu.userSeconds);
        this.inc({ thread, mode: 'system' }, cpu.systemSeconds);
      }
    },
  });
  return {
    registry,
    requests,
    requestSeconds,
    observeRequest: (op, outcome, seconds) => tally.observe(op, outcome, seconds),
    watchThreadCpu: (thread, statPath) => {
      threads.set(thread, statPath);
    },
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
