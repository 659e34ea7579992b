/** The SQLite ledger: opening the file, and the store: the writes and writer-only primitives over its reads. */
import Database from 'better-sqlite3';
import type { HistoryKind } from '../../protocol/index.js';
import type { FraudAlert } from '../fraud/index.js';
import { restrictLedgerFiles } from './ledger-files.js';
import { LedgerReads } from './ledger-reads.js';
import type { AccountRecord, AccountRole, TransactionRow } from './ledger-records.js';
import { toRecord } from './ledger-records.js';
import { forgetLoginFailures, nameLocked } from './login-lockout.js';
import { closedUserName, migrate } from './schema.js';
import { type BalanceWrite, WriterRowCache } from './writer-row-cache.js';

export { LedgerReads } from './ledger-reads.js';
/** The record shapes, still importable from here. */
export type {
  AccountRecord,
  AccountRole,
  AccountRow,
  AccountSummary,
  FraudAlertRecord,
  TransactionRow,
} from './ledger-records.js';

type Db = Database.Database;

export interface LedgerOptions {
  /** Milliseconds since the epoch; injected so tests control time. */
  clock?: () => number;
  /**
   * Key for HMAC-SHA256 request fingerprints (idempotency). Pass a key derived from the data key
   * so the database never holds an unkeyed hash of a password or contact value.
   */
  requestHashKey?: Uint8Array;
}

/** Applied request ids are kept at least this long (protocol/README.md §5). */
export const MIN_APPLIED_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Open (creating if needed) the SQLite ledger at `path`: WAL, synchronous=FULL, busy_timeout,
 * foreign keys, migrations, vault account. Safe to call from a second process while the server
 * holds the file open (the operator CLI does).
 */
export function openLedger(path: string, options: LedgerOptions = {}): LedgerStore {
  const clock = options.clock ?? Date.now;
  const db = new Database(path, { timeout: 5000 });
  try {
    db.pragma('busy_timeout = 5000');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`ledger could not switch to WAL (journal_mode=${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, new Date(clock()).toISOString());
    restrictLedgerFiles(path);
    return new LedgerStore(db, { ...options, clock });
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The ledger's tables behind synchronous methods with cached prepared statements. Reads (from
 * {@link LedgerReads}) may be called from anywhere; money movements go through
 * {@link applyMutation} inside a {@link LedgerWriter} job so they are serialised and group-committed.
 */
export class LedgerStore extends LedgerReads {
  readonly #atomic: (fn: () => unknown) => unknown;

  /** @internal Use {@link openLedger}. */
  constructor(db: Db, options: LedgerOptions = {}) {
    super(db, options.clock ?? Date.now, options.requestHashKey);
    const run = db.transaction((fn: () => unknown) => fn());
    // IMMEDIATE takes the write lock before the first read: a deferred read-then-write can fail
    // with SQLITE_BUSY at once (no busy wait) if another process wrote in between. Inside an open
    // transaction (a writer batch) this is a savepoint either way.
    this.#atomic = (fn) => {
      try {
        return run.immediate(fn);
      } catch (error) {
        // Its savepoint rolled back: a balance written through to the row cache may be gone.
        this.rowCache?.drop();
        throw error;
      }
    };
  }

  createAccount(input: {
    user: string;
    passwordHash: string;
    role?: AccountRole;
  }): { ok: true; account: AccountRecord } | { ok: false; code: 'USER_EXISTS' } {
    const row = this.sql.insertAccount.get(input.user, input.passwordHash, this.#nowIso(), input.role ?? 'customer');
    if (!row) return { ok: false, code: 'USER_EXISTS' };
    return { ok: true, account: toRecord(row) };
  }

  /** Count one more consecutive failure; lock once `threshold` is reached. */
  recordFailedLogin(
    accountId: number,
    threshold: number,
  ): { failedLogins: number; locked: boolean; justLocked: boolean } {
    return this.#atomic(() => {
      const before = this.sql.accountById.get(accountId);
      if (before?.kind !== 'customer') return { failedLogins: 0, locked: false, justLocked: false };
      const failedLogins = before.failed_logins + 1;
      const locked = before.locked !== 0 || failedLogins >= threshold;
      this.sql.setFailedLogins.run(failedLogins, locked ? 1 : 0, accountId);
      return { failedLogins, locked, justLocked: locked && before.locked === 0 };
    }) as { failedLogins: number; locked: boolean; justLocked: boolean };
  }

  resetFailedLogins(accountId: number): void {
    this.sql.resetFailedLogins.run(accountId);
  }

  /** Locked right now by an operator or by failed logins (protocol/README.md §2.1); any name, account or not. */
  isNameLocked(user: string, nowMs: number): boolean {
    return nameLocked(this, user, nowMs);
  }

  /** Lock or unlock an active customer; unlocking also clears the failure count. False when no such account. */
  setLocked(user: string, locked: boolean): boolean {
    return this.#atomic(() => {
      const changed = this.sql.setLocked.run({ locked: locked ? 1 : 0, user }).changes > 0;
      // An unlock also ends a lock from failed logins (protocol/README.md §2.1) and forgets the count.
      if (changed && !locked) forgetLoginFailures(this, user);
      return changed;
    }) as boolean;
  }

  setTotpPending(accountId: number, sealedSecret: string): void {
    this.sql.setTotpPending.run(sealedSecret, accountId);
  }

  setTotpLastStep(accountId: number, step: number): void {
    this.sql.setTotpLastStep.run(step, accountId);
  }

  /** Anonymise a zero-balance customer: renamed out of the user name space, credentials and PII wiped, entries kept. */
  closeAccount(user: string): { ok: true } | { ok: false; code: 'UNKNOWN_ACCOUNT' | 'NONZERO_BALANCE' } {
    return this.#atomic(() => {
      const row = this.sql.customerByName.get(user);
      if (row?.status !== 'active') return { ok: false, code: 'UNKNOWN_ACCOUNT' };
      if (row.balance_cents !== 0) return { ok: false, code: 'NONZERO_BALANCE' };
      const anonymous = closedUserName(row.id);
      this.sql.closeAccount.run(anonymous, row.id);
      this.sql.anonymiseAlerts.run(anonymous, row.id);
      return { ok: true };
    }) as { ok: true } | { ok: false; code: 'UNKNOWN_ACCOUNT' | 'NONZERO_BALANCE' };
  }

  /**
   * Forget applied ids older than `olderThanMs` (never less than 24 h) and stamped before
   * `notAfterMs` (applied-retention.ts: this run's ids by running time). Returns how many went.
   */
  pruneApplied(olderThanMs: number, notAfterMs = Number.MAX_SAFE_INTEGER): number {
    const age = Math.max(olderThanMs, MIN_APPLIED_RETENTION_MS);
    return this.sql.pruneApplied.run(Math.min(this.clock() - age, notAfterMs)).changes;
  }

  /** Queue an operator action (taken by the CLI) for the server's audit log. Never holds a secret. */
  enqueueOperatorAction(detail: Record<string, unknown>): void {
    this.sql.enqueueOperatorAction.run(this.clock(), JSON.stringify(detail));
  }

  ackOperatorActions(upToId: number): void {
    this.sql.ackOperatorActions.run(upToId);
  }

  // ----- writer-only primitives (not part of the public contract) ------------------------

  /** @internal Run `fn` all-or-nothing (a savepoint when already inside a transaction). */
  atomic<T>(fn: () => T): T {
    return this.#atomic(fn) as T;
  }

  /** @internal A LedgerWriter runs on this store: keep the rows its batches read (writer-row-cache.ts). */
  enableRowCache(): WriterRowCache {
    this.rowCache ??= new WriterRowCache(this.db, this.sql.accountById, this.sql.customerByName);
    return this.rowCache;
  }

  /** @internal The writer's row cache, once a LedgerWriter runs on this store. */
  get writerRows(): WriterRowCache | null {
    return this.rowCache;
  }

  /** @internal The writer opened a batch transaction: from now on a rollback can undo the fraud window's changes. */
  beginBatch(): void {
    this.debits.begin();
    this.rowCache?.beginBatch();
  }

  /** @internal Where the batch stands, for {@link rolledBackTo} after a savepoint's rollback. */
  batchMark(): number {
    return this.debits.mark();
  }

  /** @internal The batch (mark 0) or a savepoint from `mark` on rolled back. */
  rolledBackTo(mark: number): void {
    this.debits.rollBackTo(mark);
    this.rowCache?.drop();
  }

  /** @internal The batch transaction ended: committed, or (`committed` false) rolled back after rolledBackTo(0). */
  endBatch(committed = true): void {
    this.debits.end();
    if (committed) this.rowCache?.endBatch();
    else this.rowCache?.abortBatch();
  }

  /** @internal Append a journal row; returns its sequence number. */
  insertTransaction(
    kind: TransactionRow['kind'],
    accountId: number,
    counterpartyId: number | null,
    amountCents: number,
    reversesSeq: number | null,
    nowMs: number,
    terminal: string | null = null,
    tellerId: number | null = null,
  ): number {
    const info = this.sql.insertTx.run(
      kind,
      accountId,
      counterpartyId,
      amountCents,
      reversesSeq,
      nowMs,
      terminal,
      tellerId,
    );
    if (kind === 'withdrawal' || kind === 'transfer') this.debits.recorded(accountId, nowMs);
    return Number(info.lastInsertRowid);
  }

  /** @internal Add `delta` to a balance; returns the new balance. */
  adjustBalance(accountId: number, delta: number): number {
    this.rowCache?.beforeWrite(accountId);
    return this.#balanceWritten(accountId, this.sql.adjustBalance.get(delta, accountId));
  }

  /** @internal Add `delta` to a balance and set the daily withdrawal counter in the same write. */
  adjustBalanceAndDay(accountId: number, delta: number, day: string | null, withdrawnCents: number): number {
    this.rowCache?.beforeWrite(accountId);
    return this.#balanceWritten(accountId, this.sql.adjustBalanceAndDay.get(delta, day, withdrawnCents, accountId));
  }

  /** The new balance; the row cache takes the update's RETURNING as the row's new counters. */
  #balanceWritten(accountId: number, row: BalanceWrite | undefined): number {
    this.rowCache?.afterWrite(accountId, row);
    if (row === undefined) throw new RangeError(`no account with id ${accountId}`);
    return row.balance_cents;
  }

  /** @internal */
  insertEntry(
    seq: number,
    accountId: number,
    kind: HistoryKind | 'load' | 'unload',
    amountCents: number,
    balanceAfter: number,
    counterpartyId: number | null,
    nowMs: number,
  ): void {
    this.sql.insertEntry.run(seq, accountId, kind, amountCents, balanceAfter, counterpartyId, nowMs);
  }

  /** @internal Add `delta` to one account's balance and journal it under `seq`; returns the new balance. */
  post(
    seq: number,
    accountId: number,
    kind: HistoryKind | 'load' | 'unload',
    delta: number,
    counterpartyId: number | null,
    nowMs: number,
  ): number {
    const after = this.adjustBalance(accountId, delta);
    this.insertEntry(seq, accountId, kind, delta, after, counterpartyId, nowMs);
    return after;
  }

  /** @internal */
  recordApplied(
    accountId: number,
    requestId: string,
    requestHash: string,
    response: Record<string, unknown>,
    nowMs: number,
  ): void {
    this.sql.insertApplied.run(accountId, requestId, requestHash, JSON.stringify(response), nowMs);
  }

  /** @internal */
  recordAlert(accountId: number, alert: FraudAlert, blocked: boolean, requestId: string, nowMs: number): void {
    this.sql.insertAlert.run(
      accountId,
      alert.user,
      alert.rule,
      alert.op,
      alert.amountCents,
      alert.detail,
      blocked ? 1 : 0,
      requestId,
      nowMs,
    );
  }

  /** @internal */
  setPasswordHash(accountId: number, passwordHash: string): void {
    this.sql.setPasswordHash.run(passwordHash, accountId);
  }

  /** @internal Set e-mail and/or phone; `undefined` leaves a field as it is, `null` clears it. */
  setContact(accountId: number, emailSealed: string | null | undefined, phoneSealed: string | null | undefined): void {
    this.sql.setContact.run({
      id: accountId,
      setEmail: emailSealed === undefined ? 0 : 1,
      email: emailSealed ?? null,
      setPhone: phoneSealed === undefined ? 0 : 1,
      phone: phoneSealed ?? null,
    });
  }

  /** @internal Move the pending TOTP secret to active and enable two-factor login. */
  confirmTotp(accountId: number, step: number | null): void {
    this.sql.confirmTotp.run(step, accountId);
  }

  /** @internal Turn two-factor login off and forget its secrets; the last step stays as the replay guard. */
  disableTotp(accountId: number): void {
    this.sql.disableTotp.run(accountId);
  }

  #nowIso(): string {
    return new Date(this.clock()).toISOString();
  }
}
