import type { Database, Statement } from 'better-sqlite3';
import type { CreateAccountResult } from './ledger-backend.js';
import type { LedgerStore } from './ledger-store.js';
import { statementsPerDatabase } from './statement-cache.js';
import { applyOpenAccount, type OpenAccountJob, type OpenAccountOutcome } from './teller-ledger.js';
import { applyUpkeepJob, type UpkeepJob, type UpkeepOutcome } from './upkeep-jobs.js';

/**
 * Lockout by user name (protocol/README.md §2.1): consecutive failures are counted per name, for names
 * that are accounts and names that are not, so ACCOUNT_LOCKED never tells which is which. A lock
 * from failures lasts a lock period that doubles for each further lock of the name within 24 h,
 * up to 4 h (or until an operator unlocks when the period is 0). The operator's own lock is
 * accounts.locked and lasts until unlock.
 *
 * The writes here are writer jobs: they run inside the serialised writer's transaction like any
 * mutation, on whichever connection (thread) the writer owns.
 */

/** Repeat locks within this window double the lock period. */
export const REPEAT_LOCK_WINDOW_MS = 24 * 3600 * 1000;
/** The longest lock from failed logins (unless the configured base is longer). */
export const MAX_LOCK_PERIOD_MS = 4 * 3600 * 1000;
/** locked_until_ms for "until an operator unlocks" (lock period 0). */
export const LOCKED_UNTIL_UNLOCK = Number.MAX_SAFE_INTEGER;
/** Rows of names neither locked nor touched for this long are forgotten. */
export const LOGIN_FAILURE_RETENTION_MS = 24 * 3600 * 1000;

/** Work for the writer besides mutations: logins, re-authentication, enrolment, registration and upkeep. */
export type LoginJob =
  | { op: 'login_failure'; user: string; nowMs: number; threshold: number; lockoutMs: number }
  | { op: 'login_success'; user: string; accountId: number; totpStep: number | null; nowMs: number }
  | { op: 'totp_pending'; accountId: number; sealedSecret: string }
  | { op: 'prune_login_failures'; nowMs: number }
  /** A teller opens a customer's account (§5.2): serialised with the logins it competes with for names. */
  | OpenAccountJob
  /** Self-registration (hello `register`): the new account is a write like any other, so the writer makes it. */
  | { op: 'register'; user: string; passwordHash: string }
  | UpkeepJob;

export type LoginJobOutcome =
  | { op: 'login_failure'; locked: boolean; justLocked: boolean; failures: number; lockedUntilMs: number | null }
  /** `active`: the account was still active and not locked by an operator when the reset committed. */
  | { op: 'login_success'; active: boolean }
  | { op: 'totp_pending'; active: boolean }
  | { op: 'prune_login_failures'; removed: number }
  | OpenAccountOutcome
  | ({ op: 'register' } & CreateAccountResult)
  | UpkeepOutcome;

interface FailureRow {
  username: string;
  failures: number;
  locked_until_ms: number | null;
  lock_count: number;
  last_lock_ms: number | null;
}

interface AccountStatusRow {
  id: number;
  status: string;
  locked: number;
}

function prepare(db: Database) {
  return {
    get: db.prepare<[string], FailureRow>('SELECT * FROM login_failures WHERE username = ?'),
    upsert: db.prepare<[string, number, number | null, number, number | null, number]>(
      `INSERT INTO login_failures (username, failures, locked_until_ms, lock_count, last_lock_ms, updated_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, locked_until_ms = excluded.locked_until_ms,
         lock_count = excluded.lock_count, last_lock_ms = excluded.last_lock_ms, updated_ms = excluded.updated_ms`,
    ),
    reset: db.prepare<[number, string]>(
      'UPDATE login_failures SET failures = 0, locked_until_ms = NULL, updated_ms = ? WHERE username = ?',
    ),
    forget: db.prepare<[string]>('DELETE FROM login_failures WHERE username = ?'),
    prune: db.prepare<[number, number]>(
      'DELETE FROM login_failures WHERE (locked_until_ms IS NULL OR locked_until_ms <= ?) AND updated_ms < ?',
    ),
    accountStatus: db.prepare<[number], AccountStatusRow>('SELECT id, status, locked FROM accounts WHERE id = ?'),
    accountFailures: db.prepare<[number, string]>(
      `UPDATE accounts SET failed_logins = ? WHERE username = ? AND kind = 'customer'`,
    ),
    setTotpLastStep: db.prepare<[number, number]>('UPDATE accounts SET totp_last_step = ? WHERE id = ?'),
    setTotpPending: db.prepare<[string, number]>('UPDATE accounts SET totp_pending_sealed = ? WHERE id = ?'),
  } satisfies Record<string, Statement<never[]> | Statement<unknown[]>>;
}

const statements = statementsPerDatabase(prepare);

/** The lock period of the `lockCount`-th lock in a row (1-based), for a base period in ms (0 = until unlock). */
export function lockPeriodMs(baseMs: number, lockCount: number): number {
  if (baseMs <= 0) return LOCKED_UNTIL_UNLOCK;
  const cap = Math.max(MAX_LOCK_PERIOD_MS, baseMs);
  return Math.min(cap, baseMs * 2 ** Math.min(Math.max(0, lockCount - 1), 30));
}

/** Whether a name is locked right now: by an operator (accounts.locked) or by failed logins. Read-only. */
export function nameLocked(store: LedgerStore, user: string, nowMs: number): boolean {
  const account = store.customerRow(user);
  if (account && account.locked !== 0) return true;
  const row = statements(store).get.get(user);
  return row?.locked_until_ms != null && nowMs < row.locked_until_ms;
}

/** Consecutive failures counted for a name now (0 after a lock period ended). Read-only. */
export function failuresOf(store: LedgerStore, user: string, nowMs: number): number {
  const row = statements(store).get.get(user);
  if (!row) return 0;
  if (row.locked_until_ms != null && nowMs >= row.locked_until_ms) return 0;
  return row.failures;
}

/** An operator's unlock ends a lock from failures too and forgets the count. */
export function forgetLoginFailures(store: LedgerStore, user: string): void {
  statements(store).forget.run(user);
}

/** Drop rows that hold no lock and saw no failure for a day. Returns how many went. */
export function pruneLoginFailures(store: LedgerStore, nowMs: number): number {
  return statements(store).prune.run(nowMs, nowMs - LOGIN_FAILURE_RETENTION_MS).changes;
}

/** Run one login job; call it inside a writer job (it is one statement group, atomic there). */
export function applyLoginJob(store: LedgerStore, job: LoginJob): LoginJobOutcome {
  const s = statements(store);
  switch (job.op) {
    case 'login_failure': {
      const row = s.get.get(job.user);
      const { nowMs } = job;
      if (row?.locked_until_ms != null && nowMs < row.locked_until_ms) {
        return {
          op: job.op,
          locked: true,
          justLocked: false,
          failures: row.failures,
          lockedUntilMs: row.locked_until_ms,
        };
      }
      // A lock period that has ended starts the count afresh.
      const failures = (row && row.locked_until_ms == null ? row.failures : 0) + 1;
      const threshold = Math.max(1, job.threshold);
      if (failures < threshold) {
        s.upsert.run(job.user, failures, null, row?.lock_count ?? 0, row?.last_lock_ms ?? null, nowMs);
        s.accountFailures.run(failures, job.user);
        return { op: job.op, locked: false, justLocked: false, failures, lockedUntilMs: null };
      }
      const repeat = row?.last_lock_ms != null && nowMs - row.last_lock_ms < REPEAT_LOCK_WINDOW_MS;
      const lockCount = repeat ? (row?.lock_count ?? 0) + 1 : 1;
      const period = lockPeriodMs(job.lockoutMs, lockCount);
      const until = period === LOCKED_UNTIL_UNLOCK ? LOCKED_UNTIL_UNLOCK : nowMs + period;
      s.upsert.run(job.user, failures, until, lockCount, nowMs, nowMs);
      s.accountFailures.run(failures, job.user);
      return { op: job.op, locked: true, justLocked: true, failures, lockedUntilMs: until };
    }
    case 'login_success': {
      const account = s.accountStatus.get(job.accountId);
      const active = account?.status === 'active' && account.locked === 0;
      if (!active) return { op: job.op, active: false };
      s.reset.run(job.nowMs, job.user);
      s.accountFailures.run(0, job.user);
      if (job.totpStep !== null) s.setTotpLastStep.run(job.totpStep, job.accountId);
      return { op: job.op, active: true };
    }
    case 'totp_pending': {
      const account = s.accountStatus.get(job.accountId);
      const active = account?.status === 'active' && account.locked === 0;
      if (active) s.setTotpPending.run(job.sealedSecret, job.accountId);
      return { op: job.op, active };
    }
    case 'prune_login_failures':
      return { op: job.op, removed: pruneLoginFailures(store, job.nowMs) };
    case 'open_account':
      return applyOpenAccount(store, job);
    case 'register':
      return { op: job.op, ...store.createAccount({ user: job.user, passwordHash: job.passwordHash }) };
    case 'prune_applied':
    case 'outbox_delete':
    case 'ack_operator_actions':
      return applyUpkeepJob(store, job);
  }
}
