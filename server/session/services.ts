import type { Logger } from 'pino';
import type { AuditSink } from '../../audit/index.js';
import type { HistoryEntry, WireErrorCode } from '../../protocol/index.js';
import type { AuthAccount } from '../auth/types.js';
import type { BalanceView } from '../ledger/ledger-records.js';
import type { MutatingRequest, MutationOutcome, PreparedChange } from '../ledger/mutation-types.js';
import type { OpenAccountJob, OpenAccountOutcome } from '../ledger/teller-ledger.js';
import type { ServerMetrics } from '../metrics.js';

/**
 * What a session needs from the rest of the server, as narrow structural interfaces: the
 * real ledger, authenticator and TOTP service satisfy them, and tests can pass fakes.
 */

export type SessionAccount = Omit<AuthAccount, 'failedLogins'>;

export type LoginOutcome =
  | { ok: true; account: SessionAccount; registered: boolean }
  | {
      ok: false;
      /** ABANDONED is no wire code: the connection closed before the check started. */
      code: WireErrorCode | 'ABANDONED';
      user: string;
      lockedNow: boolean;
      retryAfterMs?: number;
      reason?: 'USED';
    };

/** What a login attempt brings besides its credentials (protocol/README.md §2.1). */
export interface LoginAttempt {
  address: string;
  /** When the handshake must be done, counted from TCP accept. */
  deadlineMs?: number;
  /** Aborted when the connection closes. */
  signal?: AbortSignal;
  /** A teller's `serve`: a teller's account answers like no account (protocol/README.md §5.2). */
  customersOnly?: boolean;
}

export interface SessionAuthenticator {
  login(input: { user: string; password: string; totp?: string } & LoginAttempt): Promise<LoginOutcome>;
  register(input: { user: string; password: string } & LoginAttempt): Promise<LoginOutcome>;
  checkPassword(account: SessionAccount, password: string): Promise<boolean>;
  /** A failed re-authentication in a session counts toward the name's lockout (§5.1). */
  recordFailure(user: string): Promise<{ locked: boolean; justLocked: boolean }>;
}

export interface SessionHasher {
  hash(password: string): Promise<string>;
}

export interface SessionTotp {
  enroll(user: string): { secret: string; otpauthUri: string; sealedSecret: string };
  verify(
    sealedSecret: string,
    code: string,
    lastStep: number | null,
  ): { ok: true; step: number } | { ok: false; reason?: 'USED' };
}

export interface SessionPiiBox {
  seal(plaintext: string): string;
}

/** The ledger's own mutation shapes: the session passes them through as they are. */
export type { MutatingRequest, PreparedChange as PreparedChangeLike } from '../ledger/mutation-types.js';
/** What a balance request answers and checks (§5.1), read in one go. */
export type { BalanceView };
export type FraudAlertLike = MutationOutcome['alerts'][number];
export type MutationOutcomeLike = MutationOutcome;

/** A value now (the embedded SQLite ledger) or later (a ledger across the network, PostgreSQL). */
export type Eventually<T> = T | Promise<T>;

export interface SessionStore {
  getAccount(id: number): Eventually<SessionAccount | null>;
  /** A customer's balance, today's withdrawals and the flags a balance request checks; null for no such customer. */
  balanceView(accountId: number, day: string): Eventually<BalanceView | null>;
  balance(accountId: number): Eventually<number>;
  withdrawnOn(accountId: number, day: string): Eventually<number>;
  history(
    accountId: number,
    limit: number,
    before?: string,
  ): Eventually<{ entries: HistoryEntry[]; next: string | null } | { error: 'UNKNOWN_TX' }>;
  findApplied(
    accountId: number,
    requestId: string,
  ): Eventually<{ requestHash: string; response: Record<string, unknown> } | null>;
  /** The key of the applied ids' request fingerprints (request-hash.ts). */
  readonly requestHashKey?: Uint8Array | undefined;
  /** Whether a name is locked right now (operator or failed logins). */
  isNameLocked(user: string, nowMs: number): Eventually<boolean>;
}

export interface SessionLedger {
  store: SessionStore;
  /**
   * Queue a mutation for the serialised writer; resolves after its batch commits. With
   * `audit`, the mutation's audit events are committed with it (the audit outbox).
   */
  mutate(
    ctx: {
      accountId: number;
      user: string;
      nowMs: number;
      /** The session's enrolled terminal; null in a remote session, which moves no cash. */
      terminal?: { id: string; fingerprint: string } | null;
      /** The teller acting for the customer at the counter (§5.2). */
      tellerId?: number | null;
    },
    request: MutatingRequest,
    prepared?: PreparedChange,
    audit?: {
      actor: string;
      address: string | null;
      terminal: string | null;
      sessionId: string | null;
      /** In a teller session: the customer served (null while serving no one). */
      customer?: string | null;
    },
  ): Promise<MutationOutcome>;
  /**
   * Store a pending TOTP secret through the writer, in the same transaction that checks the account
   * is still active and not locked by an operator; false when it no longer is.
   */
  setTotpPending(accountId: number, sealedSecret: string): Promise<boolean>;
  /** A correct re-authentication resets the name's failure count (through the writer). */
  resetFailures(user: string, accountId: number, totpStep: number | null): Promise<boolean>;
  /** A teller's open_account through the writer (protocol/README.md §5.2); a ledger without it has no tellers. */
  openAccount?(job: OpenAccountJob): Promise<OpenAccountOutcome>;
}

export interface SessionLimits {
  idleTimeoutSec: number;
  maxAmountCents: number;
  dailyWithdrawalLimitCents: number;
  handshakeTimeoutMs: number;
  currency: string;
  /** Longest a session lives, however active (default 1800). */
  maxSessionSec?: number;
}

export interface SessionServices {
  authenticator: SessionAuthenticator;
  hasher: SessionHasher;
  totp: SessionTotp;
  pii: SessionPiiBox;
  ledger: SessionLedger;
  audit: AuditSink;
  metrics: ServerMetrics;
  logger: Logger;
  limits: SessionLimits;
  clock: () => number;
}
