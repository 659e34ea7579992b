/**
 * The ledger behind one asynchronous interface, whatever holds it: the embedded SQLite file
 * (store + serialised writer, wrapped here) or PostgreSQL (server/ledger/postgres/). Every method
 * means the same on both; the shared suite in tests/server/ledger-backends/ runs against each.
 */
import type { HistoryEntry } from '../../protocol/index.js';
import {
  applyMutation,
  checkReplay,
  type MutatingRequest,
  type MutationOutcome,
  type PreparedChange,
} from './apply-mutation.js';
import { type AuditedOutcome, type OutboxEnvelope, withOutbox } from './audit-outbox.js';
import type { LedgerConfig } from './ledger-config.js';
import {
  type AccountRecord,
  type AccountSummary,
  type FraudAlertRecord,
  type LedgerOptions,
  type LedgerStore,
  openLedger,
} from './ledger-store.js';
import type { VerifyReport } from './ledger-verify.js';
import type { MutationTarget } from './ledger-worker-protocol.js';
import { LedgerWriter, type LedgerWriterOptions } from './ledger-writer.js';
import { applyLoginJob, failuresOf, nameLocked, pruneLoginFailures } from './login-lockout.js';
import {
  type CashMoveOutcome,
  enrollTerminal,
  findTerminal,
  listTerminals,
  moveTerminalCash,
  revokeTerminal,
  type TerminalRecord,
} from './terminal-ledger.js';

export type { MutationTarget } from './ledger-worker-protocol.js';

export type CreateAccountResult = { ok: true; account: AccountRecord } | { ok: false; code: 'USER_EXISTS' };
export type HistoryPage = { entries: HistoryEntry[]; next: string | null } | { error: 'UNKNOWN_TX' };
export type CloseResult = { ok: true } | { ok: false; code: 'UNKNOWN_ACCOUNT' | 'NONZERO_BALANCE' };
export interface FailedLoginResult {
  failedLogins: number;
  locked: boolean;
  justLocked: boolean;
}
/** What one more failed login did to a name. */
export interface LoginFailureOutcome {
  locked: boolean;
  justLocked: boolean;
  failures: number;
  lockedUntilMs: number | null;
}
export interface OperatorAction {
  id: number;
  atMs: number;
  detail: Record<string, unknown>;
}

export interface LedgerBackend {
  readonly kind: 'sqlite' | 'postgres';
  createAccount(input: { user: string; passwordHash: string }): Promise<CreateAccountResult>;
  /** A customer by user name; never the vault; closed accounts are renamed, so not found by their old name. */
  findAccount(user: string): Promise<AccountRecord | null>;
  /** A customer by id; never the vault. */
  getAccount(id: number): Promise<AccountRecord | null>;
  /** Any account's balance; RangeError when there is no such account. */
  balance(accountId: number): Promise<number>;
  /** What the account withdrew on the UTC day `day` (`YYYY-MM-DD`). */
  withdrawnOn(accountId: number, day: string): Promise<number>;
  history(accountId: number, limit: number, before?: string): Promise<HistoryPage>;
  findApplied(
    accountId: number,
    requestId: string,
  ): Promise<{ requestHash: string; response: Record<string, unknown> } | null>;
  /** The replay (or IDEMPOTENCY_CONFLICT) an applied id answers with; null if the id is new. */
  checkReplay(accountId: number, request: MutatingRequest): Promise<MutationOutcome | null>;
  listAccounts(): Promise<AccountSummary[]>;
  listAlerts(options?: { limit?: number }): Promise<FraudAlertRecord[]>;
  exportAccount(user: string): Promise<object | null>;
  /**
   * Apply one state-changing request under the ledger rules (apply-mutation.ts) and resolve once
   * it is committed and durable. Business refusals are outcomes; SERVER_BUSY/INTERNAL reject.
   */
  mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared?: PreparedChange,
    /** With an envelope, the audit events land in audit_outbox in the mutation's transaction and come back with it. */
    audit?: OutboxEnvelope,
  ): Promise<AuditedOutcome>;
  /** Per-name lockout (protocol/README.md §2.1, login-lockout.ts): one more consecutive failure for any name. */
  loginFailure(user: string, threshold: number, lockoutMs: number): Promise<LoginFailureOutcome>;
  /**
   * A login passed: reset the name's count and, with a TOTP step, take it unless it was used
   * already (`totpAccepted` false: refuse the login). `active` false when the account was closed
   * or locked by an operator meanwhile (nothing is changed then).
   */
  loginSuccess(
    user: string,
    accountId: number,
    totpStep: number | null,
  ): Promise<{ active: boolean; totpAccepted: boolean }>;
  /** Locked right now by an operator or by failed logins; any name. */
  nameLocked(user: string): Promise<boolean>;
  /** Consecutive failures counted for a name now (0 after a lock period ended). */
  loginFailuresOf(user: string): Promise<number>;
  /** Drop rows that hold no lock and saw no failure for a day. */
  pruneLoginFailures(): Promise<number>;
  recordFailedLogin(accountId: number, threshold: number): Promise<FailedLoginResult>;
  resetFailedLogins(accountId: number): Promise<void>;
  setLocked(user: string, locked: boolean): Promise<boolean>;
  closeAccount(user: string): Promise<CloseResult>;
  /** Store a pending TOTP secret; false (nothing stored) when the account is closed or locked by an operator. */
  setTotpPending(accountId: number, sealedSecret: string): Promise<boolean>;
  /**
   * The TOTP replay guard: record `step` as the account's last used step only if it is newer than
   * the one recorded. False means the code's step was already used (or an older one), so the login
   * must be refused, even when two sessions present the same code at once.
   */
  acceptTotpStep(accountId: number, step: number): Promise<boolean>;
  enqueueOperatorAction(detail: Record<string, unknown>): Promise<void>;
  pendingOperatorActions(limit?: number): Promise<OperatorAction[]>;
  ackOperatorActions(upToId: number): Promise<void>;
  /** Forget applied ids older than `olderThanMs` (never less than 24 h). Returns how many went. */
  pruneApplied(olderThanMs: number, notAfterMs?: number): Promise<number>;
  /** Enrol (or re-enrol) terminal `id` with `fingerprint` as its only certificate; its cash account is kept. */
  enrollTerminal(input: { id: string; fingerprint: string }): Promise<{ reenrolled: boolean }>;
  /** False when no active terminal has that id; cash there stops at once. */
  revokeTerminal(id: string): Promise<boolean>;
  findTerminal(id: string): Promise<TerminalRecord | null>;
  listTerminals(): Promise<TerminalRecord[]>;
  /** `load`: ~vault → the machine; `unload`: back (never more than its position). */
  moveTerminalCash(input: { id: string; kind: 'load' | 'unload'; amountCents: number }): Promise<CashMoveOutcome>;
  verify(): Promise<VerifyReport>;
  close(): Promise<void>;
}

export interface SqliteBackendOptions extends LedgerOptions {
  config: LedgerConfig;
  writer?: LedgerWriterOptions;
}

/**
 * The SQLite store and its writer behind {@link LedgerBackend}: reads are the store's synchronous
 * ones, mutations and other writes go through the one serialised writer (group commit).
 */
export class SqliteLedgerBackend implements LedgerBackend {
  readonly kind = 'sqlite' as const;
  readonly store: LedgerStore;
  readonly writer: LedgerWriter;
  readonly #config: LedgerConfig;
  readonly #clock: () => number;

  constructor(
    store: LedgerStore,
    config: LedgerConfig,
    writerOptions: LedgerWriterOptions = {},
    clock: () => number = Date.now,
  ) {
    this.store = store;
    this.#config = config;
    this.#clock = clock;
    this.writer = new LedgerWriter(store, writerOptions);
  }

  static open(path: string, options: SqliteBackendOptions): SqliteLedgerBackend {
    const { config, writer, ...ledgerOptions } = options;
    return new SqliteLedgerBackend(openLedger(path, ledgerOptions), config, writer, ledgerOptions.clock);
  }

  async createAccount(input: { user: string; passwordHash: string }): Promise<CreateAccountResult> {
    return this.writer.submit((s) => s.createAccount(input));
  }
  async findAccount(user: string) {
    return this.store.findAccount(user);
  }
  async getAccount(id: number) {
    return this.store.getAccount(id);
  }
  async balance(accountId: number) {
    return this.store.balance(accountId);
  }
  async withdrawnOn(accountId: number, day: string) {
    return this.store.withdrawnOn(accountId, day);
  }
  async history(accountId: number, limit: number, before?: string) {
    return this.store.history(accountId, limit, before);
  }
  async findApplied(accountId: number, requestId: string) {
    return this.store.findApplied(accountId, requestId);
  }
  async checkReplay(accountId: number, request: MutatingRequest) {
    return checkReplay(this.store, accountId, request);
  }
  async listAccounts() {
    return this.store.listAccounts();
  }
  async listAlerts(options?: { limit?: number }) {
    return this.store.listAlerts(options);
  }
  async exportAccount(user: string) {
    return this.store.exportAccount(user);
  }
  mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared?: PreparedChange,
    audit?: OutboxEnvelope,
  ): Promise<AuditedOutcome> {
    return this.writer.submit((s) =>
      withOutbox(s.database, audit, request, () =>
        applyMutation(s, { ...target, config: this.#config }, request, prepared),
      ),
    );
  }
  async loginFailure(user: string, threshold: number, lockoutMs: number): Promise<LoginFailureOutcome> {
    const nowMs = this.#clock();
    const outcome = await this.writer.submit((s) =>
      applyLoginJob(s, { op: 'login_failure', user, nowMs, threshold, lockoutMs }),
    );
    if (outcome.op !== 'login_failure') throw new Error('unexpected login outcome');
    const { locked, justLocked, failures, lockedUntilMs } = outcome;
    return { locked, justLocked, failures, lockedUntilMs };
  }
  loginSuccess(user: string, accountId: number, totpStep: number | null) {
    const nowMs = this.#clock();
    return this.writer.submit((s) => {
      const account = s.accountRow(accountId);
      if (account?.status !== 'active' || account.locked !== 0) return { active: false, totpAccepted: false };
      // The TOTP replay guard: a step at or before the last used one is refused.
      const last = account.totp_last_step;
      if (totpStep !== null && last !== null && totpStep <= last) return { active: true, totpAccepted: false };
      const done = applyLoginJob(s, { op: 'login_success', user, accountId, totpStep, nowMs });
      const active = done.op === 'login_success' && done.active;
      return { active, totpAccepted: active };
    });
  }
  async nameLocked(user: string) {
    return nameLocked(this.store, user, this.#clock());
  }
  async loginFailuresOf(user: string) {
    return failuresOf(this.store, user, this.#clock());
  }
  pruneLoginFailures() {
    const nowMs = this.#clock();
    return this.writer.submit((s) => pruneLoginFailures(s, nowMs));
  }
  recordFailedLogin(accountId: number, threshold: number) {
    return this.writer.submit((s) => s.recordFailedLogin(accountId, threshold));
  }
  resetFailedLogins(accountId: number) {
    return this.writer.submit((s) => s.resetFailedLogins(accountId));
  }
  setLocked(user: string, locked: boolean) {
    return this.writer.submit((s) => s.setLocked(user, locked));
  }
  closeAccount(user: string) {
    return this.writer.submit((s) => s.closeAccount(user));
  }
  setTotpPending(accountId: number, sealedSecret: string) {
    return this.writer.submit((s) => {
      const done = applyLoginJob(s, { op: 'totp_pending', accountId, sealedSecret });
      return done.op === 'totp_pending' && done.active;
    });
  }
  acceptTotpStep(accountId: number, step: number) {
    return this.writer.submit((s) => {
      const last = s.accountRow(accountId)?.totp_last_step ?? null;
      if (last !== null && step <= last) return false;
      s.setTotpLastStep(accountId, step);
      return true;
    });
  }
  enqueueOperatorAction(detail: Record<string, unknown>) {
    return this.writer.submit((s) => s.enqueueOperatorAction(detail));
  }
  async pendingOperatorActions(limit?: number) {
    return this.store.pendingOperatorActions(limit);
  }
  ackOperatorActions(upToId: number) {
    return this.writer.submit((s) => s.ackOperatorActions(upToId));
  }
  pruneApplied(olderThanMs: number, notAfterMs?: number) {
    return this.writer.submit((s) => s.pruneApplied(olderThanMs, notAfterMs));
  }
  enrollTerminal(input: { id: string; fingerprint: string }) {
    return this.writer.submit((s) => enrollTerminal(s, { ...input, nowIso: new Date(this.#clock()).toISOString() }));
  }
  revokeTerminal(id: string) {
    return this.writer.submit((s) => revokeTerminal(s, id, new Date(this.#clock()).toISOString()));
  }
  async findTerminal(id: string) {
    const found = findTerminal(this.store, id);
    return found ? positive(found) : null;
  }
  async listTerminals() {
    return listTerminals(this.store).map(positive);
  }
  moveTerminalCash(input: { id: string; kind: 'load' | 'unload'; amountCents: number }) {
    return this.writer.submit((s) => {
      const outcome = moveTerminalCash(s, { ...input, nowMs: this.#clock() });
      return outcome.ok ? { ...outcome, cashCents: outcome.cashCents + 0 } : outcome;
    });
  }
  async verify() {
    return this.store.verify();
  }
  async close() {
    await this.writer.close();
    this.store.close();
  }
}

/** A position of 0 as 0, not the -0 that negating an empty cash account gives. */
function positive(record: TerminalRecord): TerminalRecord {
  return { ...record, cashCents: record.cashCents + 0 };
}

export type BackendOptions = SqliteBackendOptions & {
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
};

/** True for the URL forms DESIGN.md gives PostgreSQL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Open the ledger a `--ledger` URL names: `sqlite:<file>` or `postgres://…` / `postgresql://…`.
 * The PostgreSQL driver is loaded only when asked for.
 */
export async function openLedgerBackend(url: string, options: BackendOptions): Promise<LedgerBackend> {
  if (isPostgresUrl(url)) {
    const { PostgresLedger } = await import('./postgres/postgres-ledger.js');
    return PostgresLedger.open(url, options);
  }
  if (url.startsWith('sqlite:')) {
    const { poolSize: _unused, ...sqlite } = options;
    return SqliteLedgerBackend.open(url.slice('sqlite:'.length), sqlite);
  }
  throw new Error(`unsupported ledger URL scheme "${url.split(':')[0]}" (use sqlite:<file> or postgres://…)`);
}
