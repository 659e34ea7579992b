import type Database from 'better-sqlite3';

/**
 * The terminals' cash, checked on the committed ledger: each terminal's position (the negative
 * of its cash account's balance) equals the sum of its entries, equals loads + deposits +
 * reversals − withdrawals − unloads of the transactions naming it, and never went below 0 at
 * any entry (so no withdrawal dispensed cash the machine did not hold: TERMINAL_OUT_OF_CASH
 * was respected); and every reversal put the cash back into the machine that dispensed it.
 * Returns the first problem found, null when all hold.
 */
export function prepareCashChecks(db: Database.Database) {
  const positions = db.prepare<[], { id: string; balance: number; entries: number; moves: number }>(
    `SELECT t.id, a.balance_cents AS balance,
       (SELECT COALESCE(SUM(e.amount_cents), 0) FROM entries e WHERE e.account_id = a.id) AS entries,
       (SELECT COALESCE(SUM(CASE x.kind WHEN 'withdrawal' THEN -x.amount_cents WHEN 'unload' THEN -x.amount_cents
                                        ELSE x.amount_cents END), 0)
          FROM transactions x WHERE x.terminal = t.id
           AND x.kind IN ('load', 'unload', 'deposit', 'withdrawal', 'reversal')) AS moves
       FROM terminals t JOIN accounts a ON a.id = t.account_id ORDER BY t.id`,
  );
  const overdrawn = db.prepare<[], { id: string; tx_seq: number; balance_after: number }>(
    `SELECT t.id, e.tx_seq, e.balance_after FROM entries e JOIN terminals t ON t.account_id = e.account_id
      WHERE e.balance_after > 0 LIMIT 1`,
  );
  const strayReversal = db.prepare<[], { seq: number; here: string | null; there: string | null }>(
    `SELECT r.seq, r.terminal AS here, o.terminal AS there FROM transactions r JOIN transactions o ON o.seq = r.reverses_seq
      WHERE r.kind = 'reversal' AND (r.terminal IS NULL OR o.terminal IS NULL OR r.terminal <> o.terminal) LIMIT 1`,
  );
  const cashless = db.prepare<[], { seq: number; kind: string }>(
    `SELECT seq, kind FROM transactions
      WHERE kind IN ('deposit', 'withdrawal', 'reversal', 'load', 'unload') AND terminal IS NULL LIMIT 1`,
  );
  return (): string | null => {
    for (const p of positions.all()) {
      if (p.balance > 0) return `terminal ${p.id} holds ${-p.balance} cents of cash (negative)`;
      if (p.entries !== p.balance) return `terminal ${p.id}: balance ${p.balance} but its entries sum to ${p.entries}`;
      if (p.moves !== -p.balance) {
        return `terminal ${p.id}: position ${-p.balance} but its loads, deposits, reversals, withdrawals and unloads make ${p.moves}`;
      }
    }
    const over = overdrawn.get();
    if (over) return `terminal ${over.id} went to ${-over.balance_after} cents of cash at tx ${over.tx_seq}`;
    const stray = strayReversal.get();
    if (stray) {
      return `reversal ${stray.seq} put cash into terminal ${stray.here} for a withdrawal dispensed by ${stray.there}`;
    }
    const lost = cashless.get();
    if (lost) return `${lost.kind} ${lost.seq} moved cash at no terminal`;
    return null;
  };
}
