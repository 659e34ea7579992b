/** The SQLite ledger's reads: accounts, balances, history, applied ids, alerts, and the rows the rules read. */
import type Database from 'better-sqlite3';
import type { HistoryEntry } from '../../protocol/index.js';
import { DebitWindow } from './debit-window.js';
import {
  type AccountRecord,
  type AccountRow,
  type AccountSummary,
  type BalanceView,
  type FraudAlertRecord,
  type TransactionRow,
  toAlert,
  toHistory,
  toRecord,
  toSummary,
} from './ledger-records.js';
import { type LedgerStatements, prepareStatements } from './ledger-statements.js';
import { type VerifyReport, verifyDatabase } from './ledger-verify.js';
import type { TerminalRecord } from './terminal-ledger.js';
import { parseTxId } from './tx-id.js';
import type { WriterRowCache } from './writer-row-cache.js';

type Db = Database.Database;

/**
 * Everything the store reads, behind cached prepared statements; callable from anywhere.
 * {@link LedgerStore} adds the writes on top.
 */
export class LedgerReads {
  protected readonly db: Db;
  protected readonly clock: () => number;
  protected readonly sql: LedgerStatements;
  /** Recent debit times per account, for the fraud velocity rule. */
  protected readonly debits: DebitWindow;
  /** The writer's row cache, on the store a LedgerWriter runs (writer-row-cache.ts); serves rows only inside its batches. */
  protected rowCache: WriterRowCache | null = null;
  private readonly hashKey: Uint8Array | undefined;
  private readonly vault: number;

  protected constructor(db: Db, clock: () => number, requestHashKey: Uint8Array | undefined) {
    this.db = db;
    this.clock = clock;
    this.hashKey = requestHashKey ? Uint8Array.from(requestHashKey) : undefined;
    this.sql = prepareStatements(db);
    this.debits = new DebitWindow((accountId, cap) => this.sql.recentDebitTimes.all(accountId, cap));
    const vault = db.prepare<[], { id: number }>(`SELECT id FROM accounts WHERE kind = 'vault'`).get();
    if (!vault) throw new Error('ledger has no vault account');
    this.vault = vault.id;
  }

  /** A customer by user name; never the vault. Closed accounts are renamed, so they are not found by their old name. */
  findAccount(user: string): AccountRecord | null {
    const row = this.sql.customerByName.get(user);
    return row ? toRecord(row) : null;
  }

  /** A customer by id; never the vault. */
  getAccount(id: number): AccountRecord | null {
    const row = this.sql.accountById.get(id);
    return row && row.kind === 'customer' ? toRecord(row) : null;
  }

  /** What the account has withdrawn on the UTC day `day` (`YYYY-MM-DD`); the daily limit counts it. */
  withdrawnOn(accountId: number, day: string): number {
    const row = this.sql.accountById.get(accountId);
    return row && row.withdrawn_day === day ? row.withdrawn_cents : 0;
  }

  /**
   * A balance request's whole read, one statement: balance, what was withdrawn on `day`, and the
   * flags it checks. Four store reads before: 25-35 µs of main-thread CPU per balance request in
   * tests/bench/ledger-batch.bench.ts, each read its own read transaction.
   */
  balanceView(accountId: number, day: string): BalanceView | null {
    const row = this.sql.balanceView.get(day, accountId);
    if (!row) return null;
    return {
      status: row.status,
      locked: row.locked !== 0,
      balanceCents: row.balance_cents,
      withdrawnCents: row.withdrawn_cents,
      totpEnabled: row.totp_enabled !== 0,
    };
  }

  listAccounts(): AccountSummary[] {
    return this.sql.listAccounts.all().map(toSummary);
  }

  balance(accountId: number): number {
    const value = this.sql.balance.get(accountId);
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
      if (seq === null || this.sql.entryOf.get(accountId, seq) === undefined) return { error: 'UNKNOWN_TX' };
      beforeSeq = seq;
    }
    const rows = this.sql.historyPage.all(accountId, beforeSeq, pageSize + 1);
    const page = rows.slice(0, pageSize).map(toHistory);
    const last = page[page.length - 1];
    return { entries: page, next: rows.length > pageSize && last ? last.txId : null };
  }

  findApplied(accountId: number, requestId: string): { requestHash: string; response: Record<string, unknown> } | null {
    const row = this.sql.findApplied.get(accountId, requestId);
    if (!row) return null;
    return { requestHash: row.request_hash, response: JSON.parse(row.response) as Record<string, unknown> };
  }

  /** Everything held about a customer. Sealed fields stay sealed; the password hash and TOTP secret are left out. */
  exportAccount(user: string): object | null {
    const row = this.sql.customerByName.get(user);
    if (!row) return null;
    const entries = this.sql.allEntries.all(row.id).map(toHistory);
    const alerts = this.sql.alertsOf.all(row.id).map(toAlert);
    const appliedRequests = this.sql.appliedOf.all(row.id).map((r) => ({
      requestId: r.request_id,
      at: new Date(r.created_ms).toISOString(),
      response: JSON.parse(r.response) as unknown,
    }));
    const { user: name, role, status, createdAt, balanceCents, locked, failedLogins, totpEnabled } = toSummary(row);
    const held = { user: name, role, status, createdAt, balanceCents, locked, failedLogins, totpEnabled };
    const sealed = { emailSealed: row.email_sealed, phoneSealed: row.phone_sealed };
    return { ...held, ...sealed, entries, fraudAlerts: alerts, appliedRequests };
  }

  listAlerts(options: { limit?: number } = {}): FraudAlertRecord[] {
    const limit = Math.max(1, Math.floor(options.limit ?? 100));
    return this.sql.listAlerts.all(limit).map(toAlert);
  }

  verify(): VerifyReport {
    return verifyDatabase(this.db);
  }

  /** Oldest queued operator actions, for the server to audit; `ackOperatorActions` removes them. */
  pendingOperatorActions(limit = 100): Array<{ id: number; atMs: number; detail: Record<string, unknown> }> {
    return this.sql.pendingOperatorActions.all(limit).map((row) => ({
      id: row.id,
      atMs: row.created_ms,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** @internal */
  get database(): Db {
    return this.db;
  }

  /** @internal */
  get vaultId(): number {
    return this.vault;
  }

  /** @internal */
  get requestHashKey(): Uint8Array | undefined {
    return this.hashKey;
  }

  /** @internal Any account row, vault included (from the writer's row cache inside its batches). */
  accountRow(id: number): AccountRow | undefined {
    const cache = this.rowCache;
    return cache?.active ? cache.account(id) : this.sql.accountById.get(id);
  }

  /** @internal */
  customerRow(user: string): AccountRow | undefined {
    const cache = this.rowCache;
    return cache?.active ? cache.customer(user) : this.sql.customerByName.get(user);
  }

  /** @internal The terminal from the writer's row cache inside its batches; undefined when there is none to ask. */
  cachedTerminal(id: string): TerminalRecord | null | undefined {
    const cache = this.rowCache;
    return cache?.active ? cache.terminal(id) : undefined;
  }

  /** @internal */
  transactionRow(seq: number): TransactionRow | undefined {
    return this.sql.txBySeq.get(seq);
  }

  /** @internal */
  isReversed(seq: number): boolean {
    return this.sql.reversalOf.get(seq) !== undefined;
  }

  /**
   * @internal How many withdrawals and transfers out of the account were applied at or after
   * `sinceMs`, counting at most `cap` (kept in memory; see {@link DebitWindow}).
   */
  countDebitsSince(accountId: number, sinceMs: number, cap: number): number {
    return this.debits.countSince(accountId, sinceMs, cap);
  }
}
