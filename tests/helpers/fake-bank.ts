import type {
  BankConnector,
  BankSession,
  ClientError,
  ClientErrorCode,
  ClientErrorDetails,
  Credentials,
  Outcome,
  RetryReport,
} from '../../atm-client/client/types.js';
import {
  type HistoryEntry,
  type HistoryKind,
  type Notice,
  type NoticeKind,
  passwordProblems,
  type ReversalReason,
  type Role,
  TELLER_OPS,
  TELLER_OWN_OPS,
} from '../../protocol/index.js';

/**
 * An in-memory BankConnector/BankSession for UI tests: real-looking balances and
 * history, configurable failures, and a record of every call. It follows the contract in
 * atm-client/client/types.ts (every call resolves to an Outcome) without any sockets.
 */

export interface FakeAccount {
  password: string;
  balanceCents: number;
  /** When set, login needs this code (two-factor on). */
  totpCode: string | null;
  /** Newest first, as the server returns it. */
  history: HistoryEntry[];
  reversed: Set<string>;
  /** Withdrawn so far today (cents), counted against the daily limit. */
  withdrawnTodayCents: number;
  /** A teller serves customers at an enrolled terminal (protocol/README.md §5.2). */
  role: Role;
  /** Failed password checks (logins and serves) since the last success; 3 locks the account. */
  failures: number;
}

/** Ops a teller session may send while serving no one (§5.2); the rest are NOT_SERVING. */
const TELLER_IDLE_OPS: ReadonlySet<string> = new Set([...TELLER_OWN_OPS, ...TELLER_OPS]);
const LOCK_AFTER_FAILURES = 3;

export interface FakeCall {
  op: string;
  args: unknown[];
}

/** A call held until the test releases it (to look at "please wait" screens). */
export interface Gate {
  release: () => void;
}

export const FAKE_TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
/** The code the fake accepts for enrolment confirmation (and then for login). */
export const FAKE_TOTP_CODE = '246810';

export class FakeBank implements BankConnector {
  readonly accounts = new Map<string, FakeAccount>();
  readonly calls: FakeCall[] = [];
  readonly sessions: FakeSession[] = [];
  idleTimeoutSec = 300;
  /** The terminal id sessions open at, as a terminal certificate would give it; null = remote. */
  terminal: string | null = 'ATM-FAKE';
  registrationOpen = true;
  /** The URI enrolment hands out; a short one built from FAKE_TOTP_SECRET when null. */
  otpauthUri: string | null = null;
  /** Per-request maximum (cents), like the server's --max-amount. */
  maxAmountCents = 100_000_000;
  dailyWithdrawalLimitCents = 200_000;
  /** Clock for history timestamps (ms). */
  now: () => number = () => Date.UTC(2025, 0, 15, 9, 30, 0);
  private readonly failures = new Map<string, ClientError[]>();
  private readonly gates = new Map<string, Promise<void>>();
  private nextTx = 1;

  /** Adds an account, optionally with some history (oldest first in `deposits`). */
  addAccount(
    user: string,
    options: { password?: string; balanceCents?: number; totpCode?: string; role?: Role } = {},
  ): FakeAccount {
    const account: FakeAccount = {
      role: options.role ?? 'customer',
      failures: 0,
      password: options.password ?? 'Correct-Horse-9',
      balanceCents: 0,
      totpCode: options.totpCode ?? null,
      history: [],
      reversed: new Set(),
      withdrawnTodayCents: 0,
    };
    this.accounts.set(user, account);
    if (options.balanceCents) this.post(account, 'deposit', options.balanceCents, null);
    return account;
  }

  /** The next call of `op` fails with `code` (queued: several calls queue several failures). */
  failNext(op: string, code: ClientErrorCode, message = `fake ${code}`, details: ClientErrorDetails = {}): void {
    const queue = this.failures.get(op) ?? [];
    queue.push({ code, message, ...details });
    this.failures.set(op, queue);
  }

  /** The next call of `op` waits until the returned gate is released. */
  hold(op: string): Gate {
    let release = () => {};
    this.gates.set(
      op,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return { release };
  }

  callsOf(op: string): FakeCall[] {
    return this.calls.filter((call) => call.op === op);
  }

  /** The most recent open session. */
  get session(): FakeSession {
    const last = this.sessions.at(-1);
    if (!last) throw new Error('no session opened yet');
    return last;
  }

  async login(credentials: Credentials): Promise<Outcome<BankSession>> {
    const failure = await this.enter('login', [{ user: credentials.user, totp: credentials.totp }]);
    if (failure) return failure;
    const refused = this.checkCredentials(credentials);
    if (refused) return refused;
    // A teller works only at an enrolled terminal; told only after the password check.
    if (this.accounts.get(credentials.user)?.role === 'teller' && this.terminal === null) {
      return err('TERMINAL_REQUIRED');
    }
    return { ok: true, value: this.open(credentials.user) };
  }

  /** The login path's checks, shared by `serve`: a wrong password counts toward the lock. */
  checkCredentials(credentials: Credentials): { ok: false; error: ClientError } | null {
    const account = this.accounts.get(credentials.user);
    if (!account) return err('AUTH_FAILED');
    if (account.failures >= LOCK_AFTER_FAILURES) return err('ACCOUNT_LOCKED');
    if (account.password !== credentials.password) {
      account.failures += 1;
      return err(account.failures >= LOCK_AFTER_FAILURES ? 'ACCOUNT_LOCKED' : 'AUTH_FAILED');
    }
    if (account.totpCode !== null) {
      if (credentials.totp === undefined) return err('TOTP_REQUIRED');
      if (credentials.totp !== account.totpCode) return err('TOTP_INVALID');
    }
    account.failures = 0;
    return null;
  }

  async register(credentials: Credentials): Promise<Outcome<BankSession>> {
    const failure = await this.enter('register', [{ user: credentials.user }]);
    if (failure) return failure;
    if (!this.registrationOpen) return err('REGISTRATION_CLOSED');
    if (this.accounts.has(credentials.user)) return err('USER_EXISTS');
    if (passwordProblems(credentials.password).length > 0) return err('WEAK_PASSWORD');
    this.addAccount(credentials.user, { password: credentials.password });
    return { ok: true, value: this.open(credentials.user) };
  }

  /** Records the call, waits on a gate if one is set, and pops a queued failure. */
  async enter(op: string, args: unknown[]): Promise<{ ok: false; error: ClientError } | null> {
    this.calls.push({ op, args });
    const gate = this.gates.get(op);
    if (gate) {
      this.gates.delete(op);
      await gate;
    }
    const failure = this.failures.get(op)?.shift();
    return failure ? { ok: false, error: failure } : null;
  }

  txId(): string {
    return `T${String(this.nextTx++).padStart(12, '0')}`;
  }

  /** Applies a movement (signed cents) and writes its history entry. */
  post(account: FakeAccount, kind: HistoryKind, signedCents: number, counterparty: string | null): HistoryEntry {
    account.balanceCents += signedCents;
    const entry: HistoryEntry = {
      txId: this.txId(),
      kind,
      amountCents: signedCents,
      balanceAfterCents: account.balanceCents,
      counterparty,
      at: new Date(this.now()).toISOString(),
    };
    account.history.unshift(entry);
    return entry;
  }

  private open(user: string): FakeSession {
    const session = new FakeSession(this, user);
    this.sessions.push(session);
    return session;
  }
}

function err(code: ClientErrorCode, message = `fake ${code}`): { ok: false; error: ClientError } {
  return { ok: false, error: { code, message } };
}

export class FakeSession implements BankSession {
  readonly sessionId = 'ZmFrZS1zZXNzaW9uLWlk';
  closed = false;
  loggedOut = false;
  /** The customer a teller session acts for (§5.2); null when serving no one. */
  servedCustomer: string | null = null;
  private readonly noticeListeners = new Set<(notice: Notice) => void>();
  private readonly closeListeners = new Set<(reason: ClientError | null) => void>();

  constructor(
    private readonly bank: FakeBank,
    readonly user: string,
  ) {}

  get idleTimeoutSec(): number {
    return this.bank.idleTimeoutSec;
  }

  get terminal(): string | null {
    return this.bank.terminal;
  }

  get role(): Role {
    return this.own.role;
  }

  /** The session's own account: what password and two-factor changes apply to. */
  private get own(): FakeAccount {
    const account = this.bank.accounts.get(this.user);
    if (!account) throw new Error(`fake account ${this.user} vanished`);
    return account;
  }

  /** The account money ops apply to: the customer served, in a teller session. */
  private get account(): FakeAccount {
    const name = this.role === 'teller' ? this.servedCustomer : this.user;
    const account = name === null ? undefined : this.bank.accounts.get(name);
    if (!account) throw new Error(`fake account ${name} vanished`);
    return account;
  }

  /** The name money ops act under (the counterparty of a transfer). */
  private get actingUser(): string {
    return this.role === 'teller' ? (this.servedCustomer ?? this.user) : this.user;
  }

  private async begin(op: string, args: unknown[]): Promise<{ ok: false; error: ClientError } | null> {
    const failure = await this.bank.enter(op, args);
    if (failure) return failure;
    if (this.closed) return err('SESSION_CLOSED');
    if (this.role === 'customer' && (op === 'serve' || op === 'release' || op === 'open_account')) {
      return err('INVALID_REQUEST');
    }
    if (this.role === 'teller' && this.servedCustomer === null && !TELLER_IDLE_OPS.has(op)) return err('NOT_SERVING');
    return null;
  }

  /** Cash moves only in a terminal session (protocol/README.md §5.1). */
  private needTerminal(): { ok: false; error: ClientError } | null {
    return this.bank.terminal === null ? err('TERMINAL_REQUIRED') : null;
  }

  private checkAmount(amountCents: number): { ok: false; error: ClientError } | null {
    if (!Number.isSafeInteger(amountCents) || amountCents < 1) return err('INVALID_AMOUNT');
    if (amountCents > this.bank.maxAmountCents) {
      return {
        ok: false,
        error: { code: 'INVALID_AMOUNT', message: 'fake', maxAmountCents: this.bank.maxAmountCents },
      };
    }
    return null;
  }

  private get remainingTodayCents(): number {
    return Math.max(0, this.bank.dailyWithdrawalLimitCents - this.account.withdrawnTodayCents);
  }

  async balance() {
    const failure = await this.begin('balance', []);
    if (failure) return failure;
    return {
      ok: true as const,
      value: {
        balanceCents: this.account.balanceCents,
        currency: 'USD',
        dailyWithdrawalRemainingCents: this.remainingTodayCents,
        maxAmountCents: this.bank.maxAmountCents,
        twoFactor: this.account.totpCode !== null,
      },
    };
  }

  async deposit(amountCents: number) {
    const failure =
      (await this.begin('deposit', [amountCents])) ?? this.checkAmount(amountCents) ?? this.needTerminal();
    if (failure) return failure;
    const entry = this.bank.post(this.account, 'deposit', amountCents, null);
    return { ok: true as const, value: { balanceCents: entry.balanceAfterCents, txId: entry.txId } };
  }

  async withdraw(amountCents: number) {
    const failure =
      (await this.begin('withdraw', [amountCents])) ?? this.checkAmount(amountCents) ?? this.needTerminal();
    if (failure) return failure;
    if (this.account.balanceCents < amountCents) return err('INSUFFICIENT_FUNDS');
    if (amountCents > this.remainingTodayCents) {
      return {
        ok: false as const,
        error: { code: 'LIMIT_EXCEEDED' as const, message: 'fake', remainingCents: this.remainingTodayCents },
      };
    }
    this.account.withdrawnTodayCents += amountCents;
    const entry = this.bank.post(this.account, 'withdrawal', -amountCents, null);
    return { ok: true as const, value: { balanceCents: entry.balanceAfterCents, txId: entry.txId } };
  }

  async transfer(to: string, amountCents: number) {
    const failure = (await this.begin('transfer', [to, amountCents])) ?? this.checkAmount(amountCents);
    if (failure) return failure;
    const target = this.bank.accounts.get(to);
    if (!target) return err('UNKNOWN_ACCOUNT');
    if (to === this.actingUser) return err('SAME_ACCOUNT');
    if (this.account.balanceCents < amountCents) return err('INSUFFICIENT_FUNDS');
    const entry = this.bank.post(this.account, 'transfer_out', -amountCents, to);
    this.bank.post(target, 'transfer_in', amountCents, this.actingUser);
    return { ok: true as const, value: { balanceCents: entry.balanceAfterCents, txId: entry.txId } };
  }

  async reverse(txId: string, reason: ReversalReason) {
    const failure = (await this.begin('reverse', [txId, reason])) ?? this.needTerminal();
    if (failure) return failure;
    const original = this.account.history.find((entry) => entry.txId === txId && entry.kind === 'withdrawal');
    if (!original) return err('UNKNOWN_TX');
    if (this.account.reversed.has(txId)) return err('NOT_REVERSIBLE');
    this.account.reversed.add(txId);
    const entry = this.bank.post(this.account, 'reversal', -original.amountCents, null);
    return {
      ok: true as const,
      value: { balanceCents: entry.balanceAfterCents, txId: entry.txId, reversedTxId: txId },
    };
  }

  async history(query: { limit?: number; before?: string } = {}) {
    const failure = await this.begin('history', [query]);
    if (failure) return failure;
    const all = this.account.history;
    const start = query.before === undefined ? 0 : all.findIndex((entry) => entry.txId === query.before) + 1;
    const limit = query.limit ?? 20;
    const entries = all.slice(start, start + limit);
    const next = start + limit < all.length ? (entries.at(-1)?.txId ?? null) : null;
    return { ok: true as const, value: { entries, next } };
  }

  async changePassword(current: string, next: string) {
    const failure = await this.begin('change_password', [current, next]);
    if (failure) return failure;
    if (current !== this.own.password) return err('AUTH_FAILED');
    if (passwordProblems(next).length > 0) return err('WEAK_PASSWORD');
    this.own.password = next;
    return { ok: true as const, value: {} };
  }

  async updateContact(contact: { email?: string; phone?: string }) {
    const failure = await this.begin('update_contact', [contact]);
    if (failure) return failure;
    return { ok: true as const, value: {} };
  }

  async totpEnroll(password: string, totp?: string) {
    const failure = await this.begin('totp_enroll', [password, totp]);
    if (failure) return failure;
    if (password !== this.own.password) return err('AUTH_FAILED');
    return {
      ok: true as const,
      value: {
        secret: FAKE_TOTP_SECRET,
        otpauthUri:
          this.bank.otpauthUri ?? `otpauth://totp/secure-atm:${this.user}?secret=${FAKE_TOTP_SECRET}&issuer=secure-atm`,
      },
    };
  }

  async totpDisable(password: string, totp: string) {
    const failure = await this.begin('totp_disable', [password, totp]);
    if (failure) return failure;
    if (password !== this.own.password) return err('AUTH_FAILED');
    if (totp !== this.own.totpCode) return err('TOTP_INVALID');
    this.own.totpCode = null;
    return { ok: true as const, value: {} };
  }

  async totpConfirm(code: string) {
    const failure = await this.begin('totp_confirm', [code]);
    if (failure) return failure;
    if (code !== FAKE_TOTP_CODE) return err('TOTP_INVALID');
    this.own.totpCode = FAKE_TOTP_CODE;
    return { ok: true as const, value: {} };
  }

  async ping() {
    const failure = await this.begin('ping', []);
    if (failure) return failure;
    return { ok: true as const, value: { serverTime: new Date(this.bank.now()).toISOString() } };
  }

  async serve(user: string, password: string, totp?: string) {
    const failure = await this.begin('serve', [user, totp]);
    if (failure) return failure;
    // A new serve releases whoever was served first, whatever its outcome.
    this.servedCustomer = null;
    const refused = this.bank.checkCredentials(totp === undefined ? { user, password } : { user, password, totp });
    if (refused) return refused;
    const customer = this.bank.accounts.get(user);
    if (!customer || customer.role === 'teller') return err('AUTH_FAILED');
    this.servedCustomer = user;
    return { ok: true as const, value: { user, balanceCents: customer.balanceCents } };
  }

  async release() {
    const failure = await this.begin('release', []);
    if (failure) return failure;
    this.servedCustomer = null;
    return { ok: true as const, value: {} };
  }

  async openAccount(user: string, password: string, options?: { id?: string }) {
    const failure = await this.begin('open_account', [user, options?.id]);
    if (failure) return failure;
    if (this.bank.accounts.has(user)) return err('USER_EXISTS');
    if (passwordProblems(password).length > 0) return err('WEAK_PASSWORD');
    this.bank.addAccount(user, { password });
    return { ok: true as const, value: { user } };
  }

  async logout() {
    const failure = await this.begin('logout', []);
    if (failure) return failure;
    this.loggedOut = true;
    this.closed = true;
    return { ok: true as const, value: {} };
  }

  close(): void {
    this.closed = true;
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  onClose(listener: (reason: ClientError | null) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  onRetry(_listener: (report: RetryReport) => void): () => void {
    return () => {};
  }

  /** The server sends a notice and then closes, as protocol/README.md §5 says. */
  sendNotice(kind: NoticeKind, message = `fake ${kind}`): void {
    for (const listener of [...this.noticeListeners]) listener({ notice: kind, message });
    this.dropConnection({ code: kind, message });
  }

  /** The connection goes away. */
  dropConnection(reason: ClientError | null = { code: 'CONNECTION_LOST', message: 'fake drop' }): void {
    this.closed = true;
    for (const listener of [...this.closeListeners]) listener(reason);
  }

  get listenerCount(): number {
    return this.noticeListeners.size + this.closeListeners.size;
  }
}
