/**
 * The ledger benches' shared parts (ledger-batch.bench.ts, ledger-minimum.bench.ts): the `atm
 * bench` ledger set up through the project's own functions, the bench mix, the WAL meter, and the
 * real writer path (LedgerWriter, withOutbox, applyMutation) driven in batches. One copy, so both
 * benches measure the same ledger and the same requests.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  enrollTerminal,
  type LedgerConfig,
  type LedgerStore,
  LedgerWriter,
  type MutatingRequest,
  moveTerminalCash,
  type OutboxEnvelope,
  openLedger,
  withOutbox,
} from '../../server/ledger/index.js';

export const ACCOUNTS = 100;
export const TERMINALS = 8;
/** Batches run before the measured ones: every account has history, prepared statements and the JIT are warm. */
export const WARM_UP_BATCHES = 30;

/** The bench server's limits (atm-client/bench/bench-bank.ts): no refusals, no velocity alerts. */
export const BENCH_CONFIG: LedgerConfig = {
  ...DEFAULT_LEDGER_CONFIG,
  dailyWithdrawalLimitCents: 100_000_000_000,
  fraud: { ...DEFAULT_LEDGER_CONFIG.fraud, velocityCount: 1_000_000_000 },
};

export interface BenchTerminal {
  id: string;
  fingerprint: string;
}

export interface BenchLedger {
  path: string;
  store: LedgerStore;
  ids: number[];
  terminals: BenchTerminal[];
}

/** 25 deposits, 25 withdrawals, 20 transfers in every 70, interleaved (37 is coprime with 70). */
export function opAt(n: number): 'deposit' | 'withdraw' | 'transfer' {
  const k = (n * 37) % 70;
  return k < 25 ? 'deposit' : k < 50 ? 'withdraw' : 'transfer';
}

/** The n-th request of the mix, made by customer index `a`: 100 cents, a transfer to the next customer. */
export function mixRequest(n: number, a: number): MutatingRequest {
  const op = opAt(n);
  const id = `s${a}-${n}`;
  return (
    op === 'transfer' ? { id, op, to: `acct${(a + 1) % ACCOUNTS}`, amountCents: 100 } : { id, op, amountCents: 100 }
  ) as MutatingRequest;
}

/** Who customer `a` is in the audit trail: its own session at its terminal. */
export function auditEnvelope(a: number, terminal: BenchTerminal): OutboxEnvelope {
  return { actor: `acct${a}`, address: '127.0.0.1', terminal: terminal.id, sessionId: `sess${a}` };
}

/** Customers acct0… at TERMINALS enrolled, loaded terminals, each account opened with a deposit. */
export async function setUp(dir: string): Promise<BenchLedger> {
  const path = join(dir, 'ledger.db');
  const store = openLedger(path, { requestHashKey: new Uint8Array(32).fill(7) });
  const ids: number[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const created = store.createAccount({ user: `acct${i}`, passwordHash: 'x' });
    if (!created.ok) throw new Error(created.code);
    ids.push(created.account.id);
  }
  const terminals = Array.from({ length: TERMINALS }, (_, t) => ({ id: `atm-${t}`, fingerprint: `fp${t}` }));
  for (const t of terminals) {
    enrollTerminal(store, { id: t.id, fingerprint: t.fingerprint, nowIso: new Date().toISOString() });
    moveTerminalCash(store, { id: t.id, kind: 'load', amountCents: 10_000_000_000_000, nowMs: Date.now() });
  }
  // Each bench account opens with a deposit far above what the run withdraws (bench-mix.ts).
  const writer = new LedgerWriter(store);
  await Promise.all(
    ids.map((accountId, i) =>
      writer.submit((s) =>
        applyMutation(
          s,
          { accountId, user: `acct${i}`, nowMs: Date.now(), terminal: terminals[0] ?? null, config: BENCH_CONFIG },
          { id: `open${i}`, op: 'deposit', amountCents: BENCH_CONFIG.maxAmountCents },
        ),
      ),
    ),
  );
  await writer.close();
  return { path, store, ids, terminals };
}

/**
 * WAL frames (pages) per commit, read from the -shm header's mxFrame (offset 16: frames in the
 * WAL since its last reset), so checkpoints are not disturbed. SQLite checkpoints in the COMMIT
 * that takes the WAL past wal_autocheckpoint pages; the next write then starts the WAL over.
 */
export class WalMeter {
  readonly #shm: number;
  readonly #autocheckpoint: number;
  readonly #header = Buffer.alloc(48);
  #last: number;
  /** Pages each commit since {@link reset} appended. */
  frames: number[] = [];
  /** WAL restarts since {@link reset}. */
  resets = 0;

  constructor(path: string, autocheckpoint: number) {
    this.#shm = openSync(`${path}-shm`, 'r');
    this.#autocheckpoint = autocheckpoint;
    this.#last = this.#read();
  }

  #read(): number {
    readSync(this.#shm, this.#header, 0, 48, 0);
    return this.#header.readUInt32LE(16);
  }

  /** After a COMMIT: counts its pages; true when this commit checkpointed. */
  committed(): boolean {
    const now = this.#read();
    const checkpointed = this.#last < this.#autocheckpoint && now >= this.#autocheckpoint;
    if (now < this.#last) this.resets++;
    this.frames.push(now < this.#last ? now : now - this.#last);
    this.#last = now;
    return checkpointed;
  }

  reset(): void {
    this.frames = [];
    this.resets = 0;
  }

  get meanFrames(): number {
    return this.frames.reduce((s, x) => s + x, 0) / this.frames.length;
  }

  close(): void {
    closeSync(this.#shm);
  }
}

export interface WriterRun {
  total: number;
  refused: number;
  cpu: NodeJS.CpuUsage;
  elapsedMs: number;
  /** ms inside the writer per commit. */
  commits: number[];
  wal: WalMeter;
  /** [ms, COMMIT CPU µs] of the commits that checkpointed, and of the others. */
  checkpointCommits: Array<[number, number]>;
  plainCommits: Array<[number, number]>;
}

export interface WriterRunOptions {
  batch: number;
  batches: number;
  /** The last COMMIT's CPU µs, when something times statements (ledger-batch's LEDGER_TRACE). */
  lastCommitCpuUs?: () => number;
  /** Called when the warm-up is done, before the measured batches. */
  afterWarmUp?: () => void;
  onRefusal?: (code: string, request: MutatingRequest) => void;
}

/**
 * The real writer path: batches of `batch` mutations of the mix, all in terminal sessions with the
 * audit outbox on, through LedgerWriter, withOutbox and applyMutation on `ledger`'s store. CPU is
 * process.cpuUsage (the writer is this thread). The caller closes `wal` and the store.
 */
export async function runWriterBatches(ledger: BenchLedger, options: WriterRunOptions): Promise<WriterRun> {
  const { store, ids, terminals } = ledger;
  const { batch, batches } = options;
  const autocheckpoint = store.database.pragma('wal_autocheckpoint', { simple: true }) as number;
  const wal = new WalMeter(ledger.path, autocheckpoint);
  const commits: number[] = [];
  const checkpointCommits: Array<[number, number]> = [];
  const plainCommits: Array<[number, number]> = [];
  const writer = new LedgerWriter(store, {
    onBatch: (_size, ms) => {
      commits.push(ms);
      const commitCpu = options.lastCommitCpuUs?.() ?? 0;
      (wal.committed() ? checkpointCommits : plainCommits).push([ms, commitCpu]);
    },
  });
  let n = 0;
  let refused = 0;
  const submitOne = (i: number) => {
    const a = i % ACCOUNTS;
    const request = mixRequest(n, a);
    n++;
    const terminal = terminals[a % TERMINALS] as BenchTerminal;
    const audit = auditEnvelope(a, terminal);
    const target = { accountId: ids[a] as number, user: `acct${a}`, nowMs: Date.now(), terminal };
    return writer
      .submit((s) =>
        withOutbox(s.database, audit, request, () => applyMutation(s, { ...target, config: BENCH_CONFIG }, request)),
      )
      .then((outcome) => {
        if (!outcome.ok) {
          refused++;
          options.onRefusal?.(outcome.code, request);
        }
      });
  };
  const runBatch = (b: number) => Promise.all(Array.from({ length: batch }, (_, i) => submitOne(b * batch + i)));
  for (let b = 0; b < WARM_UP_BATCHES; b++) await runBatch(b);
  commits.length = 0;
  checkpointCommits.length = 0;
  plainCommits.length = 0;
  wal.reset();
  refused = 0;
  options.afterWarmUp?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await runBatch(b);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await writer.close();
  return { total: batch * batches, refused, cpu, elapsedMs, commits, wal, checkpointCommits, plainCommits };
}

/** The CPU (and wall) per mutation line and the WAL per commit line of a run. */
export function costLines(
  run: { total: number; cpu: NodeJS.CpuUsage; elapsedMs: number; wal: WalMeter },
  batch: number,
) {
  const { total, cpu, wal } = run;
  return {
    cpu: `  CPU ${((cpu.user + cpu.system) / total).toFixed(1)} µs per mutation (user ${(cpu.user / total).toFixed(1)}, system ${(cpu.system / total).toFixed(1)}); wall ${((run.elapsedMs * 1000) / total).toFixed(1)} µs per mutation`,
    wal: `  WAL ${wal.meanFrames.toFixed(1)} pages per commit (${(wal.meanFrames / batch).toFixed(2)} per mutation), ${wal.resets} checkpoints`,
  };
}
