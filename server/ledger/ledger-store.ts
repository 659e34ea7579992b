import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { HistoryEntry, HistoryKind } from '../../protocol/index.js';
import type { FraudAlert, FraudOp, FraudRule } from '../fraud/index.js';
import { type VerifyReport, verifyDatabase } from './ledger-verify.js';
import { forgetLoginFailures, nameLocked } from './login-lockout.js';
import { closedUserName, migrate } from './schema.js';
import { formatTxId, parseTxId } from './tx-id.js';

/** One customer account as the session layer and the operator CLI see it. */
/** The velocity window keeps at most this many debit times per account (the rule's count is far smaller). */
const MAX_TRACKED_DEBITS = 1_000;

export interface AccountRecord {
  id: number;
  user: string;
  passwordHash: string;
  status: 'active' | 'closed';
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  totpSecretSealed: string | null;
  totpPendingSealed: string | null;
  totpLastStep: number | null;
  emailSealed: string | null;
  phoneSealed: string | null;
  createdAt: string;
  /** `customer` (the default) or `teller` (protocol/README.md §5.2); absent means customer. */
  role?: AccountRole;
}

export type AccountRole = 'customer' | 'teller';

/** A row of `accounts list`. */
export interface AccountSummary {
  user: string;
  balanceCents: number;
  status: string;
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  createdAt: string;
  role?: AccountRole;
}

/** A fraud alert as stored: the alert, when, and whether the request was refused. */
export interface FraudAlertRecord extends FraudAlert {
  id: number;
  at: string;
  blocked: boolean;
  requestId: string | null;
}

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

/** @internal The raw accounts row. */
export interface AccountRow {
  id: number;
  username: string;
  kind: 'customer' | 'vault' | 'terminal';
  password_hash: string;
  status: 'active' | 'closed';
  locked: number;
  failed_logins: number;
  balance_cents: number;
  withdrawn_day: string | null;
  withdrawn_cents: number;
  totp_enabled: number;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  email_sealed: string | null;
  phone_sealed: string | null;
  created_at: string;
  role: AccountRole;
}

/** @internal A journal row, as the reversal rule reads it. */
export interface TransactionRow {
  seq: number;
  kind: 'deposit' | 'withdrawal' | 'transfer' | 'reversal' | 'load' | 'unload';
  account_id: number;
  amount_cents: number;
  created_ms: number;
  /** The terminal the cash moved at; null for transfers and for entries made before terminals. */
  terminal: string | null;
}

interface HistoryRow {
  tx_seq: number;
  kind: HistoryKind;
  amount_cents: number;
  balance_after: number;
  counterparty: string | null;
  created_ms: number;
  terminal: string | null;
}

interface AlertRow {
  id: number;
  username: string;
  rule: FraudRule;
  op: FraudOp;
  amount_cents: number;
  detail: string;
  blocked: number;
  request_id: string | null;
  created_ms: number;
}

type Db = Database.Database;

function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    user: row.username,
    passwordHash: row.password_hash,
    status: row.status,
    locked: row.locked !== 0,
    failedLogins: row.failed_logins,
    totpEnabled: row.totp_enabled !== 0,
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step,
    emailSealed: row.email_sealed,
    phoneSealed: row.phone_sealed,
    createdAt: row.created_at,
    role: row.role,
  };
}

function toAlert(row: AlertRow): FraudAlertRecord {
  return {
    id: row.id,
    at: new Date(row.created_ms).toISOString(),
    rule: row.rule,
    user: row.username,
    op: row.op,
    amountCents: row.amount_cents,
    detail: row.detail,
    blocked: row.blocked !== 0,
    requestId: row.request_id,
  };
}

function toHistory(row: HistoryRow): HistoryEntry {
  return {
    txId: formatTxId(row.tx_seq),
    kind: row.kind,
    amountCents: row.amount_cents,
    balanceAfterCents: row.balance_after,
    counterparty: row.counterparty,
    at: new Date(row.created_ms).toISOString(),
    terminal: row.terminal,
  };
}

/**
 * The ledger file and SQLite's -wal and -shm beside it are the owner's alone (0600), whatever the
 * umask they were created under. SQLite gives a new -wal/-shm the main file's mode, so narrowing
 * the main file keeps the later ones narrow too.
 */
function restrictLedgerFiles(path: string): void {
  if (path === ':memory:' || path === '') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (existsSync(file)) chmodSync(file, 0o600);
    } catch {
      // Not ours to change (a read-only copy): opening it is still fine.
    }
  }
}

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
 * The ledger's tables behind synchronous methods with cached prepared statements. Reads may be
 * called from anywhere; money movements go through {@link applyMutation} inside a
 * {@link LedgerWriter} job so they are serialised and group-committed.
 */
export class LedgerStore {
  readonly #db: Db;
  readonly #clock: () => number;
  readonly #requestHashKey: Uint8Array | undefined;
  readonly #vaultId: number;
  readonly #atomic: (fn: () => unknown) => unknown;
  readonly #s;
  /** Recent debit times per account, oldest first, for the fraud velocity rule. */
  readonly #recentDebits = new Map<number, number[]>();

  /** @internal Use {@link openLedger}. */
  constructor(db: Db, options: LedgerOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? Date.now;
    this.#requestHashKey = options.requestHashKey ? Uint8Array.from(options.requestHashKey) : undefined;
    const run = db.transaction((fn: () => unknown) => fn());
    // IMMEDIATE takes the write lock before the first read: a deferred read-then-write can fail
    // with SQLITE_BUSY at once (no busy wait) if another process wrote in between. Inside an open
    // transaction (a writer batch) this is a savepoint either way.
    this.#atomic = (fn) => run.immediate(fn);
    this.#s = prepareStatements(db);
    const vault = db.prepare<[], { id: number }>(`SELECT id FROM accounts WHERE kind = 'vault'`).get();
    if (!vault) throw new Error('ledger has no vault account');
    this.#vaultId = vault.id;
  }

  // ----- accounts ---------------------------------------------------------------------

  createAccount(input: {
    user: string;
    passwordHash: string;
    role?: AccountRole;
  }): { ok: true; account: AccountRecord } | { ok: false; code: 'USER_EXISTS' } {
    const row = this.#s.insertAccount.get(input.user, input.passwordHash, this.#nowIso(), input.role ?? 'customer');
    if (!row) return { ok: false, code: 'USER_EXISTS' };
    return { ok: true, account: toRecord(row) };
  }

  /** A customer by user name; never the vault. Closed accounts are renamed, so they are not found by their old name. */
  findAccount(user: string): AccountRecord | null {
    const row = this.#s.customerByName.get(user);
    return row ? toRecord(row) : null;
  }

  /** A customer by id; never the vault. */
  getAccount(id: number): AccountRecord | null {
    const row = this.#s.accountById.get(id);
    return row && row.kind === 'customer' ? toRecord(row) : null;
  }

  /** What the account has withdrawn on the UTC day `day` (`YYYY-MM-DD`); the daily limit counts it. */
  withdrawnOn(accountId: number, day: string): number {
    const row = this.#s.accountById.get(accountId);
    return row && row.withdrawn_day === day ? row.withdrawn_cents : 0;
  }

  listAccounts(): AccountSummary[] {
    return this.#s.listAccounts.all().map((row) => ({
      user: row.username,
      balanceCents: row.balance_cents,
      status: row.status,
      locked: row.locked !== 0,
      failedLogins: row.failed_logins,
      totpEnabled: row.totp_enabled !== 0,
      createdAt: row.created_at,
      role: row.role,
    }));
  }

  /** Count one more consecutive failure; lock once `threshold` is reached. */
  recordFailedLogin(
    accountId: number,
    threshold: number,
  ): { failedLogins: number; locked: boolean; justLocked: boolean } {
    return this.#atomic(() => {
      const before = this.#s.accountById.get(accountId);
      if (before?.kind !== 'customer') return { failedLogins: 0, locked: false, justLocked: false };
      const failedLogins = before.failed_logins + 1;
      const locked = before.locked !== 0 || failedLogins >= threshold;
      this.#s.setFailedLogins.run(failedLogins, locked ? 1 : 0, accountId);
      return { failedLogins, locked, justLocked: locked && before.locked === 0 };
    }) as { failedLogins: number; locked: boolean; justLocked: boolean };
  }

  resetFailedLogins(accountId: number): void {
    this.#s.resetFailedLogins.run(accountId);
  }

  /** Locked right now by an operator or by failed logins (protocol/README.md §2.1); any name, account or not. */
  isNameLocked(user: string, nowMs: number): boolean {
    return nameLocked(this, user, nowMs);
  }

  /** Lock or unlock an active customer; unlocking also clears the failure count. False when no such account. */
  setLocked(user: string, locked: boolean): boolean {
    return this.#atomic(() => {
      const changed = this.#s.setLocked.run({ locked: locked ? 1 : 0, user }).changes > 0;
      // An unlock also ends a lock from failed logins (protocol/README.md §2.1) and forgets the count.
      if (changed && !locked) forgetLoginFailures(this, user);
      return changed;
    }) as boolean;
  }

  setTotpPending(accountId: number, sealedSecret: string): void {
    this.#s.setTotpPending.run(sealedSecret, accountId);
  }

  setTotpLastStep(accountId: number, step: number): void {
    this.#s.setTotpLastStep.run(step, accountId);
  }

  balance(accountId: number): number {
    const value = this.#s.balance.get(accountId);
    if (value === undefined) throw new RangeError(`no account with id ${accountId}`);
    return value;
  }

  /** Newest first; `before` pages back from a txId this account has, `next` is the `before` of the next page. */
  history(
    accountId: number,
    limit: number,
    before?: string,
  ): { entries: HistoryEntry[]; next: string | null } | { error: 'UNKNOWN_TX' } {
    const pageSize = Math.max(1, Math.min(100, Math.floor(limit)));
    let beforeSeq = Number.MAX_SAFE_INTEGER;
    if (before !== undefined) {
      const seq = parseTxId(before);
      if (seq === null || this.#s.entryOf.get(accountId, seq) === undefined) return { error: 'UNKNOWN_TX' };
      beforeSeq = seq;
    }
    const rows = this.#s.historyPage.all(accountId, beforeSeq, pageSize + 1);
    const page = rows.slice(0, pageSize).map(toHistory);
    const last = page[page.length - 1];
    return { entries: page, next: rows.length > pageSize && last ? last.txId : null };
  }

  findApplied(accountId: number, requestId: string): { requestHash: string; response: Record<string, unknown> } | null {
    const row = this.#s.findApplied.get(accountId, requestId);
    if (!row) return null;
    return { requestHash: row.request_hash, response: JSON.parse(row.response) as Record<string, unknown> };
  }

  /** Everything held about a customer. Sealed fields stay sealed; the password hash and TOTP secret are left out. */
  exportAccount(user: string): object | null {
    const row = this.#s.customerByName.get(user);
    if (!row) return null;
    const entries = this.#s.allEntries.all(row.id).map(toHistory);
    const alerts = this.#s.alertsOf.all(row.id).map(toAlert);
    const appliedRequests = this.#s.appliedOf.all(row.id).map((r) => ({
      requestId: r.request_id,
      at: new Date(r.created_ms).toISOString(),
      response: JSON.parse(r.response) as unknown,
    }));
    return {
      user: row.username,
      role: row.role,
      status: row.status,
      createdAt: row.created_at,
      balanceCents: row.balance_cents,
      locked: row.locked !== 0,
      failedLogins: row.failed_logins,
      totpEnabled: row.totp_enabled !== 0,
      emailSealed: row.email_sealed,
      phoneSealed: row.phone_sealed,
      entries,
      fraudAlerts: alerts,
      appliedRequests,
    };
  }

  /** Anonymise a zero-balance customer: renamed out of the user name space, credentials and PII wiped, entries kept. */
  closeAccount(user: string): { ok: true } | { ok: false; code: 'UNKNOWN_ACCOUNT' | 'NONZERO_BALANCE' } {
    return this.#atomic(() => {
      const row = this.#s.customerByName.get(user);
      if (row?.status !== 'active') return { ok: false, code: 'UNKNOWN_ACCOUNT' };
      if (row.balance_cents !== 0) return { ok: false, code: 'NONZERO_BALANCE' };
      const anonymous = closedUserName(row.id);
      this.#s.closeAccount.run(anonymous, row.id);
      this.#s.anonymiseAlerts.run(anonymous, row.id);
      return { ok: true };
    }) as { ok: true } | { ok: false; code: 'UNKNOWN_ACCOUNT' | 'NONZERO_BALANCE' };
  }

  listAlerts(options: { limit?: number } = {}): FraudAlertRecord[] {
    const limit = Math.max(1, Math.floor(options.limit ?? 100));
    return this.#s.listAlerts.all(limit).map(toAlert);
  }

  /** Forget applied ids older than `olderThanMs` (never less than 24 h). Returns how many went. */
  pruneApplied(olderThanMs: number): number {
    const age = Math.max(olderThanMs, MIN_APPLIED_RETENTION_MS);
    return this.#s.pruneApplied.run(this.#clock() - age).changes;
  }

  verify(): VerifyReport {
    return verifyDatabase(this.#db);
  }

  /** Queue an operator action (taken by the CLI) for the server's audit log. Never holds a secret. */
  enqueueOperatorAction(detail: Record<string, unknown>): void {
    this.#s.enqueueOperatorAction.run(this.#clock(), JSON.stringify(detail));
  }

  /** Oldest queued operator actions, for the server to audit; `ackOperatorActions` removes them. */
  pendingOperatorActions(limit = 100): Array<{ id: number; atMs: number; detail: Record<string, unknown> }> {
    return this.#s.pendingOperatorActions.all(limit).map((row) => ({
      id: row.id,
      atMs: row.created_ms,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }));
  }

  ackOperatorActions(upToId: number): void {
    this.#s.ackOperatorActions.run(upToId);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // ----- internals for the rules and the writer (not part of the public contract) -------

  /** @internal */
  get database(): Db {
    return this.#db;
  }

  /** @internal */
  get vaultId(): number {
    return this.#vaultId;
  }

  /** @internal */
  get requestHashKey(): Uint8Array | undefined {
    return this.#requestHashKey;
  }

  /** @internal Run `fn` all-or-nothing (a savepoint when already inside a transaction). */
  atomic<T>(fn: () => T): T {
    return this.#atomic(fn) as T;
  }

  /** @internal Any account row, vault included. */
  accountRow(id: number): AccountRow | undefined {
    return this.#s.accountById.get(id);
  }

  /** @internal */
  customerRow(user: string): AccountRow | undefined {
    return this.#s.customerByName.get(user);
  }

  /** @internal */
  transactionRow(seq: number): TransactionRow | undefined {
    return this.#s.txBySeq.get(seq);
  }

  /** @internal */
  isReversed(seq: number): boolean {
    return this.#s.reversalOf.get(seq) !== undefined;
  }

  /**
   * @internal How many withdrawals and transfers out of the account were applied at or after
   * `sinceMs`, counting at most `cap`. The times live in memory (the velocity rule asks on every
   * debit); an account's first question this process reads its newest debits from the ledger, so a
   * restart does not reset the window.
   */
  countDebitsSince(accountId: number, sinceMs: number, cap: number): number {
    if (cap <= 0) return 0;
    let times = this.#recentDebits.get(accountId);
    if (!times) {
      times = this.#s.recentDebitTimes.all(accountId, cap).reverse();
      this.#recentDebits.set(accountId, times);
    }
    let stale = 0;
    while (stale < times.length && (times[stale] as number) < sinceMs) stale++;
    if (stale > 0) times.splice(0, stale);
    return Math.min(times.length, cap);
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
    const info = this.#s.insertTx.run(
      kind,
      accountId,
      counterpartyId,
      amountCents,
      reversesSeq,
      nowMs,
      terminal,
      tellerId,
    );
    if (kind === 'withdrawal' || kind === 'transfer') {
      // Only accounts already asked about are tracked; the others are read from the ledger when
      // first asked. A job rolled back after this leaves one extra time: more alerts, never fewer.
      const times = this.#recentDebits.get(accountId);
      if (times) {
        times.push(nowMs);
        if (times.length > MAX_TRACKED_DEBITS) times.splice(0, times.length - MAX_TRACKED_DEBITS);
      }
    }
    return Number(info.lastInsertRowid);
  }

  /** @internal Add `delta` to a balance; returns the new balance. */
  adjustBalance(accountId: number, delta: number): number {
    const balance = this.#s.adjustBalance.get(delta, accountId);
    if (balance === undefined) throw new RangeError(`no account with id ${accountId}`);
    return balance;
  }

  /** @internal Add `delta` to a balance and set the daily withdrawal counter in the same write. */
  adjustBalanceAndDay(accountId: number, delta: number, day: string | null, withdrawnCents: number): number {
    const balance = this.#s.adjustBalanceAndDay.get(delta, day, withdrawnCents, accountId);
    if (balance === undefined) throw new RangeError(`no account with id ${accountId}`);
    return balance;
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
    this.#s.insertEntry.run(seq, accountId, kind, amountCents, balanceAfter, counterpartyId, nowMs);
  }

  /** @internal */
  recordApplied(
    accountId: number,
    requestId: string,
    requestHash: string,
    response: Record<string, unknown>,
    nowMs: number,
  ): void {
    this.#s.insertApplied.run(accountId, requestId, requestHash, JSON.stringify(response), nowMs);
  }

  /** @internal */
  recordAlert(accountId: number, alert: FraudAlert, blocked: boolean, requestId: string, nowMs: number): void {
    this.#s.insertAlert.run(
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
    this.#s.setPasswordHash.run(passwordHash, accountId);
  }

  /** @internal Set e-mail and/or phone; `undefined` leaves a field as it is, `null` clears it. */
  setContact(accountId: number, emailSealed: string | null | undefined, phoneSealed: string | null | undefined): void {
    this.#s.setContact.run({
      id: accountId,
      setEmail: emailSealed === undefined ? 0 : 1,
      email: emailSealed ?? null,
      setPhone: phoneSealed === undefined ? 0 : 1,
      phone: phoneSealed ?? null,
    });
  }

  /** @internal Move the pending TOTP secret to active and enable two-factor login. */
  confirmTotp(accountId: number, step: number | null): void {
    this.#s.confirmTotp.run(step, accountId);
  }

  /** @internal Turn two-factor login off and forget its secrets; the last step stays as the replay guard. */
  disableTotp(accountId: number): void {
    this.#s.disableTotp.run(accountId);
  }

  #nowIso(): string {
    return new Date(this.#clock()).toISOString();
  }
}

function prepareStatements(db: Db) {
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
    adjustBalance: db
      .prepare<[number, number], number>(
        'UPDATE accounts SET balance_cents = balance_cents + ? WHERE id = ? RETURNING balance_cents',
      )
      .pluck(),
    adjustBalanceAndDay: db
      .prepare<[number, string | null, number, number], number>(
        `UPDATE accounts SET balance_cents = balance_cents + ?, withdrawn_day = ?, withdrawn_cents = ?
         WHERE id = ? RETURNING balance_cents`,
      )
      .pluck(),
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
