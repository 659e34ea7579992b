import type Database from 'better-sqlite3';

/** The oracle's reads of the committed ledger, prepared once on the observer's connection. */

export interface TxRow {
  seq: number;
  kind: string;
  account_id: number;
  counterparty_id: number | null;
  amount_cents: number;
  reverses_seq: number | null;
  /** The terminal whose cash moved (deposit, withdrawal, reversal, load, unload); null otherwise. */
  terminal: string | null;
}

export function prepareOracleQueries(db: Database.Database) {
  return {
    totals: db.prepare<[], { total: number; low: number | null; cash: number | null }>(
      `SELECT COALESCE(SUM(balance_cents), 0) AS total,
         MIN(CASE WHEN kind = 'customer' THEN balance_cents END) AS low,
         MAX(CASE WHEN kind = 'terminal' THEN balance_cents END) AS cash FROM accounts`,
    ),
    applied: db.prepare<[number, string], { response: string; created_ms: number }>(
      'SELECT response, created_ms FROM applied_requests WHERE account_id = ? AND request_id = ?',
    ),
    allApplied: db.prepare<[], { account_id: number; request_id: string; response: string }>(
      'SELECT account_id, request_id, response FROM applied_requests',
    ),
    newTx: db.prepare<[number], TxRow>(
      `SELECT seq, kind, account_id, counterparty_id, amount_cents, reverses_seq, terminal
         FROM transactions WHERE seq > ? ORDER BY seq`,
    ),
    txCount: db.prepare<[], { n: number; top: number | null }>(
      'SELECT COUNT(*) AS n, MAX(seq) AS top FROM transactions',
    ),
    // Per account and UTC day: withdrawals less same-day reversals of that day's withdrawals.
    overLimit: db.prepare<[number], { account_id: number; day: string; net: number }>(
      `WITH w AS (SELECT account_id, date(created_ms / 1000, 'unixepoch') AS day, SUM(amount_cents) AS total
                    FROM transactions WHERE kind = 'withdrawal' GROUP BY 1, 2),
            r AS (SELECT t.account_id, date(t.created_ms / 1000, 'unixepoch') AS day, SUM(t.amount_cents) AS total
                    FROM transactions t JOIN transactions o ON o.seq = t.reverses_seq
                   WHERE t.kind = 'reversal'
                     AND date(t.created_ms / 1000, 'unixepoch') = date(o.created_ms / 1000, 'unixepoch')
                   GROUP BY 1, 2)
       SELECT w.account_id, w.day, w.total - COALESCE(r.total, 0) AS net
         FROM w LEFT JOIN r ON r.account_id = w.account_id AND r.day = w.day
        WHERE w.total - COALESCE(r.total, 0) > ? LIMIT 1`,
    ),
    lateReversal: db.prepare<[number], { seq: number; late: number }>(
      `SELECT t.seq, t.created_ms - o.created_ms AS late FROM transactions t JOIN transactions o ON o.seq = t.reverses_seq
        WHERE t.kind = 'reversal' AND (o.kind <> 'withdrawal' OR t.created_ms - o.created_ms > ?) LIMIT 1`,
    ),
    tx: db.prepare<[number], TxRow>(
      'SELECT seq, kind, account_id, counterparty_id, amount_cents, reverses_seq, terminal FROM transactions WHERE seq = ?',
    ),
  };
}
