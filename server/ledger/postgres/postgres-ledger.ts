import pg from 'pg';
import { ProtocolError } from '../../../protocol/index.js';
import type { MutatingRequest, MutationOutcome, PreparedChange } from '../apply-mutation.js';
import { type AuditedOutcome, mutationAuditEvents, type OutboxEnvelope, type OutboxRow } from '../audit-outbox.js';
import type {
  CloseResult,
  CreateAccountResult,
  FailedLoginResult,
  HistoryPage,
  LedgerBackend,
  MutationTarget,
  OperatorAction,
} from '../ledger-backend.js';
import type { LedgerConfig } from '../ledger-config.js';
import type { BalanceView } from '../ledger-records.js';
import {
  type AccountRecord,
  type AccountSummary,
  type FraudAlertRecord,
  MIN_APPLIED_RETENTION_MS,
} from '../ledger-store.js';
import type { VerifyReport } from '../ledger-verify.js';
import { requestHash } from '../request-hash.js';
import { closeAccount, exportAccount, recordFailedLogin, setLocked } from './pg-accounts.js';
import { DB_NOW_MS, databaseNowMs } from './pg-clock.js';
import { PostgresLogins } from './pg-logins.js';
import { configJson, mutateParams, replayOutcome } from './pg-mutate.js';
import { callMutate, writeOutboxRows } from './pg-mutate-call.js';
import { claimOperatorActions, enqueueOperatorAction, pendingOperatorActions } from './pg-operator-actions.js';
import { balanceView, findApplied, historyPage, listAccounts, listAlerts } from './pg-reads.js';
import { type AccountRow, toRecord } from './pg-rows.js';
import { checkSchemaVersion, migratePostgres } from './pg-schema.js';
import { type PgCashMoveOutcome, type PgTerminalRecord, PostgresTerminals } from './pg-terminals.js';
import { BUSY, codeOf, PG_TYPES, type PostgresLedgerOptions, RETRYABLE } from './pg-types.js';
import { verifyPostgres } from './pg-verify.js';

/** The ledger on PostgreSQL (pg Pool): one round trip per mutation, acknowledged after COMMIT. */
export class PostgresLedger implements LedgerBackend {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  /** Per-name failed-login counters and lock periods, shared by every instance. */
  readonly logins: PostgresLogins;
  /** Terminals and their cash accounts. */
  readonly terminals: PostgresTerminals;
  /** Whose audit chain this ledger's outbox rows are for (DESIGN.md "Ledger backends and instances"). */
  readonly instanceId: string;
  readonly #config: LedgerConfig;
  readonly #configText: string;
  readonly #key: Uint8Array | undefined;
  readonly #clock: (() => number) | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;

  private constructor(pool: pg.Pool, options: PostgresLedgerOptions) {
    this.pool = pool;
    this.instanceId = options.instanceId ?? 'main';
    this.#config = options.config;
    this.#configText = configJson(options.config);
    this.logins = new PostgresLogins(pool, options.clock);
    this.terminals = new PostgresTerminals(pool, options.clock, options.onError);
    this.#key = options.requestHashKey ? Uint8Array.from(options.requestHashKey) : undefined;
    this.#clock = options.clock;
    this.#onError = options.onError;
  }

  /** Connect, migrate (under the advisory lock), and check the vault is there. */
  static async open(url: string, options: PostgresLedgerOptions): Promise<PostgresLedger> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: PG_TYPES,
      // Acknowledge only what is durable, whatever the database's default says.
      options: `-c synchronous_commit=on -c TimeZone=UTC${options.readOnly ? ' -c default_transaction_read_only=on' : ''}`,
    });
    // An idle client losing its connection must not take the process down; the next query reconnects.
    pool.on('error', (error) => options.onError?.(error));
    const ledger = new PostgresLedger(pool, options);
    try {
      if (options.readOnly || options.checkSchemaOnly) await checkSchemaVersion(pool);
      else await migratePostgres(pool, ledger.#nowIso());
      return ledger;
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  #nowMs(): number | null {
    return this.#clock ? this.#clock() : null;
  }

  #nowIso(): string {
    return new Date(this.#clock ? this.#clock() : Date.now()).toISOString();
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  /** A call's rejection as SERVER_BUSY or INTERNAL, like every other method's. */
  async #guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw error instanceof ProtocolError ? error : this.#wrap(error);
    }
  }

  #wrap(error: unknown): ProtocolError {
    this.#onError?.(error);
    const code = codeOf(error);
    return new ProtocolError(
      code !== undefined && (BUSY.has(code) || RETRYABLE.has(code)) ? 'SERVER_BUSY' : 'INTERNAL',
    );
  }

  async createAccount(input: { user: string; passwordHash: string }): Promise<CreateAccountResult> {
    const rows = await this.#query<AccountRow>(
      `INSERT INTO accounts (username, kind, password_hash, created_at) VALUES ($1, 'customer', $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
      [input.user, input.passwordHash, this.#nowIso()],
    );
    const row = rows[0];
    return row ? { ok: true, account: toRecord(row) } : { ok: false, code: 'USER_EXISTS' };
  }

  async findAccount(user: string): Promise<AccountRecord | null> {
    const sql = `SELECT * FROM accounts WHERE username = $1 AND kind = 'customer'`;
    const rows = await this.#query<AccountRow>(sql, [user]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async getAccount(id: number): Promise<AccountRecord | null> {
    const rows = await this.#query<AccountRow>(`SELECT * FROM accounts WHERE id = $1 AND kind = 'customer'`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async balance(accountId: number): Promise<number> {
    const sql = 'SELECT balance_cents FROM accounts WHERE id = $1';
    const rows = await this.#query<{ balance_cents: number }>(sql, [accountId]);
    if (!rows[0]) throw new RangeError(`no account with id ${accountId}`);
    return rows[0].balance_cents;
  }

  async withdrawnOn(accountId: number, day: string): Promise<number> {
    const sql = 'SELECT withdrawn_cents AS w FROM accounts WHERE id = $1 AND withdrawn_day = $2';
    const rows = await this.#query<{ w: number }>(sql, [accountId, day]);
    return rows[0]?.w ?? 0;
  }

  balanceView(accountId: number, day: string): Promise<BalanceView | null> {
    return this.#guard(balanceView(this.pool, accountId, day));
  }

  history(accountId: number, limit: number, before?: string): Promise<HistoryPage> {
    return this.#guard(historyPage(this.pool, accountId, limit, before));
  }

  findApplied(accountId: number, requestId: string) {
    return this.#guard(findApplied(this.pool, accountId, requestId));
  }

  async checkReplay(accountId: number, request: MutatingRequest): Promise<MutationOutcome | null> {
    const previous = await this.findApplied(accountId, request.id);
    if (!previous) return null;
    if (previous.requestHash !== requestHash(request, this.#key)) {
      return { ok: false, code: 'IDEMPOTENCY_CONFLICT', alerts: [] };
    }
    return replayOutcome(previous.response);
  }

  listAccounts(): Promise<AccountSummary[]> {
    return this.#guard(listAccounts(this.pool));
  }

  listAlerts(options: { limit?: number } = {}): Promise<FraudAlertRecord[]> {
    return this.#guard(listAlerts(this.pool, options));
  }

  exportAccount(user: string): Promise<object | null> {
    return this.#guard(exportAccount(this.pool, user));
  }

  /**
   * `target.terminal`: the session's enrolled terminal (its cash account is the other side of
   * cash). With `audit`, the mutation's audit events are written to audit_outbox in its own
   * transaction and come back with the outcome, as the SQLite ledger's withOutbox does.
   */
  async mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared: PreparedChange = {},
    audit?: OutboxEnvelope,
  ): Promise<AuditedOutcome> {
    const hash = requestHash(request, this.#key);
    const events = audit
      ? (outcome: MutationOutcome) => mutationAuditEvents(audit, request, outcome).map((e) => JSON.stringify(e))
      : undefined;
    for (let attempt = 1; ; attempt += 1) {
      const params = mutateParams(
        target.accountId,
        target.user,
        request,
        hash,
        prepared,
        this.#nowMs(),
        this.#config,
        this.#configText,
        target.terminal ?? null,
      );
      try {
        const { outcome, outbox } = await callMutate(this.pool, params, events, this.instanceId);
        return outbox ? { ...outcome, outbox } : outcome;
      } catch (error) {
        const code = codeOf(error);
        // A concurrent duplicate of this id committed first: answer as its replay (or a conflict).
        if (code === '23505') {
          const replay = await this.checkReplay(target.accountId, request);
          if (replay && events)
            return {
              ...replay,
              outbox: await this.#guard(writeOutboxRows(this.pool, events(replay), this.instanceId)),
            };
          if (replay) return replay;
        }
        if (code !== undefined && RETRYABLE.has(code) && attempt < 3) continue;
        throw this.#wrap(error);
      }
    }
  }

  recordFailedLogin(accountId: number, threshold: number): Promise<FailedLoginResult> {
    return this.#guard(recordFailedLogin(this.pool, accountId, threshold));
  }

  async resetFailedLogins(accountId: number): Promise<void> {
    await this.#query('UPDATE accounts SET failed_logins = 0 WHERE id = $1 AND failed_logins <> 0', [accountId]);
  }

  setLocked(user: string, locked: boolean): Promise<boolean> {
    return this.#guard(setLocked(this.pool, user, locked));
  }

  closeAccount(user: string): Promise<CloseResult> {
    return this.#guard(closeAccount(this.pool, user));
  }

  /** False when the account is no longer active or was locked by an operator (nothing is stored then). */
  async setTotpPending(accountId: number, sealedSecret: string): Promise<boolean> {
    const rows = await this.#query(
      `UPDATE accounts SET totp_pending_sealed = $1 WHERE id = $2 AND status = 'active' AND NOT locked RETURNING id`,
      [sealedSecret, accountId],
    );
    return rows.length > 0;
  }

  async acceptTotpStep(accountId: number, step: number): Promise<boolean> {
    // One guarded statement: of two instances checking the same code at once, only one wins.
    const rows = await this.#query(
      `UPDATE accounts SET totp_last_step = $2
       WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
      [accountId, step],
    );
    return rows.length > 0;
  }

  enqueueOperatorAction(detail: Record<string, unknown>): Promise<void> {
    return this.#guard(enqueueOperatorAction(this.pool, this.#nowMs(), detail));
  }

  pendingOperatorActions(limit = 100): Promise<OperatorAction[]> {
    return this.#guard(pendingOperatorActions(this.pool, limit));
  }

  /** Claim queued operator actions into this instance's outbox (pg-operator-actions.ts). */
  claimOperatorActions(limit = 100): Promise<OutboxRow[]> {
    return this.#guard(claimOperatorActions(this.pool, this.instanceId, limit));
  }

  async ackOperatorActions(upToId: number): Promise<void> {
    await this.#query('DELETE FROM operator_actions WHERE id <= $1', [upToId]);
  }

  /** As LedgerStore.pruneApplied: older than `olderThanMs` (at least 24 h) and stamped before `notAfterMs`. */
  async pruneApplied(olderThanMs: number, notAfterMs = Number.MAX_SAFE_INTEGER): Promise<number> {
    const age = Math.max(olderThanMs, MIN_APPLIED_RETENTION_MS);
    const rows = await this.#query(
      `DELETE FROM applied_requests WHERE created_ms < LEAST(COALESCE($1, ${DB_NOW_MS}) - $2, $3) RETURNING 1`,
      [this.#nowMs(), age, notAfterMs],
    );
    return rows.length;
  }

  /** Now on the clock that stamps this ledger's rows: the test clock, or the database's. */
  nowMs(): Promise<number> {
    return this.#guard(databaseNowMs(this.pool, this.#clock));
  }

  loginFailure(user: string, threshold: number, lockoutMs: number) {
    return this.#guard(this.logins.failure(user, threshold, lockoutMs));
  }

  loginSuccess(user: string, accountId: number, totpStep: number | null) {
    return this.#guard(this.logins.success(user, accountId, totpStep));
  }

  nameLocked(user: string): Promise<boolean> {
    return this.#guard(this.logins.nameLocked(user));
  }

  loginFailuresOf(user: string): Promise<number> {
    return this.#guard(this.logins.failuresOf(user));
  }

  pruneLoginFailures(): Promise<number> {
    return this.#guard(this.logins.prune());
  }

  enrollTerminal(input: { id: string; fingerprint: string }): Promise<{ reenrolled: boolean }> {
    return this.terminals.enroll(input);
  }

  revokeTerminal(id: string): Promise<boolean> {
    return this.#guard(this.terminals.revoke(id));
  }

  findTerminal(id: string): Promise<PgTerminalRecord | null> {
    return this.#guard(this.terminals.find(id));
  }

  listTerminals(): Promise<PgTerminalRecord[]> {
    return this.#guard(this.terminals.list());
  }

  moveTerminalCash(input: { id: string; kind: 'load' | 'unload'; amountCents: number }): Promise<PgCashMoveOutcome> {
    return this.terminals.moveCash(input);
  }

  verify(): Promise<VerifyReport> {
    return verifyPostgres(this.pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
