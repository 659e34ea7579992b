import { expect } from 'vitest';
import type { MutatingRequest, MutationOutcome, PreparedChange } from '../../../server/ledger/index.js';
import type { LedgerBackend, MutationTarget } from '../../../server/ledger/ledger-backend.js';
import type { SessionTerminal } from '../../../server/ledger/terminal-ledger.js';
import { codeOf, okResult } from '../ledger/ledger-fixture.js';
import { type BackendEnv, customer, type OpenOptions } from './backend-fixture.js';

let nextId = 0;
/** A request id no other test in this worker uses. */
export function freshId(): string {
  nextId += 1;
  return `rq-${process.pid}-${nextId}`;
}

type Body = MutatingRequest extends infer R
  ? R extends MutatingRequest
    ? Omit<R, 'id'> & { id?: string }
    : never
  : never;

/** The enrolled terminal every bank here moves cash at (protocol/README.md §5.1: cash only in a terminal session). */
export const ATM: SessionTerminal = { id: 'ATM-T', fingerprint: 'sha256:test-terminal' };

const CASH_OPS = new Set(['deposit', 'withdraw', 'reverse']);

/**
 * A fresh ledger with customers and one enrolled terminal, and short ways to drive it the way a
 * session would: cash at that terminal, everything else as a remote session. Funding goes through
 * the same machine, so its cash always covers what the customers can withdraw.
 */
export class Bank {
  readonly targets = new Map<string, MutationTarget>();
  private constructor(
    readonly env: BackendEnv,
    readonly ledger: LedgerBackend,
  ) {}

  static async open(env: BackendEnv, users: string[] = ['alice', 'bob'], options: OpenOptions = {}): Promise<Bank> {
    const bank = new Bank(env, await env.open(options));
    await bank.ledger.enrollTerminal(ATM);
    for (const user of users) await bank.add(user);
    return bank;
  }

  async add(user: string): Promise<MutationTarget> {
    const target = await customer(this.ledger, this.env, user);
    this.targets.set(user, target);
    return target;
  }

  target(user: string): MutationTarget {
    const target = this.targets.get(user);
    if (!target) throw new Error(`no customer ${user}`);
    return { ...target, nowMs: this.env.clock.now };
  }

  /** One mutation for `user` at the test clock; a fresh id unless the body has one; cash at {@link ATM}. */
  mut(user: string, body: Body, prepared?: PreparedChange, ledger = this.ledger): Promise<MutationOutcome> {
    const request = { id: freshId(), ...body } as MutatingRequest;
    return ledger.mutate(this.at(user, CASH_OPS.has(request.op) ? ATM : null), request, prepared);
  }

  /** The target of `user` in a session at `terminal` (null: a remote session). */
  at(user: string, terminal: SessionTerminal | null): MutationTarget {
    return { ...this.target(user), terminal };
  }

  async ok(user: string, body: Body, prepared?: PreparedChange): Promise<Record<string, unknown>> {
    return okResult(await this.mut(user, body, prepared));
  }

  async code(user: string, body: Body, prepared?: PreparedChange): Promise<string> {
    return codeOf(await this.mut(user, body, prepared));
  }

  balanceOf(user: string): Promise<number> {
    return this.ledger.balance(this.target(user).accountId);
  }

  /** A page of `user`'s history, newest first; a refused read fails the test. */
  async historyOf(user: string, limit = 10, before?: string) {
    const page = await this.ledger.history(this.target(user).accountId, limit, before);
    if ('error' in page) throw new Error(`history of ${user}: ${page.error}`);
    return page;
  }

  async fund(user: string, cents: number): Promise<void> {
    await this.ok(user, { op: 'deposit', amountCents: cents });
  }

  async withdrawal(user: string, cents: number): Promise<string> {
    return String((await this.ok(user, { op: 'withdraw', amountCents: cents })).txId);
  }

  /** Refused with `code`, no balance moved, and the ledger still consistent. */
  async expectRefused(
    outcome: MutationOutcome | Promise<MutationOutcome>,
    code: string,
    before: Record<string, number>,
  ) {
    expect(codeOf(await outcome)).toBe(code);
    for (const [user, cents] of Object.entries(before)) expect(await this.balanceOf(user)).toBe(cents);
    expect((await this.ledger.verify()).ok).toBe(true);
  }
}
