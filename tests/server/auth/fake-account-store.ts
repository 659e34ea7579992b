import type { AuthAccount, AuthAccountStore, LockoutRecorder } from '../../../server/auth/index.js';

/**
 * An in-memory AuthAccountStore + LockoutRecorder that follows the ledger's contract (failures
 * counted per user name, accounts or not; a lock from failures lasts until reset here), with call
 * counters.
 */
export class FakeAccountStore implements AuthAccountStore, LockoutRecorder {
  readonly accounts = new Map<string, AuthAccount>();
  readonly failures = new Map<string, number>();
  readonly lockedNames = new Set<string>();
  readonly calls = { recordFailure: 0, recordSuccess: 0, createAccount: 0 };
  private nextId = 1;

  constructor(private readonly threshold = 3) {}

  add(user: string, passwordHash: string, extra: Partial<AuthAccount> = {}): AuthAccount {
    const account: AuthAccount = {
      id: this.nextId++,
      user,
      passwordHash,
      status: 'active',
      locked: false,
      failedLogins: 0,
      totpEnabled: false,
      totpSecretSealed: null,
      totpPendingSealed: null,
      totpLastStep: null,
      ...extra,
    };
    this.accounts.set(user, account);
    return account;
  }

  get(user: string): AuthAccount {
    const account = this.accounts.get(user);
    if (!account) throw new Error(`no account ${user}`);
    return account;
  }

  findAccount(user: string): AuthAccount | null {
    const account = this.accounts.get(user);
    return account ? { ...account } : null;
  }

  async createAccount(input: { user: string; passwordHash: string }) {
    this.calls.createAccount++;
    if (this.accounts.has(input.user)) return { ok: false as const, code: 'USER_EXISTS' as const };
    return { ok: true as const, account: { ...this.add(input.user, input.passwordHash) } };
  }

  isNameLocked(user: string): boolean {
    return this.accounts.get(user)?.locked === true || this.lockedNames.has(user);
  }

  async recordFailure(user: string) {
    this.calls.recordFailure++;
    if (this.lockedNames.has(user)) return { locked: true, justLocked: false };
    const failures = (this.failures.get(user) ?? 0) + 1;
    this.failures.set(user, failures);
    const account = this.accounts.get(user);
    if (account) account.failedLogins = failures;
    if (failures < this.threshold) return { locked: false, justLocked: false };
    this.lockedNames.add(user);
    return { locked: true, justLocked: true };
  }

  async recordSuccess(user: string, accountId: number, totpStep: number | null) {
    this.calls.recordSuccess++;
    const account = [...this.accounts.values()].find((a) => a.id === accountId);
    if (account?.status !== 'active' || account.locked) return false;
    this.failures.delete(user);
    account.failedLogins = 0;
    if (totpStep !== null) account.totpLastStep = totpStep;
    return true;
  }
}
