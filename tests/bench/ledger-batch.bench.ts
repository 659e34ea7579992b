/**
 * Where a group commit's time goes, without sockets: N accounts, batches of B mutations of the
 * bench mix through the real LedgerWriter and applyMutation, on a real SQLite file (WAL,
 * synchronous=FULL). Run: npx tsx tests/bench/ledger-batch.bench.ts [batch] [batches]
 * Prints µs per mutation and per commit, with the fraud rules on and off.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  type LedgerConfig,
  LedgerWriter,
  type MutatingRequest,
  openLedger,
} from '../../server/ledger/index.js';

/** With LEDGER_TRACE=1, time every statement by its SQL (statements per mutation, µs each). */
const stats = new Map<string, { calls: number; ms: number }>();
if (process.env.LEDGER_TRACE) {
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const key = sql.replace(/\s+/g, ' ').trim().slice(0, 70);
    for (const method of ['run', 'get', 'all'] as const) {
      const original = statement[method] as (...a: unknown[]) => unknown;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        try {
          return original.apply(this, args);
        } finally {
          const entry = stats.get(key) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += performance.now() - t0;
          stats.set(key, entry);
        }
      };
    }
    return statement as never;
  } as typeof prepare;
}

const batch = Number(process.argv[2] ?? 50);
const batches = Number(process.argv[3] ?? 200);
const ACCOUNTS = 100;

async function measure(label: string, config: LedgerConfig): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
  const store = openLedger(join(dir, 'ledger.db'));
  for (const pragma of process.env.LEDGER_PRAGMAS?.split(';').filter(Boolean) ?? []) store.database.pragma(pragma);
  const commits: number[] = [];
  const writer = new LedgerWriter(store, { onBatch: (_size, ms) => commits.push(ms) });
  const ids: number[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const created = store.createAccount({ user: `acct${i}`, passwordHash: 'x' });
    if (!created.ok) throw new Error(created.code);
    ids.push(created.account.id);
  }
  const ops = ['deposit', 'withdraw', 'transfer'] as const;
  let n = 0;
  let refused = 0;
  const submitOne = (i: number) => {
    const a = i % ACCOUNTS;
    const op = ops[n % 3] as (typeof ops)[number];
    const request = (
      op === 'transfer'
        ? { id: `r${n}`, op, to: `acct${(a + 1) % ACCOUNTS}`, amountCents: 100 }
        : { id: `r${n}`, op, amountCents: op === 'deposit' ? 1_000_000 : 100 }
    ) as MutatingRequest;
    n++;
    return writer
      .submit((s) =>
        applyMutation(s, { accountId: ids[a] as number, user: `acct${a}`, nowMs: Date.now(), config }, request),
      )
      .then((outcome) => {
        if (!outcome.ok) refused++;
      });
  };
  // warm-up
  await Promise.all(Array.from({ length: batch * 10 }, (_, i) => submitOne(i)));
  commits.length = 0;
  stats.clear();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: batch }, (_, i) => submitOne(i)));
  const elapsed = performance.now() - t0;
  const total = batch * batches;
  const mean = commits.reduce((s, x) => s + x, 0) / commits.length;
  console.log(
    `${label}: ${total} mutations in ${commits.length} commits of ${batch}: ${((elapsed * 1000) / total).toFixed(1)} µs per mutation wall, ${mean.toFixed(2)} ms per commit (${((mean * 1000) / batch).toFixed(1)} µs per mutation inside the writer); ${refused} refused`,
  );
  if (stats.size > 0) {
    const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
    for (const [sql, { calls, ms }] of rows) {
      console.log(
        `  ${((ms * 1000) / total).toFixed(1).padStart(6)} µs/mutation  ${(calls / total).toFixed(2)} calls/mutation  ${((ms * 1000) / calls).toFixed(1).padStart(6)} µs/call  ${sql}`,
      );
    }
  }
  await writer.close();
  store.close();
  await rm(dir, { recursive: true, force: true });
}

// Fraud on: every debit counts the window and (past 10/min) records an alert, as in `atm bench`.
await measure('fraud rules on ', DEFAULT_LEDGER_CONFIG);
await measure('fraud rules off', {
  ...DEFAULT_LEDGER_CONFIG,
  fraud: { ...DEFAULT_LEDGER_CONFIG.fraud, velocityCount: 1e9, largeAmountCents: 1e15 },
});
