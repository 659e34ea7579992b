import type pg from 'pg';
import * as faults from '../verify-faults.js';
import { PG_SCHEMA_VERSION } from './pg-schema.js';
import { PG_TYPES } from './pg-types.js';

/**
 * `ledger verify` on PostgreSQL: the invariants of ledger-verify.ts as SQL, with the same fault
 * texts, inside one REPEATABLE READ READ ONLY transaction (one snapshot, so running instances
 * cannot make a clean ledger look broken). Checked in order: schema version, `balance_after`
 * chains, each balance against its entries, each terminal's cash position (never negative, equal
 * to its entries), each transaction balanced, entries without a
 * transaction, applied ids whose recorded txId has no transaction of that account, and the sum of
 * all balances being 0.
 */
export async function verifyPostgres(pool: pg.Pool): Promise<faults.VerifyReport> {
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await check(client);
    } finally {
      await client.query('ROLLBACK');
    }
  } catch (error) {
    return faults.unreadable(error);
  } finally {
    client?.release();
  }
}

async function one<T extends pg.QueryResultRow>(client: pg.PoolClient, sql: string): Promise<T | undefined> {
  const { rows } = await client.query<T>(sql);
  return rows[0];
}

async function check(client: pg.PoolClient): Promise<faults.VerifyReport> {
  const version = (await one<{ v: number }>(client, 'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_version'))
    ?.v;
  if (version !== PG_SCHEMA_VERSION) return faults.schemaFault(version, PG_SCHEMA_VERSION);

  const chain = await one<faults.ChainFault>(
    client,
    `SELECT a.username, w.tx_seq, w.balance_after, w.running FROM (
       SELECT account_id, tx_seq, balance_after,
         SUM(amount_cents) OVER (PARTITION BY account_id ORDER BY tx_seq ROWS UNBOUNDED PRECEDING)::bigint AS running
       FROM entries
     ) w JOIN accounts a ON a.id = w.account_id
     WHERE w.running <> w.balance_after ORDER BY w.tx_seq LIMIT 1`,
  );
  if (chain) return faults.chainFault(chain);
  const balance = await one<faults.BalanceFault>(
    client,
    `SELECT a.username, a.balance_cents, COALESCE(e.total, 0)::bigint AS total
     FROM accounts a LEFT JOIN (SELECT account_id, SUM(amount_cents) AS total FROM entries GROUP BY account_id) e
       ON e.account_id = a.id
     WHERE a.balance_cents <> COALESCE(e.total, 0) ORDER BY a.id LIMIT 1`,
  );
  if (balance) return faults.balanceFault(balance);
  const position = await one<faults.PositionFault>(
    client,
    `SELECT COALESCE(t.id, a.username) AS name, a.balance_cents, COALESCE(e.total, 0)::bigint AS total
     FROM accounts a LEFT JOIN terminals t ON t.account_id = a.id
       LEFT JOIN (SELECT account_id, SUM(amount_cents) AS total FROM entries GROUP BY account_id) e ON e.account_id = a.id
     WHERE a.kind = 'terminal' AND (a.balance_cents > 0 OR a.balance_cents <> COALESCE(e.total, 0))
     ORDER BY a.id LIMIT 1`,
  );
  if (position) return faults.positionFault(position);
  const tx = await one<faults.TxFault>(
    client,
    `SELECT t.seq, t.amount_cents, COUNT(e.id)::int AS n, COALESCE(SUM(e.amount_cents), 0)::bigint AS total
     FROM transactions t LEFT JOIN entries e ON e.tx_seq = t.seq
     GROUP BY t.seq, t.amount_cents
     HAVING COUNT(e.id) <> 2 OR COALESCE(SUM(e.amount_cents), 0) <> 0
       OR COALESCE(SUM(ABS(e.amount_cents)), 0) <> 2 * t.amount_cents
     ORDER BY t.seq LIMIT 1`,
  );
  if (tx) return faults.txFault(tx);
  const orphan = await one<{ tx_seq: number }>(
    client,
    'SELECT e.tx_seq FROM entries e LEFT JOIN transactions t ON t.seq = e.tx_seq WHERE t.seq IS NULL LIMIT 1',
  );
  if (orphan) return faults.orphanFault(orphan.tx_seq);

  const unapplied = await one<{ request_id: string; username: string; tx_id: string }>(
    client,
    `SELECT r.request_id, a.username, r.response::json->>'txId' AS tx_id
     FROM applied_requests r JOIN accounts a ON a.id = r.account_id
     WHERE r.response::json->>'txId' IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM transactions t
         WHERE t.seq = substr(r.response::json->>'txId', 2)::bigint AND t.account_id = r.account_id)
     ORDER BY r.created_ms LIMIT 1`,
  );
  if (unapplied) {
    return {
      ok: false,
      fault: `applied request ${unapplied.request_id} of account ${unapplied.username} names ${unapplied.tx_id}, which is not a transaction of that account`,
    };
  }

  const sum = (await one<{ s: number }>(client, 'SELECT COALESCE(SUM(balance_cents), 0)::bigint AS s FROM accounts'))
    ?.s;
  if (sum !== 0) return faults.sumFault(sum);

  const counts = await one<{ accounts: number; entries: number }>(
    client,
    `SELECT (SELECT COUNT(*) FROM accounts WHERE kind = 'customer')::int AS accounts,
            (SELECT COUNT(*) FROM entries)::int AS entries`,
  );
  return { ok: true, accounts: counts?.accounts ?? 0, entries: counts?.entries ?? 0 };
}

/**
 * Verify the ledger at a `postgres://` URL without changing it: no migration, one read-only
 * snapshot, then the connection closes. A database that cannot be reached is a fault like any other.
 */
export async function verifyPostgresUrl(url: string): Promise<faults.VerifyReport> {
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({ connectionString: url, max: 1, types: PG_TYPES });
  pool.on('error', () => undefined);
  try {
    return await verifyPostgres(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
