/**
 * The ledger as the server's wiring (app.ts) holds it, whatever backend: what sessions read and
 * mutate, what logins count, the terminals the TLS gate checks, the outbox that carries the
 * mutations' audit events into this instance's chain, and the operator actions it audits.
 * sqlite-bank-ledger.ts and postgres-bank-ledger.ts are the two implementations.
 */
import type { AuditSink } from '../../audit/index.js';
import type { AlertFigure, TerminalFigure } from '../admin/live-figures.js';
import type { SharedAddressSlots } from '../auth/shared-address-slots.js';
import type { AccountRegistrar, AuthAccountStore, LockoutRecorder } from '../auth/types.js';
import type { FraudAlertRecord, LedgerStore, OutboxRow } from '../ledger/index.js';
import type { LedgerBackend } from '../ledger/ledger-backend.js';
import type { OpenAccountJob, OpenAccountOutcome } from '../ledger/teller-ledger.js';
import type { SessionStore } from '../session/services.js';
import type { TerminalLookup } from '../terminals/index.js';

/** Moves committed outbox rows into the audit logs (audit-outbox-drain.ts, pg-outbox-drain.ts). */
export interface OutboxDrain {
  recover(plaintextLog: string | null): Promise<{ alreadyLogged: number; pending: number }>;
  accept(rows: readonly OutboxRow[] | undefined): void;
  start(): void;
  close(): Promise<void>;
}

export interface BankLedger {
  readonly kind: 'sqlite' | 'postgres';
  readonly store: SessionStore & AuthAccountStore;
  /** The embedded ledger's store, for what only it does yet (the demo terminal); absent on PostgreSQL. */
  readonly sqliteStore?: LedgerStore;
  /** What LedgerBackend.mutate does: apply under the ledger rules, resolve once durable (with its outbox rows). */
  readonly mutate: LedgerBackend['mutate'];
  /** False when the account is no longer active or was locked by an operator. */
  setTotpPending(accountId: number, sealedSecret: string): Promise<boolean>;
  readonly lockout: LockoutRecorder;
  /** Self-registration's new account, through the writer (SQLite) or one statement (PostgreSQL). */
  readonly registrar: AccountRegistrar;
  /** Per-address allowances shared with the other instances on this ledger; absent for one process. */
  readonly sharedAddressSlots?: SharedAddressSlots;
  /** A teller's open_account; absent where the ledger has no tellers. */
  readonly openAccount?: (job: OpenAccountJob) => Promise<OpenAccountOutcome>;
  /** Synchronous: the TLS gate decides while the socket is accepted. */
  readonly terminalLookup: TerminalLookup;
  terminalFigures(): Promise<TerminalFigure[]>;
  alertFigures(limit: number): Promise<AlertFigure[]>;
  readonly queueDepth: number;
  /**
   * The /proc stat file of the thread that commits (the SQLite ledger worker), for its CPU time in
   * /metrics; null where the writes run on the main thread (PostgreSQL: the database's own processes).
   */
  readonly writerThreadStat: string | null;
  /** Built once the audit sink exists (before it opens: events wait in the deferred sink). */
  outbox(audit: AuditSink, onError: (err: unknown) => void): OutboxDrain;
  /** Audit the operator actions the CLI queued; how many there were (a lock or close ends sessions). */
  auditOperatorActions(audit: AuditSink, outbox: OutboxDrain): Promise<number>;
  /** Hourly: forget applied ids past the retention and stale login-failure rows. */
  prune(appliedRetentionMs: number): Promise<void>;
  /** Stop taking mutations once the ones in flight committed. */
  closeWriter(): Promise<void>;
  close(): Promise<void>;
}

/** The newest fraud alerts for the console: rule, user, op, amount and whether it was held. */
export function toAlertFigures(alerts: readonly FraudAlertRecord[]): AlertFigure[] {
  return alerts.map((a) => ({
    at: a.at,
    rule: a.rule,
    user: a.user,
    op: a.op,
    amountCents: a.amountCents,
    action: a.blocked ? 'held' : 'alert',
  }));
}
