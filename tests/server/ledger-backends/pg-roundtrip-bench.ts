/**
 * Transfers per second on the ledger: one plpgsql call per op (what PostgresLedger does) against
 * an interactive READ COMMITTED transaction doing the same statements from the client, and the
 * SQLite backend for scale, all through 8 concurrent callers with synchronous_commit=on (SQLite:
 * synchronous=FULL, group commit). Not a test; run it by hand:
 *
 * Group commit: with 32 callers, transfers also go through a batcher that puts up to N of them
 * into one transaction (BEGIN, every account of the batch locked in id order, all the
 * ledger_mutate calls in one statement, COMMIT: four round trips and one commit for N ops),
 * beside one call per op at the same concurrency.
 *
 *   npx tsx tests/server/ledger-backends/pg-roundtrip-bench.ts [ops-per-variant]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { DEFAULT_LEDGER_CONFIG, requestHash } from '../../../server/ledger/index.js';
import { type LedgerBackend, SqliteLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { configJson } from '../../../server/ledger/postgres/pg-mutate.js';
import { startPostgresCluster } from '../../helpers/postgres-cluster.js';

const OPS = Number(process.argv[2] ?? 4000);
const WORKERS = 8;
const ACCOUNTS = 16;
const config = { ...DEFAULT_LEDGER_CONFIG, fraud: { ...DEFAULT_LEDGER_CONFIG.fraud, velocityCount: 1_000_000 } };

interface Account {
  id: number;
  user: string;
}

const ATM = { id: 'ATM-B', fingerprint: 'sha256:bench' };

async function seed(ledger: LedgerBackend): Promise<Account[]> {
  const accounts: Account[] = [];
  await ledger.enrollTerminal(ATM);
  for (let i = 0; i < ACCOUNTS; i++) {
    const created = await ledger.createAccount({ user: `bench${i}`, passwordHash: 'h' });
    if (!created.ok) throw new Error('seed');
    accounts.push({ id: created.account.id, user: created.account.user });
    await ledger.mutate(
      { accountId: created.account.id, user: created.account.user, nowMs: Date.now(), terminal: ATM },
      {
        id: `seed-${i}`,
        op: 'deposit',
        amountCents: 100_000_000,
      },
    );
  }
  return accounts;
}

type Op = (from: Account, to: Account, id: string) => Promise<void>;

async function drive(name: string, accounts: Account[], op: Op, workers = WORKERS): Promise<void> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < OPS) {
        const n = next++;
        const from = accounts[(n * 7 + worker) % ACCOUNTS] as Account;
        const to = accounts[(n * 7 + worker + 1 + (n % (ACCOUNTS - 1))) % ACCOUNTS] as Account;
        const t0 = performance.now();
        await op(from, to, `${name}-${n}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number).toFixed(1);
  console.log(
    `${name.padEnd(34)} ${Math.round(OPS / seconds)
      .toString()
      .padStart(6)} transfers/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`,
  );
}

/** The same transfer as ledger_mutate, statement by statement (11 round trips with BEGIN/COMMIT). */
async function interactiveTransfer(pool: pg.Pool, from: Account, to: Account, id: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const now = Date.now();
    const target = await client.query(`SELECT id FROM accounts WHERE username = $1 AND kind = 'customer'`, [to.user]);
    const targetId = target.rows[0].id as number;
    await client.query('SELECT 1 FROM accounts WHERE id = $1 OR id = $2 ORDER BY id FOR NO KEY UPDATE', [
      from.id,
      targetId,
    ]);
    const seen = await client.query('SELECT 1 FROM applied_requests WHERE account_id = $1 AND request_id = $2', [
      from.id,
      id,
    ]);
    if (seen.rows.length > 0) throw new Error('replay in bench');
    await client.query(
      `SELECT count(*) FROM (SELECT 1 FROM entries WHERE account_id = $1 AND kind IN ('withdrawal', 'transfer_out')
         AND created_ms >= $2 ORDER BY tx_seq DESC LIMIT 10) d`,
      [from.id, now - 60_000],
    );
    const out = await client.query(
      'UPDATE accounts SET balance_cents = balance_cents - $2 WHERE id = $1 AND balance_cents >= $2 RETURNING balance_cents',
      [from.id, 1],
    );
    const inn = await client.query(
      'UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1 RETURNING balance_cents',
      [targetId, 1],
    );
    const tx = await client.query(
      `INSERT INTO transactions (kind, account_id, counterparty_id, amount_cents, created_ms) VALUES ('transfer', $1, $2, 1, $3) RETURNING seq`,
      [from.id, targetId, now],
    );
    const seq = tx.rows[0].seq as number;
    await client.query(
      `INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms)
       VALUES ($1, $2, 'transfer_out', -1, $3, $4, $6), ($1, $4, 'transfer_in', 1, $5, $2, $6)`,
      [seq, from.id, out.rows[0].balance_cents, targetId, inn.rows[0].balance_cents, now],
    );
    const request = { id, op: 'transfer' as const, amountCents: 1, to: to.user };
    await client.query(
      'INSERT INTO applied_requests (account_id, request_id, request_hash, response, created_ms) VALUES ($1, $2, $3, $4, $5)',
      [from.id, id, requestHash(request), JSON.stringify({ balanceCents: out.rows[0].balance_cents, txId: seq }), now],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Transactions the batcher committed, for the mean batch size. */
let batches = 0;

const BATCH_SQL = `SELECT ledger_mutate(x.acc, x.usr, x.rid, x.hash, 'transfer', 1, x.dst, NULL, NULL, NULL, NULL,
    false, NULL, false, NULL, NULL, NULL, NULL, $6::json, NULL, NULL) AS r
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(acc, usr, rid, hash, dst, n)
  ORDER BY x.n`;

/** Up to `max` transfers per transaction, rows locked in id order first (without that: deadlocks). */
function groupCommit(pool: pg.Pool, max: number): Op {
  type Pending = { from: Account; to: Account; id: string; done: (error?: Error) => void };
  const queue: Pending[] = [];
  let scheduled = false;
  const cfg = configJson(config);
  async function flush(batch: Pending[]): Promise<void> {
    batches += 1;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const ids = [...new Set(batch.flatMap((p) => [p.from.id, p.to.id]))].sort((a, b) => a - b);
      await client.query('SELECT 1 FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE', [ids]);
      const hashes = batch.map((p) => requestHash({ id: p.id, op: 'transfer', amountCents: 1, to: p.to.user }));
      const { rows } = await client.query<{ r: { kind: string } }>(BATCH_SQL, [
        batch.map((p) => p.from.id),
        batch.map((p) => p.from.user),
        batch.map((p) => p.id),
        hashes,
        batch.map((p) => p.to.user),
        cfg,
      ]);
      await client.query('COMMIT');
      // Acknowledged only after COMMIT returned.
      batch.forEach((p, i) => {
        p.done(rows[i]?.r.kind === 'ok' ? undefined : new Error('refused in batch'));
      });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      for (const p of batch) p.done(error as Error);
    } finally {
      client.release();
    }
  }
  function drain(): void {
    scheduled = false;
    while (queue.length > 0) void flush(queue.splice(0, max));
  }
  return (from, to, id) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ from, to, id, done: (error) => (error ? reject(error) : resolve()) });
      if (queue.length >= max) void flush(queue.splice(0, max));
      else if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    });
}

function viaBackend(ledger: LedgerBackend): Op {
  return async (from, to, id) => {
    const outcome = await ledger.mutate(
      { accountId: from.id, user: from.user, nowMs: Date.now() },
      {
        id,
        op: 'transfer',
        amountCents: 1,
        to: to.user,
      },
    );
    if (!outcome.ok) throw new Error(outcome.code);
  };
}

const cluster = await startPostgresCluster();
const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
try {
  console.log(`${OPS} transfers per variant, ${WORKERS} concurrent callers, ${ACCOUNTS} accounts`);
  for (const round of [1, 2]) {
    const fn = await PostgresLedger.open(await cluster.createDatabase('fn'), { config, poolSize: WORKERS });
    await drive(`postgres plpgsql (round ${round})`, await seed(fn), viaBackend(fn));
    console.log('  verify:', JSON.stringify(await fn.verify()));
    await fn.close();
    const inter = await PostgresLedger.open(await cluster.createDatabase('inter'), { config, poolSize: WORKERS });
    await drive(`postgres interactive (round ${round})`, await seed(inter), (f, t, id) =>
      interactiveTransfer(inter.pool, f, t, id),
    );
    await inter.close();
  }
  const many = 32;
  console.log(`group commit: ${many} concurrent callers`);
  const single = await PostgresLedger.open(await cluster.createDatabase('one'), { config, poolSize: 8 });
  await drive('postgres one call per op', await seed(single), viaBackend(single), many);
  await single.close();
  for (const max of [8, 32]) {
    const grouped = await PostgresLedger.open(await cluster.createDatabase('group'), { config, poolSize: 8 });
    const accounts = await seed(grouped);
    batches = 0;
    await drive(`postgres batches of <=${max}`, accounts, groupCommit(grouped.pool, max), many);
    console.log(`  mean batch: ${(OPS / batches).toFixed(1)} transfers per transaction`);
    console.log('  verify:', JSON.stringify(await grouped.verify()));
    await grouped.close();
  }
  const sqlite = SqliteLedgerBackend.open(join(dir, 'ledger.db'), { config });
  await drive('sqlite (writer, group commit)', await seed(sqlite), viaBackend(sqlite));
  await sqlite.close();
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
