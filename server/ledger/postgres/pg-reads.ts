import type pg from 'pg';
import type { HistoryPage } from '../ledger-backend.js';
import type { BalanceView } from '../ledger-records.js';
import type { AccountSummary, FraudAlertRecord } from '../ledger-store.js';
import { parseTxId } from '../tx-id.js';
import { type AccountRow, type AlertRow, type HistoryRow, toAlert, toHistory } from './pg-rows.js';

/** The PostgreSQL ledger's list and history reads (one statement each, no locks). */

export async function historyPage(
  pool: pg.Pool,
  accountId: number,
  limit: number,
  before?: string,
): Promise<HistoryPage> {
  const pageSize = Math.max(1, Math.min(100, Math.floor(limit)));
  let beforeSeq = Number.MAX_SAFE_INTEGER;
  if (before !== undefined) {
    const seq = parseTxId(before);
    if (seq === null) return { error: 'UNKNOWN_TX' };
    const own = (await pool.query('SELECT 1 FROM entries WHERE account_id = $1 AND tx_seq = $2', [accountId, seq]))
      .rows;
    if (own.length === 0) return { error: 'UNKNOWN_TX' };
    beforeSeq = seq;
  }
  const rows = (
    await pool.query<HistoryRow>(
      `SELECT e.tx_seq, e.kind, e.amount_cents, e.balance_after, c.username AS counterparty, e.created_ms, t.terminal
     FROM entries e LEFT JOIN accounts c ON c.id = e.counterparty_id JOIN transactions t ON t.seq = e.tx_seq
     WHERE e.account_id = $1 AND e.tx_seq < $2 ORDER BY e.tx_seq DESC LIMIT $3`,
      [accountId, beforeSeq, pageSize + 1],
    )
  ).rows;
  const page = rows.slice(0, pageSize).map(toHistory);
  const last = page[page.length - 1];
  return { entries: page, next: rows.length > pageSize && last ? last.txId : null };
}

export async function listAccounts(pool: pg.Pool): Promise<AccountSummary[]> {
  const { rows } = await pool.query<AccountRow>(
    `SELECT * FROM accounts WHERE kind = 'customer' ORDER BY username COLLATE "C"`,
  );
  return rows.map((row) => ({
    user: row.username,
    balanceCents: row.balance_cents,
    status: row.status,
    locked: row.locked,
    failedLogins: row.failed_logins,
    totpEnabled: row.totp_enabled,
    createdAt: row.created_at,
    // No roles on PostgreSQL yet; the SQLite list names every account's role.
    role: 'customer',
  }));
}

export async function listAlerts(pool: pg.Pool, options: { limit?: number } = {}): Promise<FraudAlertRecord[]> {
  const limit = Math.max(1, Math.floor(options.limit ?? 100));
  const { rows } = await pool.query<AlertRow>('SELECT * FROM fraud_alerts ORDER BY id DESC LIMIT $1', [limit]);
  return rows.map(toAlert);
}

/** The applied id's fingerprint and original response, or null if the id is new (or pruned). */
export async function findApplied(
  pool: pg.Pool,
  accountId: number,
  requestId: string,
): Promise<{ requestHash: string; response: Record<string, unknown> } | null> {
  const { rows } = await pool.query<{ request_hash: string; response: string }>(
    'SELECT request_hash, response FROM applied_requests WHERE account_id = $1 AND request_id = $2',
    [accountId, requestId],
  );
  const row = rows[0];
  return row ? { requestHash: row.request_hash, response: JSON.parse(row.response) as Record<string, unknown> } : null;
}

/** What a balance request answers and checks, in one query (the embedded ledger's balanceView). */
export async function balanceView(pool: pg.Pool, accountId: number, day: string): Promise<BalanceView | null> {
  const { rows } = await pool.query<{
    status: 'active' | 'closed';
    locked: boolean;
    balance_cents: number | string;
    withdrawn_cents: number | string;
    totp_enabled: boolean;
  }>(
    `SELECT status, locked, balance_cents, CASE WHEN withdrawn_day = $2 THEN withdrawn_cents ELSE 0 END AS withdrawn_cents,
       totp_enabled
     FROM accounts WHERE id = $1 AND kind = 'customer'`,
    [accountId, day],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    status: row.status,
    locked: row.locked,
    balanceCents: Number(row.balance_cents),
    withdrawnCents: Number(row.withdrawn_cents),
    totpEnabled: row.totp_enabled,
  };
}
