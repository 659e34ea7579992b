import type { Logger } from 'pino';
import type { AuditSink } from '../../audit/index.js';
import type { HistoryEntry, RequestOf, WireErrorCode } from '../../protocol/index.js';
import type { ServerMetrics } from '../metrics.js';

/**
 * What a session needs from the rest of the server, as narrow structural interfaces: the
 * real ledger, authenticator and TOTP service satisfy them, and tests can pass fakes.
 */

export interface SessionAccount {
  id: number;
  user: string;
  passwordHash: string;
  status: 'active' | 'closed';
  locked: boolean;
  totpEnabled: boolean;
  totpSecretSealed: string | null;
  totpPendingSealed: string | null;
  totpLastStep: number | null;
}

export type LoginOutcome =
  | { ok: true; account: SessionAccount; registered: boolean }
  | { ok: false; code: WireErrorCode; user: string; lockedNow: boolean };

export interface SessionAuthenticator {
  login(input: { user: string; password: string; totp?: string; address: string }): Promise<LoginOutcome>;
  register(input: { user: string; password: string; address: string }): Promise<LoginOutcome>;
  checkPassword(account: SessionAccount, password: string): Promise<boolean>;
}

export interface SessionHasher {
  hash(password: string): Promise<string>;
}

export interface SessionTotp {
  enroll(user: string): { secret: string; otpauthUri: string; sealedSecret: string };
  verify(sealedSecret: string, code: string, lastStep: number | null): { ok: true; step: number } | { ok: false };
}

export interface SessionPiiBox {
  seal(plaintext: string): string;
}

export interface FraudAlertLike {
  rule: string;
  user: string;
  op: string;
  amountCents: number;
  detail?: unknown;
}

export type MutationOutcomeLike =
  | { ok: true; result: Record<string, unknown>; replayed: boolean; alerts: FraudAlertLike[] }
  | { ok: false; code: WireErrorCode; message?: string; alerts: FraudAlertLike[] };

export type MutatingRequest = RequestOf<
  'deposit' | 'withdraw' | 'transfer' | 'reverse' | 'change_password' | 'update_contact' | 'totp_confirm'
>;

export interface PreparedChangeLike {
  newPasswordHash?: string;
  emailSealed?: string | null;
  phoneSealed?: string | null;
  totpSecretSealed?: string;
  totpStep?: number;
}

export interface SessionStore {
  getAccount(id: number): SessionAccount | null;
  balance(accountId: number): number;
  withdrawnOn(accountId: number, day: string): number;
  history(
    accountId: number,
    limit: number,
    before?: string,
  ): { entries: HistoryEntry[]; next: string | null } | { error: 'UNKNOWN_TX' };
  findApplied(accountId: number, requestId: string): { requestHash: string; response: Record<string, unknown> } | null;
  setTotpPending(accountId: number, sealedSecret: string): void;
}

export interface SessionLedger {
  store: SessionStore;
  /**
   * Queue a mutation for the serialised writer; resolves after its batch commits. With
   * `audit`, the mutation's audit events are committed with it (the audit outbox).
   */
  mutate(
    ctx: { accountId: number; user: string; nowMs: number },
    request: MutatingRequest,
    prepared?: PreparedChangeLike,
    audit?: { actor: string; address: string | null; terminal: string | null; sessionId: string | null },
  ): Promise<MutationOutcomeLike>;
}

export interface SessionLimits {
  idleTimeoutSec: number;
  maxAmountCents: number;
  dailyWithdrawalLimitCents: number;
  handshakeTimeoutMs: number;
  currency: string;
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
