/** The SQLite ledger's prepared statements, one place for every SQL text the store runs. */
import type Database from 'better-sqlite3';
import type {
  AccountRole,
  AccountRow,
  AlertRow,
  BalanceViewRow,
  HistoryRow,
  TransactionRow,
} from './ledger-records.js';
import type { BalanceWrite } from './writer-row-cache.js';

/** Every statement the store runs, prepared once per connection. */
export type LedgerStatements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    accountById: db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?'),
    customerByName: db.prepare<[string], AccountRow>(`SELECT * FROM accounts WHERE username = ? AND kind = 'customer'`),
    insertAccount: db.prepare<[string, string, string, AccountRole], AccountRow>(
      `INSERT INTO accounts (username, kind, password_hash, created_at, role) VALUES (?, 'customer', ?, ?, ?)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
    ),
    listAccounts: db.prepare<[], AccountRow>(`SELECT * FROM accounts WHERE kind = 'customer' ORDER BY username`),
    setFailedLogins: db.prepare<[number, number, number]>(
      'UPDATE accounts SET failed_logins = ?, locked = ? WHERE id = ?',
    ),
    resetFailedLogins: db.prepare<[number]>(
      'UPDATE accounts SET failed_logins = 0 WHERE id = ? AND failed_logins <> 0',
    ),
    setLocked: db.prepare<[{ locked: number; user: string }]>(
      `UPDATE accounts SET locked = @locked, failed_logins = CASE WHEN @locked = 0 THEN 0 ELSE failed_logins END
       WHERE username = @user AND kind = 'customer' AND status = 'active'`,
    ),
    setTotpPending: db.prepare<[string, number]>('UPDATE accounts SET totp_pending_sealed = ? WHERE id = ?'),
    setTotpLastStep: db.prepare<[number, number]>('UPDATE accounts SET totp_last_step = ? WHERE id = ?'),
    balance: db.prepare<[number], number>('SELECT balance_cents FROM accounts WHERE id = ?').pluck(),
    balanceView: db.prepare<[string, number], BalanceViewRow>(
      `SELECT status, locked, balance_cents, CASE WHEN withdrawn_day = ? THEN withdrawn_cents ELSE 0 END AS withdrawn_cents,
         totp_enabled
       FROM accounts WHERE id = ? AND kind = 'customer'`,
    ),
    entryOf: db.prepare<[number, number], number>('SELECT 1 FROM entries WHERE account_id = ? AND tx_seq = ?').pluck(),
    historyPage: db.prepare<[number, number, number], HistoryRow>(
      `SELECT e.tx_seq, e.kind, e.amount_cents, e.balance_after, c.username AS counterparty, e.created_ms, t.terminal
       FROM entries e LEFT JOIN accounts c ON c.id = e.counterparty_id JOIN transactions t ON t.seq = e.tx_seq
       WHERE e.account_id = ? AND e.tx_seq < ? ORDER BY e.tx_seq DESC LIMIT ?`,
    ),
    allEntries: db.prepare<[number], HistoryRow>(
      `SELECT e.tx_seq, e.kind, e.amount_cents, e.balance_after, c.username AS counterparty, e.created_ms, t.terminal
       FROM entries e LEFT JOIN accounts c ON c.id = e.counterparty_id JOIN transactions t ON t.seq = e.tx_seq
       WHERE e.account_id = ? ORDER BY e.tx_seq DESC`,
    ),
    findApplied: db.prepare<[number, string], { request_hash: string; response: string }>(
      'SELECT request_hash, response FROM applied_requests WHERE account_id = ? AND request_id = ?',
    ),
    appliedOf: db.prepare<[number], { request_id: string; response: string; created_ms: number }>(
      'SELECT request_id, response, created_ms FROM applied_requests WHERE account_id = ? ORDER BY created_ms',
    ),
    insertApplied: db.prepare<[number, string, string, string, number]>(
      'INSERT INTO applied_requests (account_id, request_id, request_hash, response, created_ms) VALUES (?, ?, ?, ?, ?)',
    ),
    pruneApplied: db.prepare<[number]>('DELETE FROM applied_requests WHERE created_ms < ?'),
    txBySeq: db.prepare<[number], TransactionRow>(
      'SELECT seq, kind, account_id, amount_cents, created_ms, terminal FROM transactions WHERE seq = ?',
    ),
    reversalOf: db.prepare<[number], number>('SELECT seq FROM transactions WHERE reverses_seq = ?').pluck(),
    // Newest first along the account's entry index; capped to what the velocity rule needs.
    recentDebitTimes: db
      .prepare<[number, number], number>(
        `SELECT created_ms FROM entries WHERE account_id = ? AND kind IN ('withdrawal', 'transfer_out')
           ORDER BY tx_seq DESC LIMIT ?`,
      )
      .pluck(),
    insertTx: db.prepare<[string, number, number | null, number, number | null, number, string | null, number | null]>(
      `INSERT INTO transactions (kind, account_id, counterparty_id, amount_cents, reverses_seq, created_ms, terminal, teller_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // The columns they touch come back whole, so the writer's row cache holds what SQLite holds.
    adjustBalance: db.prepare<[number, number], BalanceWrite>(
      'UPDATE accounts SET balance_cents = balance_cents + ? WHERE id = ? RETURNING balance_cents, withdrawn_day, withdrawn_cents',
    ),
    adjustBalanceAndDay: db.prepare<[number, string | null, number, number], BalanceWrite>(
      `UPDATE accounts SET balance_cents = balance_cents + ?, withdrawn_day = ?, withdrawn_cents = ?
       WHERE id = ? RETURNING balance_cents, withdrawn_day, withdrawn_cents`,
    ),
    insertEntry: db.prepare<[number, number, string, number, number, number | null, number]>(
      `INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertAlert: db.prepare<[number, string, string, string, number, string, number, string, number]>(
      `INSERT INTO fraud_alerts (account_id, username, rule, op, amount_cents, detail, blocked, request_id, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listAlerts: db.prepare<[number], AlertRow>('SELECT * FROM fraud_alerts ORDER BY id DESC LIMIT ?'),
    alertsOf: db.prepare<[number], AlertRow>('SELECT * FROM fraud_alerts WHERE account_id = ? ORDER BY id'),
    anonymiseAlerts: db.prepare<[string, number]>('UPDATE fraud_alerts SET username = ? WHERE account_id = ?'),
    setPasswordHash: db.prepare<[string, number]>('UPDATE accounts SET password_hash = ? WHERE id = ?'),
    enqueueOperatorAction: db.prepare<[number, string]>(
      'INSERT INTO operator_actions (created_ms, detail) VALUES (?, ?)',
    ),
    pendingOperatorActions: db.prepare<[number], { id: number; created_ms: number; detail: string }>(
      'SELECT id, created_ms, detail FROM operator_actions ORDER BY id LIMIT ?',
    ),
    ackOperatorActions: db.prepare<[number]>('DELETE FROM operator_actions WHERE id <= ?'),
    setContact: db.prepare<
      [{ id: number; setEmail: number; email: string | null; setPhone: number; phone: string | null }]
    >(
      `UPDATE accounts SET
         email_sealed = CASE WHEN @setEmail = 1 THEN @email ELSE email_sealed END,
         phone_sealed = CASE WHEN @setPhone = 1 THEN @phone ELSE phone_sealed END
       WHERE id = @id`,
    ),
    confirmTotp: db.prepare<[number | null, number]>(
      `UPDATE accounts SET totp_secret_sealed = totp_pending_sealed, totp_pending_sealed = NULL, totp_enabled = 1,
         totp_last_step = COALESCE(?, totp_last_step)
       WHERE id = ? AND totp_pending_sealed IS NOT NULL`,
    ),
    disableTotp: db.prepare<[number]>(
      `UPDATE accounts SET totp_enabled = 0, totp_secret_sealed = NULL, totp_pending_sealed = NULL WHERE id = ?`,
    ),
    closeAccount: db.prepare<[string, number]>(
      `UPDATE accounts SET username = ?, password_hash = '!', status = 'closed', locked = 1, failed_logins = 0,
         totp_enabled = 0, totp_secret_sealed = NULL, totp_pending_sealed = NULL, totp_last_step = NULL,
         email_sealed = NULL, phone_sealed = NULL, withdrawn_day = NULL, withdrawn_cents = 0
       WHERE id = ?`,
    ),
  };
}
