/**
 * Where a group commit's time goes, without sockets: the `atm bench` ledger in one process. N
 * customers at 8 enrolled, loaded terminals; batches of B mutations of the bench mix (25 deposit /
 * 25 withdraw / 20 transfer, all in terminal sessions, audit outbox on, the bench's lifted limits)
 * through the real LedgerWriter, withOutbox and applyMutation, on a real SQLite file (WAL,
 * synchronous=FULL). Then the main thread's balance read (30% of the mix) on a second connection.
 *
 * Run: npx tsx tests/bench/ledger-batch.bench.ts [batch=34] [batches=300] [repeats=1]
 * Prints CPU µs per mutation (process.cpuUsage: the writer is this thread), wall µs per commit,
 * WAL frames (pages) per commit (read from the -shm header, so checkpoints are not disturbed),
 * checkpoints, and with LEDGER_TRACE=1 every statement: calls and µs per mutation, COMMIT included.
 * LEDGER_PRAGMAS="wal_autocheckpoint=0;..." runs pragmas on the writer's connection first, and
 * LEDGER_EXEC="DROP INDEX ..." SQL (schema experiments) after the set-up.
 * LEDGER_ROW_CACHE=off runs without the writer's row cache (writer-row-cache.ts), =ab runs every
 * repeat twice, with it and without, alternating in this one process (a noisy machine moves
 * both alike).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  enrollTerminal,
  type LedgerConfig,
  LedgerStore,
  LedgerWriter,
  type MutatingRequest,
  moveTerminalCash,
  openLedger,
  utcDay,
  withOutbox,
} from '../../server/ledger/index.js';

/** With LEDGER_TRACE=1, time every statement by its SQL (statements per mutation, µs each). */
const stats = new Map<string, { calls: number; ms: number; cpuUs: number }>();
/** CPU of the last COMMIT (traced runs), to tell the commits that checkpointed from the others. */
let lastCommitCpuUs = 0;
if (process.env.LEDGER_TRACE) {
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const key = sql.replace(/\s+/g, ' ').trim().slice(0, 70);
    for (const method of ['run', 'get', 'all'] as const) {
      const original = statement[method] as (...a: unknown[]) => unknown;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        try {
          return original.apply(this, args);
        } finally {
          const c = process.cpuUsage(c0);
          const entry = stats.get(key) ?? { calls: 0, ms: 0, cpuUs: 0 };
          entry.calls++;
          entry.ms += performance.now() - t0;
          entry.cpuUs += c.user + c.system;
          stats.set(key, entry);
          if (key === 'COMMIT') lastCommitCpuUs = c.user + c.system;
        }
      };
    }
    return statement as never;
  } as typeof prepare;
}

const enableRowCache = LedgerStore.prototype.enableRowCache;
/** With `on` false, a LedgerWriter leaves its store without the row cache (the figure before it). */
function applyRowCacheMode(on: boolean): void {
  LedgerStore.prototype.enableRowCache = on
    ? enableRowCache
    : function (this: LedgerStore) {
        return null as unknown as ReturnType<typeof enableRowCache>;
      };
}

const batch = Number(process.argv[2] ?? 34);
const batches = Number(process.argv[3] ?? 300);
const ACCOUNTS = 100;
const TERMINALS = 8;

/** The bench server's limits (atm-client/bench/bench-bank.ts): no refusals, no velocity alerts. */
const BENCH_CONFIG: LedgerConfig = {
  ...DEFAULT_LEDGER_CONFIG,
  dailyWithdrawalLimitCents: 100_000_000_000,
  fraud: { ...DEFAULT_LEDGER_CONFIG.fraud, velocityCount: 1_000_000_000 },
};

/** The -shm header's mxFrame (offset 16): frames in the WAL since its last reset. */
function walFrames(shm: number): number {
  const header = Buffer.alloc(48);
  readSync(shm, header, 0, 48, 0);
  return header.readUInt32LE(16);
}

/** 25 deposits, 25 withdrawals, 20 transfers in every 70, interleaved (37 is coprime with 70). */
function opAt(n: number): 'deposit' | 'withdraw' | 'transfer' {
  const k = (n * 37) % 70;
  return k < 25 ? 'deposit' : k < 50 ? 'withdraw' : 'transfer';
}

async function setUp(
  dir: string,
): Promise<{ store: LedgerStore; ids: number[]; terminals: { id: string; fingerprint: string }[] }> {
  const store = openLedger(join(dir, 'ledger.db'), { requestHashKey: new Uint8Array(32).fill(7) });
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
  return { store, ids, terminals };
}

async function measure(rowCache: boolean): Promise<void> {
  applyRowCacheMode(rowCache);
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
  const { store, ids, terminals } = await setUp(dir);
  for (const pragma of process.env.LEDGER_PRAGMAS?.split(';').filter(Boolean) ?? []) store.database.pragma(pragma);
  if (process.env.LEDGER_EXEC) store.database.exec(process.env.LEDGER_EXEC);
  const shm = openSync(join(dir, 'ledger.db-shm'), 'r');
  const autocheckpoint = store.database.pragma('wal_autocheckpoint', { simple: true }) as number;
  const commits: number[] = [];
  const frames: number[] = [];
  const checkpointCommits: Array<[number, number]> = [];
  const plainCommits: Array<[number, number]> = [];
  let lastFrames = walFrames(shm);
  let resets = 0;
  const writer = new LedgerWriter(store, {
    onBatch: (_size, ms) => {
      commits.push(ms);
      const now = walFrames(shm);
      // SQLite checkpoints in the COMMIT that takes the WAL past wal_autocheckpoint pages; the
      // next write then starts the WAL over.
      const checkpointed = lastFrames < autocheckpoint && now >= autocheckpoint;
      (checkpointed ? checkpointCommits : plainCommits).push([ms, lastCommitCpuUs]);
      if (now < lastFrames) resets++;
      frames.push(now < lastFrames ? now : now - lastFrames);
      lastFrames = now;
    },
  });
  let n = 0;
  let refused = 0;
  const submitOne = (i: number) => {
    const a = i % ACCOUNTS;
    const op = opAt(n);
    const id = `s${a}-${n}`;
    const request = (
      op === 'transfer' ? { id, op, to: `acct${(a + 1) % ACCOUNTS}`, amountCents: 100 } : { id, op, amountCents: 100 }
    ) as MutatingRequest;
    n++;
    const terminal = terminals[a % TERMINALS] as { id: string; fingerprint: string };
    const audit = { actor: `acct${a}`, address: '127.0.0.1', terminal: terminal.id, sessionId: `sess${a}` };
    const target = { accountId: ids[a] as number, user: `acct${a}`, nowMs: Date.now(), terminal };
    return writer
      .submit((s) =>
        withOutbox(s.database, audit, request, () => applyMutation(s, { ...target, config: BENCH_CONFIG }, request)),
      )
      .then((outcome) => {
        if (!outcome.ok) {
          refused++;
          if (process.env.LEDGER_DEBUG) console.log(outcome.code, request);
        }
      });
  };
  // Warm-up: every account has history, prepared statements and the JIT are warm.
  for (let b = 0; b < 30; b++) await Promise.all(Array.from({ length: batch }, (_, i) => submitOne(b * batch + i)));
  commits.length = 0;
  frames.length = 0;
  checkpointCommits.length = 0;
  plainCommits.length = 0;
  resets = 0;
  refused = 0;
  stats.clear();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++)
    await Promise.all(Array.from({ length: batch }, (_, i) => submitOne(b * batch + i)));
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const total = batch * batches;
  const mean = commits.reduce((s, x) => s + x, 0) / commits.length;
  const meanFrames = frames.reduce((s, x) => s + x, 0) / frames.length;
  console.log(
    `writer: ${total} mutations in ${commits.length} commits of ${batch}; ${refused} refused; row cache ${rowCache ? 'on' : 'off'}\n` +
      `  CPU ${((cpu.user + cpu.system) / total).toFixed(1)} µs per mutation (user ${(cpu.user / total).toFixed(1)}, system ${(cpu.system / total).toFixed(1)}); wall ${((elapsed * 1000) / total).toFixed(1)} µs per mutation\n` +
      `  ${mean.toFixed(2)} ms per commit inside the writer (${((mean * 1000) / batch).toFixed(1)} µs per mutation)\n` +
      `  WAL ${meanFrames.toFixed(1)} pages per commit (${(meanFrames / batch).toFixed(2)} per mutation), ${resets} checkpoints`,
  );
  if (stats.size > 0) {
    const mean = (xs: Array<[number, number]>, i: 0 | 1) =>
      xs.reduce((sum, x) => sum + x[i], 0) / Math.max(1, xs.length);
    console.log(
      `  commits that checkpointed: ${checkpointCommits.length}, ${mean(checkpointCommits, 0).toFixed(2)} ms, COMMIT CPU ${mean(checkpointCommits, 1).toFixed(0)} µs; ` +
        `the others ${mean(plainCommits, 0).toFixed(2)} ms, COMMIT CPU ${mean(plainCommits, 1).toFixed(0)} µs`,
    );
    const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
    let calls = 0;
    for (const [, s] of rows) calls += s.calls;
    console.log(`  ${(calls / total).toFixed(2)} statements per mutation:`);
    for (const [sql, s] of rows) {
      console.log(
        `  ${((s.ms * 1000) / total).toFixed(1).padStart(6)} µs/mutation (CPU ${(s.cpuUs / total).toFixed(1).padStart(5)})  ${(s.calls / total).toFixed(2)} calls/mutation  ${((s.ms * 1000) / s.calls).toFixed(1).padStart(6)} µs/call  ${sql}`,
      );
    }
  }
  await writer.close();
  closeSync(shm);
  measureBalanceReads(join(dir, 'ledger.db'), ids);
  store.close();
  await rm(dir, { recursive: true, force: true });
}

/** The main thread's balance request on its own connection: the four reads it once took, and the one it takes. */
function measureBalanceReads(path: string, ids: number[]): void {
  const reads = openLedger(path);
  const day = utcDay(Date.now());
  let sink = 0;
  const four = (id: number) => {
    const usable = reads.getAccount(id);
    const account = reads.getAccount(id);
    sink += reads.balance(id) + reads.withdrawnOn(id, day) + (usable?.locked ? 1 : 0) + (account?.totpEnabled ? 1 : 0);
  };
  const one = (id: number) => {
    const view = reads.balanceView(id, day);
    sink += (view?.balanceCents ?? 0) + (view?.withdrawnCents ?? 0) + (view?.locked ? 1 : 0);
  };
  const rounds = 20_000;
  const timed = (read: (id: number) => void): string => {
    for (let i = 0; i < 2000; i++) read(ids[i % ids.length] as number);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < rounds; i++) read(ids[i % ids.length] as number);
    const cpu = process.cpuUsage(cpu0);
    return ((cpu.user + cpu.system) / rounds).toFixed(2);
  };
  console.log(
    `balance request reads: CPU µs per request: 4 store reads ${timed(four)}, balanceView ${
      // Absent from older code, so that this file measures it too.
      typeof reads.balanceView === 'function' ? timed(one) : 'absent'
    } (${sink > 0 ? 'ok' : '?'})`,
  );
  reads.close();
}

const repeats = Number(process.argv[4] ?? 1);
const rowCacheMode = process.env.LEDGER_ROW_CACHE ?? 'on';
for (let r = 0; r < repeats; r++) {
  if (rowCacheMode === 'ab') {
    await measure(r % 2 === 0);
    await measure(r % 2 !== 0);
  } else await measure(rowCacheMode !== 'off');
}
