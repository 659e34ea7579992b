import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MAX_BALANCE_CENTS } from './ledger-config.js';
import { SCHEMA_VERSION } from './schema.js';
import * as faults from './verify-faults.js';

export type VerifyReport = faults.VerifyReport;

type Db = Database.Database;

/**
 * Check the ledger's invariants inside one read transaction (one snapshot, so a running server
 * cannot make a clean ledger look broken), and name the first fault found, in this order:
 * file integrity, `balance_after` chains, each balance against its entries, each terminal's cash
 * position (never negative, equal to its entries), each transaction balanced (two entries, summing to 0, of its amount), and the sum of all balances being 0.
 */
export function verifyDatabase(db: Db): VerifyReport {
  const check = db.transaction((): VerifyReport => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) return faults.schemaFault(version, SCHEMA_VERSION);
    const integrity = db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') return { ok: false, fault: `database file is damaged: ${String(integrity)}` };

    // Compared in SQLite's exact integers: past the bound a JavaScript number could not even say
    // which values disagree.
    const outOfRange = db
      .prepare<[number, number], { username: string }>(
        `SELECT username FROM accounts WHERE balance_cents > ? OR balance_cents < ? ORDER BY id LIMIT 1`,
      )
      .get(MAX_BALANCE_CENTS, -MAX_BALANCE_CENTS);
    if (outOfRange) {
      return {
        ok: false,
        fault: `balance out of range: account ${outOfRange.username} holds more than ${MAX_BALANCE_CENTS} cents either way`,
      };
    }

    const chain = db
      .prepare<[], faults.ChainFault>(
        `SELECT a.username, w.tx_seq, w.balance_after, w.running FROM (
           SELECT account_id, tx_seq, balance_after,
             SUM(amount_cents) OVER (PARTITION BY account_id ORDER BY tx_seq ROWS UNBOUNDED PRECEDING) AS running
           FROM entries
         ) w JOIN accounts a ON a.id = w.account_id
         WHERE w.running <> w.balance_after ORDER BY w.tx_seq LIMIT 1`,
      )
      .get();
    if (chain) return faults.chainFault(chain);
    const balance = db
      .prepare<[], faults.BalanceFault>(
        `SELECT a.username, a.balance_cents,
           (SELECT COALESCE(SUM(e.amount_cents), 0) FROM entries e WHERE e.account_id = a.id) AS total
         FROM accounts a WHERE a.balance_cents <> total ORDER BY a.id LIMIT 1`,
      )
      .get();
    if (balance) return faults.balanceFault(balance);
    const position = db
      .prepare<[], faults.PositionFault>(
        `SELECT COALESCE(t.id, a.username) AS name, a.balance_cents,
           (SELECT COALESCE(SUM(e.amount_cents), 0) FROM entries e WHERE e.account_id = a.id) AS total
         FROM accounts a LEFT JOIN terminals t ON t.account_id = a.id
         WHERE a.kind = 'terminal' AND (a.balance_cents > 0 OR a.balance_cents <> total) ORDER BY a.id LIMIT 1`,
      )
      .get();
    if (position) return faults.positionFault(position);
    const tx = db
      .prepare<[], faults.TxFault & { magnitude: number }>(
        `SELECT t.seq, t.amount_cents, COUNT(e.id) AS n, COALESCE(SUM(e.amount_cents), 0) AS total,
           COALESCE(SUM(ABS(e.amount_cents)), 0) AS magnitude
         FROM transactions t LEFT JOIN entries e ON e.tx_seq = t.seq
         GROUP BY t.seq HAVING n <> 2 OR total <> 0 OR magnitude <> 2 * t.amount_cents
         ORDER BY t.seq LIMIT 1`,
      )
      .get();
    if (tx) return faults.txFault(tx);
    const orphan = db
      .prepare<[], number>(
        'SELECT e.tx_seq FROM entries e LEFT JOIN transactions t ON t.seq = e.tx_seq WHERE t.seq IS NULL LIMIT 1',
      )
      .pluck()
      .get();
    if (orphan !== undefined) return faults.orphanFault(orphan);

    const sum = db.prepare<[], number>('SELECT COALESCE(SUM(balance_cents), 0) FROM accounts').pluck().get() ?? 0;
    if (sum !== 0) return faults.sumFault(sum);

    const accounts = db.prepare<[], number>(`SELECT COUNT(*) FROM accounts WHERE kind = 'customer'`).pluck().get() ?? 0;
    const entries = db.prepare<[], number>('SELECT COUNT(*) FROM entries').pluck().get() ?? 0;
    return { ok: true, accounts, entries };
  });
  try {
    return check.deferred();
  } catch (error) {
    return faults.unreadable(error);
  }
}

/** Verify the ledger file at `path` without changing it (safe while the server runs). */
export function verifyLedgerFile(path: string): VerifyReport {
  if (!existsSync(path)) return { ok: false, fault: `no ledger at ${path}` };
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
    return verifyDatabase(db);
  } catch (error) {
    return { ok: false, fault: `cannot open the ledger: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    db?.close();
  }
}
