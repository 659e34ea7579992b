import type Database from 'better-sqlite3';
import type { AccountRole, LedgerStore } from './ledger-store.js';
import { statementsPerDatabase } from './statement-cache.js';

/**
 * Roles and the counter's ledger work (protocol/README.md §5.2): an operator's role change, the
 * teller's `open_account` (applied at most once per (teller, id), through the writer like a
 * login job) and the teller's cash totals for `accounts show` and `terminals report`. Every
 * function runs on the caller's store: the operator CLI's own connection or the writer's.
 */

/** open_account as a writer job: the hash of the new password was made outside the writer. */
export interface OpenAccountJob {
  op: 'open_account';
  tellerId: number;
  requestId: string;
  requestHash: string;
  user: string;
  passwordHash: string;
  nowMs: number;
}

export type OpenAccountOutcome = {
  op: 'open_account';
  outcome: 'created' | 'replayed' | 'conflict' | 'exists' | 'locked';
  response?: Record<string, unknown>;
};

/** A teller's cash at the counter: count and cents of deposits and withdrawals (reversals net nothing here). */
export interface TellerTotals {
  teller: string;
  deposits: { count: number; cents: number };
  withdrawals: { count: number; cents: number };
}

function prepare(db: Database.Database) {
  return {
    teller: db.prepare<[number], { status: string; locked: number; role: string }>(
      `SELECT status, locked, role FROM accounts WHERE id = ? AND kind = 'customer'`,
    ),
    setRole: db.prepare<[AccountRole, string]>(
      `UPDATE accounts SET role = ? WHERE username = ? AND kind = 'customer' AND status = 'active'`,
    ),
    roleOf: db
      .prepare<[string], AccountRole>(`SELECT role FROM accounts WHERE username = ? AND kind = 'customer'`)
      .pluck(),
    totals: db.prepare<
      [number, number, number, number],
      { teller: string; kind: string; count: number; cents: number }
    >(
      `SELECT a.username AS teller, t.kind, COUNT(*) AS count, COALESCE(SUM(t.amount_cents), 0) AS cents
       FROM transactions t JOIN accounts a ON a.id = t.teller_id
       WHERE t.teller_id IS NOT NULL AND t.kind IN ('deposit', 'withdrawal') AND t.created_ms >= ? AND t.created_ms < ?
         AND (? = 0 OR t.teller_id = ?)
       GROUP BY a.username, t.kind ORDER BY a.username`,
    ),
  };
}

const statements = statementsPerDatabase(prepare);

/** Run inside a writer job: a replay, a conflict, or the new account and its applied id. */
export function applyOpenAccount(store: LedgerStore, job: OpenAccountJob): OpenAccountOutcome {
  return store.atomic(() => {
    const previous = store.findApplied(job.tellerId, job.requestId);
    if (previous) {
      return previous.requestHash === job.requestHash
        ? { op: 'open_account', outcome: 'replayed', response: previous.response }
        : { op: 'open_account', outcome: 'conflict' };
    }
    const teller = statements(store).teller.get(job.tellerId);
    if (teller?.status !== 'active' || teller.locked !== 0 || teller.role !== 'teller') {
      return { op: 'open_account', outcome: 'locked' };
    }
    const created = store.createAccount({ user: job.user, passwordHash: job.passwordHash });
    if (!created.ok) return { op: 'open_account', outcome: 'exists' };
    const response = { user: created.account.user };
    store.recordApplied(job.tellerId, job.requestId, job.requestHash, response, job.nowMs);
    return { op: 'open_account', outcome: 'created', response };
  });
}

/** An operator's role change; false when there is no such active account. */
export function setRole(store: LedgerStore, user: string, role: AccountRole): boolean {
  return statements(store).setRole.run(role, user).changes > 0;
}

/** The role of a customer-kind account by name, or null. */
export function roleOf(store: LedgerStore, user: string): AccountRole | null {
  return statements(store).roleOf.get(user) ?? null;
}

/** Cash moved at the counter between `fromMs` (inclusive) and `toMs`, per teller; one teller with `tellerId`. */
export function tellerTotals(store: LedgerStore, fromMs: number, toMs: number, tellerId?: number): TellerTotals[] {
  const byTeller = new Map<string, TellerTotals>();
  const id = tellerId ?? 0;
  for (const row of statements(store).totals.all(fromMs, toMs, id, id)) {
    let totals = byTeller.get(row.teller);
    if (!totals) {
      totals = { teller: row.teller, deposits: { count: 0, cents: 0 }, withdrawals: { count: 0, cents: 0 } };
      byTeller.set(row.teller, totals);
    }
    const into = row.kind === 'deposit' ? totals.deposits : totals.withdrawals;
    into.count = row.count;
    into.cents = row.cents;
  }
  return [...byTeller.values()];
}
