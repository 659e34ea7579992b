import type { AuthAccount, AuthAccountStore } from '../../../server/auth/index.js';

/** An in-memory AuthAccountStore that follows the ledger's contract, with call counters. */
export class FakeAccountStore implements AuthAccountStore {
  readonly accounts = new Map<string, AuthAccount>();
  readonly calls = { recordFailedLogin: 0, resetFailedLogins: 0, setTotpLastStep: 0, createAccount: 0 };
  private nextId = 1;

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

  createAccount(input: { user: string; passwordHash: string }) {
    this.calls.createAccount++;
    if (this.accounts.has(input.user)) return { ok: false as const, code: 'USER_EXISTS' as const };
    return { ok: true as const, account: { ...this.add(input.user, input.passwordHash) } };
  }

  recordFailedLogin(accountId: number, threshold: number) {
    this.calls.recordFailedLogin++;
    const account = this.byId(accountId);
    account.failedLogins++;
    const justLocked = !account.locked && account.failedLogins >= threshold;
    if (justLocked) account.locked = true;
    return { failedLogins: account.failedLogins, locked: account.locked, justLocked };
  }

  resetFailedLogins(accountId: number): void {
    this.calls.resetFailedLogins++;
    this.byId(accountId).failedLogins = 0;
  }

  setTotpLastStep(accountId: number, step: number): void {
    this.calls.setTotpLastStep++;
    this.byId(accountId).totpLastStep = step;
  }

  private byId(id: number): AuthAccount {
    for (const account of this.accounts.values()) if (account.id === id) return account;
    throw new Error(`no account #${id}`);
  }
}
