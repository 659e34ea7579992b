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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { LedgerStore, openLedger, utcDay } from '../../server/ledger/index.js';
import { costLines, runWriterBatches, setUp } from './ledger-bench-setup.js';

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

async function measure(rowCache: boolean): Promise<void> {
  applyRowCacheMode(rowCache);
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
  const ledger = await setUp(dir);
  const { store, ids } = ledger;
  for (const pragma of process.env.LEDGER_PRAGMAS?.split(';').filter(Boolean) ?? []) store.database.pragma(pragma);
  if (process.env.LEDGER_EXEC) store.database.exec(process.env.LEDGER_EXEC);
  const run = await runWriterBatches(ledger, {
    batch,
    batches,
    lastCommitCpuUs: () => lastCommitCpuUs,
    afterWarmUp: () => stats.clear(),
    onRefusal: (code, request) => {
      if (process.env.LEDGER_DEBUG) console.log(code, request);
    },
  });
  const { total, commits, checkpointCommits, plainCommits } = run;
  const mean = commits.reduce((s, x) => s + x, 0) / commits.length;
  const lines = costLines(run, batch);
  console.log(
    `writer: ${total} mutations in ${commits.length} commits of ${batch}; ${run.refused} refused; row cache ${rowCache ? 'on' : 'off'}\n` +
      `${lines.cpu}\n` +
      `  ${mean.toFixed(2)} ms per commit inside the writer (${((mean * 1000) / batch).toFixed(1)} µs per mutation)\n` +
      lines.wal,
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
  run.wal.close();
  measureBalanceReads(ledger.path, ids);
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
