import type pg from 'pg';
import type { CloseResult, FailedLoginResult } from '../ledger-backend.js';
import { closedUserName } from '../schema.js';
import { type AccountRow, type AlertRow, type HistoryRow, toAlert, toHistory } from './pg-rows.js';

/** Everything held about a customer, as LedgerStore.exportAccount gives it. Sealed fields stay sealed. */
export async function exportAccount(pool: pg.Pool, user: string): Promise<object | null> {
  const { rows } = await pool.query<AccountRow>(`SELECT * FROM accounts WHERE username = $1 AND kind = 'customer'`, [
    user,
  ]);
  const row = rows[0];
  if (!row) return null;
  const entries = await pool.query<HistoryRow>(
    `SELECT e.tx_seq, e.kind, e.amount_cents, e.balance_after, c.username AS counterparty, e.created_ms, t.terminal
     FROM entries e LEFT JOIN accounts c ON c.id = e.counterparty_id JOIN transactions t ON t.seq = e.tx_seq
     WHERE e.account_id = $1 ORDER BY e.tx_seq DESC`,
    [row.id],
  );
  const alerts = await pool.query<AlertRow>('SELECT * FROM fraud_alerts WHERE account_id = $1 ORDER BY id', [row.id]);
  const applied = await pool.query<{ request_id: string; response: string; created_ms: number }>(
    'SELECT request_id, response, created_ms FROM applied_requests WHERE account_id = $1 ORDER BY created_ms',
    [row.id],
  );
  return {
    user: row.username,
    // No roles on PostgreSQL yet: every account is a customer (the SQLite export names the role).
    role: 'customer',
    status: row.status,
    createdAt: row.created_at,
    balanceCents: row.balance_cents,
    locked: row.locked,
    failedLogins: row.failed_logins,
    totpEnabled: row.totp_enabled,
    emailSealed: row.email_sealed,
    phoneSealed: row.phone_sealed,
    entries: entries.rows.map(toHistory),
    fraudAlerts: alerts.rows.map(toAlert),
    appliedRequests: applied.rows.map((r) => ({
      requestId: r.request_id,
      at: new Date(r.created_ms).toISOString(),
      response: JSON.parse(r.response) as unknown,
    })),
  };
}

/** Anonymise a zero-balance customer: renamed out of the name space, credentials and PII wiped, entries kept. */
export async function closeAccount(pool: pg.Pool, user: string): Promise<CloseResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<AccountRow>(
      `SELECT * FROM accounts WHERE username = $1 AND kind = 'customer' FOR UPDATE`,
      [user],
    );
    const row = rows[0];
    let result: CloseResult = { ok: true };
    if (row?.status !== 'active') result = { ok: false, code: 'UNKNOWN_ACCOUNT' };
    else if (row.balance_cents !== 0) result = { ok: false, code: 'NONZERO_BALANCE' };
    else {
      const anonymous = closedUserName(row.id);
      await client.query(
        `UPDATE accounts SET username = $1, password_hash = '!', status = 'closed', locked = true, failed_logins = 0,
           totp_enabled = false, totp_secret_sealed = NULL, totp_pending_sealed = NULL, totp_last_step = NULL,
           email_sealed = NULL, phone_sealed = NULL, withdrawn_day = NULL, withdrawn_cents = 0
         WHERE id = $2`,
        [anonymous, row.id],
      );
      await client.query('UPDATE fraud_alerts SET username = $1 WHERE account_id = $2', [anonymous, row.id]);
    }
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The account's own failed-login counter (the older per-account lockout), one guarded statement. */
export async function recordFailedLogin(
  pool: pg.Pool,
  accountId: number,
  threshold: number,
): Promise<FailedLoginResult> {
  const { rows } = await pool.query<{ failed_logins: number; locked: boolean; just_locked: boolean }>(
    `WITH before AS (SELECT id, locked FROM accounts WHERE id = $1 AND kind = 'customer' FOR UPDATE)
     UPDATE accounts a SET failed_logins = a.failed_logins + 1, locked = a.locked OR a.failed_logins + 1 >= $2
     FROM before WHERE a.id = before.id
     RETURNING a.failed_logins, a.locked, (a.locked AND NOT before.locked) AS just_locked`,
    [accountId, threshold],
  );
  const row = rows[0];
  return row
    ? { failedLogins: row.failed_logins, locked: row.locked, justLocked: row.just_locked }
    : { failedLogins: 0, locked: false, justLocked: false };
}

/** An operator's lock or unlock; an unlock also ends a lock from failed logins (protocol/README.md §2.1) and forgets the count. */
export async function setLocked(pool: pg.Pool, user: string, locked: boolean): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    `WITH changed AS (
       UPDATE accounts SET locked = $1, failed_logins = CASE WHEN $1 THEN failed_logins ELSE 0 END
       WHERE username = $2 AND kind = 'customer' AND status = 'active' RETURNING id),
     forgot AS (DELETE FROM login_failures WHERE username = $2 AND NOT $1 AND EXISTS (SELECT 1 FROM changed))
     SELECT COUNT(*)::int AS n FROM changed`,
    [locked, user],
  );
  return (rows[0]?.n ?? 0) > 0;
}
