import { passwordProblems } from '../../protocol/index.js';
import type { AddressLimiter } from './address-limiter.js';
import { ABANDONED, type LoginAdmission, TOO_LATE } from './login-admission.js';
import type { PasswordHasher } from './password-hasher.js';
import type { SharedAddressSlots, SlotKind } from './shared-address-slots.js';
import type { TotpService } from './totp-service.js';
import type {
  AccountRegistrar,
  AuthAccount,
  AuthAccountStore,
  AuthFailureCode,
  AuthOutcome,
  AuthPolicy,
  LockoutRecorder,
} from './types.js';

export interface AuthenticatorDeps {
  store: AuthAccountStore;
  lockout: LockoutRecorder;
  registrar: AccountRegistrar;
  hasher: PasswordHasher;
  limiter: AddressLimiter;
  policy: AuthPolicy;
  totp: TotpService;
  /** Admission control for password checks; without one every attempt is admitted. */
  admission?: LoginAdmission;
  /** The per-address allowances shared by every instance on one ledger (PostgreSQL); none for one process. */
  shared?: SharedAddressSlots;
  clock?: () => number;
}

/** What a login or registration attempt brings besides its credentials. */
export interface AttemptContext {
  address: string;
  /** When the handshake must be done (ms since the epoch); admission refuses checks that would end later. */
  deadlineMs?: number;
  /** Aborted when the connection closes: a check still queued is dropped unstarted. */
  signal?: AbortSignal;
  /**
   * A teller's `serve` (protocol/README.md §5.2): the same checks as a login, but a teller's account is
   * treated like a name that is no account (AUTH_FAILED, counted), so a teller never serves a teller.
   */
  customersOnly?: boolean;
}

/** How long an attempt may take when the caller gives no deadline. */
const DEFAULT_ATTEMPT_BUDGET_MS = 10_000;

/**
 * The login and registration rules of protocol/README.md §2 and §2.1. Business outcomes are values;
 * only a broken dependency (a dead hasher, a store error) throws.
 *
 * Order of checks: admission (SERVER_BUSY), the per-address failed-login slot, taken when the
 * attempt starts (RATE_LIMITED), the lock (ACCOUNT_LOCKED), the credentials. No oracle: every
 * name, account or not, runs one bcrypt compare, counts failures and locks the same way, and a
 * locked name answers ACCOUNT_LOCKED whether or not the password is right, after the same work.
 */
export class Authenticator {
  private readonly store: AuthAccountStore;
  private readonly lockout: LockoutRecorder;
  private readonly registrar: AccountRegistrar;
  private readonly hasher: PasswordHasher;
  private readonly limiter: AddressLimiter;
  private readonly policy: AuthPolicy;
  private readonly totp: TotpService;
  private readonly admission: LoginAdmission | undefined;
  private readonly clock: () => number;
  private readonly shared: SharedAddressSlots | undefined;

  constructor(deps: AuthenticatorDeps) {
    this.store = deps.store;
    this.lockout = deps.lockout;
    this.registrar = deps.registrar;
    this.hasher = deps.hasher;
    this.limiter = deps.limiter;
    this.policy = deps.policy;
    this.totp = deps.totp;
    this.admission = deps.admission;
    this.shared = deps.shared;
    this.clock = deps.clock ?? Date.now;
  }

  async login(input: { user: string; password: string; totp?: string } & AttemptContext): Promise<AuthOutcome> {
    const { user, password, address } = input;
    const entered = await this.enter(input);
    if ('refused' in entered) return entered.refused;
    const { admitted, slot } = entered;

    const lockedBefore = await this.store.isNameLocked(user, this.clock());
    const found = await this.store.findAccount(user);
    const usable = found?.status === 'active' && servable(found, input) ? found : null;
    // The same compare for every name: a real hash, or a dummy of the same cost.
    const checked = await admitted.run(() =>
      usable ? this.hasher.verify(password, usable.passwordHash) : this.hasher.verifyDummy(password),
    );
    if (checked === ABANDONED || checked === TOO_LATE) {
      this.giveBack('login', address, slot);
      return checked === ABANDONED ? failure('ABANDONED', user) : this.busy(user);
    }
    // A lock that landed while the password was checked counts as well. The locked answer goes
    // through the writer like a counted failure (a no-op on a name already locked), so it takes
    // the same time whether or not the password was right.
    if (lockedBefore || (await this.store.isNameLocked(user, this.clock()))) {
      await this.lockout.recordFailure(user);
      return failure('ACCOUNT_LOCKED', user);
    }
    // Re-read after the await: an operator or a concurrent login may have changed the account.
    const account = usable ? await this.store.findAccount(user) : null;
    if (!checked || !account || account.id !== usable?.id || account.status !== 'active' || !servable(account, input)) {
      return this.countFailure(user, 'AUTH_FAILED');
    }

    let totpStep: number | null = null;
    if (account.totpEnabled) {
      // Not a failure: the client simply has to ask for the code and try again.
      if (input.totp === undefined || input.totp === '') return failure('TOTP_REQUIRED', user);
      // An enabled account without a secret fails closed: no code can match ''.
      const check = this.totp.verify(account.totpSecretSealed ?? '', input.totp, account.totpLastStep);
      if (!check.ok) return this.countFailure(user, 'TOTP_INVALID', check.reason);
      totpStep = check.step;
    }

    if (!(await this.lockout.recordSuccess(user, account.id, totpStep))) return failure('ACCOUNT_LOCKED', user);
    this.giveBack('login', address, slot);
    return {
      ok: true,
      account: { ...account, failedLogins: 0, totpLastStep: totpStep ?? account.totpLastStep },
      registered: false,
    };
  }

  async register(input: { user: string; password: string } & AttemptContext): Promise<AuthOutcome> {
    const { user, password, address } = input;
    if (!this.policy.allowRegistration) return failure('REGISTRATION_CLOSED', user);
    if (passwordProblems(password).length > 0) return failure('WEAK_PASSWORD', user);
    const entered = await this.enter(input);
    if ('refused' in entered) return entered.refused;
    const { admitted, slot } = entered;
    const newAccount = await this.takeSlot('registration', address);
    if ('retryAfterMs' in newAccount) {
      admitted.release();
      this.giveBack('login', address, slot);
      return failure('RATE_LIMITED', user, false, newAccount.retryAfterMs);
    }

    const passwordHash = await admitted.run(() => this.hasher.hash(password));
    if (passwordHash === ABANDONED || passwordHash === TOO_LATE) {
      this.giveBack('login', address, slot);
      this.giveBack('registration', address, newAccount);
      return passwordHash === ABANDONED ? failure('ABANDONED', user) : this.busy(user);
    }
    const created = await this.registrar.createAccount({ user, passwordHash });
    if (!created.ok) {
      // Probing names through registration costs a slot like probing them through login.
      this.giveBack('registration', address, newAccount);
      return failure('USER_EXISTS', user);
    }
    this.giveBack('login', address, slot);
    return { ok: true, account: created.account, registered: true };
  }

  /** For change_password and the totp ops: check the current password of a logged-in account. */
  checkPassword(account: AuthAccount, password: string): Promise<boolean> {
    return this.hasher.verify(password, account.passwordHash);
  }

  /** A failed re-authentication inside a session counts toward the name's lockout like a login. */
  recordFailure(user: string): Promise<{ locked: boolean; justLocked: boolean }> {
    return this.lockout.recordFailure(user);
  }

  /**
   * A slot of the address's failed-login (or registration) allowance: this process's own count,
   * and, with several instances on one ledger, the shared one in the database, so N instances
   * allow an address what one does.
   */
  private async takeSlot(kind: SlotKind, address: string): Promise<Slot | { retryAfterMs: number }> {
    const login = kind === 'login';
    const local = login ? this.limiter.tryTakeLoginSlot(address) : this.limiter.tryTakeRegistrationSlot(address);
    if (local === null) {
      return {
        retryAfterMs: login ? this.limiter.loginRetryAfterMs(address) : this.limiter.registrationRetryAfterMs(address),
      };
    }
    if (!this.shared) return { local, shared: null };
    const taken = await this.shared
      .take(kind, address, login ? this.policy.maxFailedLoginsPerMinute : this.limiter.maxRegistrationsPerHour)
      .catch((err: unknown) => {
        this.giveBack(kind, address, { local, shared: null });
        throw err;
      });
    if ('retryAfterMs' in taken) {
      this.giveBack(kind, address, { local, shared: null });
      return taken;
    }
    return { local, shared: taken.slot };
  }

  /** Admission to the checks, then the address's login slot: both held, or the refusal to answer. */
  private async enter(
    input: AttemptContext & { user: string },
  ): Promise<{ refused: AuthOutcome } | { admitted: Admitted; slot: Slot }> {
    const admitted = this.admit(input);
    if ('refused' in admitted) return admitted;
    const slot = await this.takeSlot('login', input.address);
    if ('retryAfterMs' in slot) {
      admitted.release();
      return { refused: failure('RATE_LIMITED', input.user, false, slot.retryAfterMs) };
    }
    return { admitted, slot };
  }

  /** A successful (or abandoned) attempt gives its slot back, here and in the shared count. */
  private giveBack(kind: SlotKind, address: string, slot: Slot): void {
    if (kind === 'login') this.limiter.giveBackLoginSlot(address, slot.local);
    else this.limiter.giveBackRegistrationSlot(address, slot.local);
    if (slot.shared !== null) this.shared?.giveBack(slot.shared).catch(() => {});
  }

  private admit(input: AttemptContext & { user: string }): { refused: AuthOutcome } | Admitted {
    if (!this.admission) {
      return { run: (work) => (input.signal?.aborted ? Promise.resolve(ABANDONED) : work()), release: () => {} };
    }
    const deadline = input.deadlineMs ?? this.clock() + DEFAULT_ATTEMPT_BUDGET_MS;
    const admitted = this.admission.tryAdmit(input.address, deadline);
    if (!admitted.ok) return { refused: failure('SERVER_BUSY', input.user, false, admitted.retryAfterMs) };
    const { ticket } = admitted;
    return { run: (work) => ticket.run(work, input.signal), release: () => ticket.release() };
  }

  /** SERVER_BUSY for a check whose turn came too late for its deadline: no failure, no slot. */
  private busy(user: string): AuthOutcome {
    return failure('SERVER_BUSY', user, false, this.admission?.busyRetryAfterMs() ?? 1_000);
  }

  private async countFailure(user: string, code: AuthFailureCode, reason?: 'USED'): Promise<AuthOutcome> {
    const result = await this.lockout.recordFailure(user);
    // The failure that locks says so, for real and unknown names alike; the client must stop guessing.
    if (result.locked) return failure('ACCOUNT_LOCKED', user, result.justLocked);
    return reason === undefined ? failure(code, user) : { ok: false, code, user, lockedNow: false, reason };
  }
}

function servable(account: AuthAccount, input: AttemptContext): boolean {
  return !input.customersOnly || (account.role ?? 'customer') === 'customer';
}

interface Slot {
  local: number;
  shared: number | null;
}

interface Admitted {
  run: Runner;
  release: () => void;
}

type Runner = <T>(work: () => Promise<T>) => Promise<T | typeof ABANDONED | typeof TOO_LATE>;

function failure(code: AuthFailureCode, user: string, lockedNow = false, retryAfterMs?: number): AuthOutcome {
  return retryAfterMs === undefined
    ? { ok: false, code, user, lockedNow }
    : { ok: false, code, user, lockedNow, retryAfterMs };
}
