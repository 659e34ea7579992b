import type { AccountRecord } from '../ledger/ledger-records.js';

/** What auth needs to know about an account: the ledger's account record, narrowed. */
export type AuthAccount = Pick<
  AccountRecord,
  | 'id'
  | 'user'
  | 'passwordHash'
  | 'status'
  | 'locked'
  | 'failedLogins'
  | 'totpEnabled'
  | 'totpSecretSealed'
  | 'totpPendingSealed'
  | 'totpLastStep'
  | 'role'
>;

/** A value now (the embedded SQLite ledger answers synchronously) or later (PostgreSQL). */
type Eventually<T> = T | Promise<T>;

/** The subset of the ledger that auth reads. */
export interface AuthAccountStore {
  findAccount(user: string): Eventually<AuthAccount | null>;
  /** Locked right now, by an operator or by failed logins; for any name, account or not. */
  isNameLocked(user: string, nowMs: number): Eventually<boolean>;
}

/**
 * The lockout writes (protocol/README.md §2.1). They go through the ledger's serialised writer, so they
 * are asynchronous; counts are per user name, for names that are accounts and names that are not.
 */
export interface LockoutRecorder {
  /** One more consecutive failure for the name; `justLocked` for the one that reached the threshold. */
  recordFailure(user: string): Promise<{ locked: boolean; justLocked: boolean }>;
  /**
   * A correct login: reset the name's count and store the TOTP step used. False when the account
   * was closed or locked by an operator before the write committed (the login must be refused).
   */
  recordSuccess(user: string, accountId: number, totpStep: number | null): Promise<boolean>;
}

/** Registration's one write: a new account, made by the ledger's writer like every other write. */
export interface AccountRegistrar {
  createAccount(input: {
    user: string;
    passwordHash: string;
  }): Promise<{ ok: true; account: AuthAccount } | { ok: false; code: 'USER_EXISTS' }>;
}

/** Operator settings for auth (DESIGN.md `bank-server start` options). */
export interface AuthPolicy {
  allowRegistration: boolean;
  /** Consecutive failed logins that lock an account (default 3). */
  lockoutThreshold: number;
  /** Failed logins per source address per minute before RATE_LIMITED (default 20). */
  maxFailedLoginsPerMinute: number;
  /** Concurrent connections per source address (default 256). */
  maxConnectionsPerAddress: number;
  /** New accounts per source address per hour (default 5). */
  maxRegistrationsPerHour?: number;
}

export type AuthFailureCode =
  | 'AUTH_FAILED'
  | 'ACCOUNT_LOCKED'
  | 'TOTP_REQUIRED'
  | 'TOTP_INVALID'
  | 'RATE_LIMITED'
  | 'REGISTRATION_CLOSED'
  | 'USER_EXISTS'
  | 'WEAK_PASSWORD'
  | 'SERVER_BUSY'
  /** Not a wire code: the connection closed before the check started; nothing is answered. */
  | 'ABANDONED';

export type AuthOutcome =
  | { ok: true; account: AuthAccount; registered: boolean }
  | {
      ok: false;
      code: AuthFailureCode;
      /** For the audit log: the user name the attempt named (whether or not such an account exists). */
      user: string;
      /** True only for the failure that locked the account. */
      lockedNow: boolean;
      /** With SERVER_BUSY and RATE_LIMITED: how long the client should wait. */
      retryAfterMs?: number;
      /** TOTP_INVALID for a right code already used: "USED" (protocol/README.md §7.7). */
      reason?: 'USED';
    };
