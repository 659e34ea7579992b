import { passwordProblems } from '../../protocol/index.js';
import type { AddressLimiter } from './address-limiter.js';
import type { PasswordHasher } from './password-hasher.js';
import type { TotpService } from './totp-service.js';
import type { AuthAccount, AuthAccountStore, AuthFailureCode, AuthOutcome, AuthPolicy } from './types.js';

export interface AuthenticatorDeps {
  store: AuthAccountStore;
  hasher: PasswordHasher;
  limiter: AddressLimiter;
  policy: AuthPolicy;
  totp: TotpService;
  /** Accepted for symmetry with the other services; the rules here need no clock of their own. */
  clock?: () => number;
}

/**
 * The login and registration rules of PROTOCOL.md §2/§6. Business outcomes are values; only a
 * broken dependency (a dead hasher, a store error) throws.
 *
 * No account enumeration: an unknown user, a closed account and a wrong password cost one bcrypt
 * compare each, count against the address, and end in the same AUTH_FAILED.
 */
export class Authenticator {
  private readonly store: AuthAccountStore;
  private readonly hasher: PasswordHasher;
  private readonly limiter: AddressLimiter;
  private readonly policy: AuthPolicy;
  private readonly totp: TotpService;

  constructor(deps: AuthenticatorDeps) {
    this.store = deps.store;
    this.hasher = deps.hasher;
    this.limiter = deps.limiter;
    this.policy = deps.policy;
    this.totp = deps.totp;
  }

  async login(input: { user: string; password: string; totp?: string; address: string }): Promise<AuthOutcome> {
    const { user, password, address } = input;
    // Checked first so an address over budget costs no bcrypt work at all.
    if (this.limiter.isLoginRateLimited(address)) return failure('RATE_LIMITED', user);

    const found = this.store.findAccount(user);
    if (found?.status !== 'active') {
      await this.hasher.verifyDummy(password);
      this.limiter.noteFailedLogin(address);
      return failure('AUTH_FAILED', user);
    }

    // The compare runs even for a locked account, so its answer takes the usual time.
    const passwordOk = await this.hasher.verify(password, found.passwordHash);
    // Re-read after the await: an operator or a concurrent login may have changed the account.
    const account = this.store.findAccount(user);
    if (!account || account.id !== found.id || account.status !== 'active') {
      this.limiter.noteFailedLogin(address);
      return failure('AUTH_FAILED', user);
    }

    if (account.locked) {
      if (!passwordOk) this.limiter.noteFailedLogin(address);
      return failure('ACCOUNT_LOCKED', user);
    }
    if (!passwordOk) return this.countFailure(account, address, 'AUTH_FAILED');

    let totpStep: number | null = null;
    if (account.totpEnabled) {
      // Not a failure: the client simply has to ask for the code and try again.
      if (input.totp === undefined || input.totp === '') return failure('TOTP_REQUIRED', user);
      // An enabled account without a secret fails closed: no code can match ''.
      const check = this.totp.verify(account.totpSecretSealed ?? '', input.totp, account.totpLastStep);
      if (!check.ok) return this.countFailure(account, address, 'TOTP_INVALID');
      this.store.setTotpLastStep(account.id, check.step);
      totpStep = check.step;
    }

    if (account.failedLogins > 0) this.store.resetFailedLogins(account.id);
    return {
      ok: true,
      account: { ...account, failedLogins: 0, totpLastStep: totpStep ?? account.totpLastStep },
      registered: false,
    };
  }

  async register(input: { user: string; password: string; address: string }): Promise<AuthOutcome> {
    const { user, password, address } = input;
    if (!this.policy.allowRegistration) return failure('REGISTRATION_CLOSED', user);
    if (this.limiter.isLoginRateLimited(address)) return failure('RATE_LIMITED', user);
    if (passwordProblems(password).length > 0) return failure('WEAK_PASSWORD', user);

    const passwordHash = await this.hasher.hash(password);
    const created = this.store.createAccount({ user, passwordHash });
    if (!created.ok) {
      // Probing names through registration counts like probing them through login.
      this.limiter.noteFailedLogin(address);
      return failure('USER_EXISTS', user);
    }
    return { ok: true, account: created.account, registered: true };
  }

  /** For change_password: check the current password of a logged-in account. */
  checkPassword(account: AuthAccount, password: string): Promise<boolean> {
    return this.hasher.verify(password, account.passwordHash);
  }

  private countFailure(account: AuthAccount, address: string, code: AuthFailureCode): AuthOutcome {
    const result = this.store.recordFailedLogin(account.id, this.policy.lockoutThreshold);
    this.limiter.noteFailedLogin(address);
    // The failure that locks says so; the client must not keep guessing.
    if (result.locked) return failure('ACCOUNT_LOCKED', account.user, result.justLocked);
    return failure(code, account.user);
  }
}

function failure(code: AuthFailureCode, user: string, lockedNow = false): AuthOutcome {
  return { ok: false, code, user, lockedNow };
}
