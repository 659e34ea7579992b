/** What auth needs to know about an account; the ledger store returns exactly this shape. */
export interface AuthAccount {
  id: number;
  user: string;
  passwordHash: string;
  status: 'active' | 'closed';
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  /** The confirmed TOTP secret, sealed with the data key (PiiBox). */
  totpSecretSealed: string | null;
  /** A secret from `totp_enroll` waiting for `totp_confirm`, sealed with the data key. */
  totpPendingSealed: string | null;
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totpLastStep: number | null;
}

/** The subset of the ledger store that auth needs. Calls are synchronous (better-sqlite3). */
export interface AuthAccountStore {
  findAccount(user: string): AuthAccount | null;
  createAccount(input: {
    user: string;
    passwordHash: string;
  }): { ok: true; account: AuthAccount } | { ok: false; code: 'USER_EXISTS' };
  /** Adds one consecutive failure and locks the account when it reaches `threshold`. */
  recordFailedLogin(
    accountId: number,
    threshold: number,
  ): { failedLogins: number; locked: boolean; justLocked: boolean };
  resetFailedLogins(accountId: number): void;
  setTotpLastStep(accountId: number, step: number): void;
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
}

export type AuthFailureCode =
  | 'AUTH_FAILED'
  | 'ACCOUNT_LOCKED'
  | 'TOTP_REQUIRED'
  | 'TOTP_INVALID'
  | 'RATE_LIMITED'
  | 'REGISTRATION_CLOSED'
  | 'USER_EXISTS'
  | 'WEAK_PASSWORD';

export type AuthOutcome =
  | { ok: true; account: AuthAccount; registered: boolean }
  | {
      ok: false;
      code: AuthFailureCode;
      /** For the audit log: the user name the attempt named (whether or not such an account exists). */
      user: string;
      /** True only for the failure that locked the account. */
      lockedNow: boolean;
    };
