import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { Request } from '../../../protocol/index.js';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  enrollTerminal,
  findTerminal,
  type LedgerConfig,
  type LedgerOptions,
  type LedgerStore,
  type MutatingRequest,
  type MutationOutcome,
  moveTerminalCash,
  openLedger,
  type PreparedChange,
  type SessionTerminal,
} from '../../../server/ledger/index.js';

/** 2026-03-10T12:00:00Z: a fixed midday so tests can step across the UTC day on purpose. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

/** A hand-made clock the store and the rules share. */
export class TestClock {
  constructor(public now = T0) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface TempLedger {
  dir: string;
  path: string;
  clock: TestClock;
  store: LedgerStore;
  reopen(options?: LedgerOptions): LedgerStore;
  cleanup(): void;
}

/** A real ledger file in a fresh temp dir. */
export function tempLedger(options: LedgerOptions = {}): TempLedger {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-test-'));
  const path = join(dir, 'ledger.db');
  const clock = new TestClock();
  const opened: LedgerStore[] = [];
  const open = (extra: LedgerOptions = {}) => {
    const store = openLedger(path, { clock: clock.read, ...options, ...extra });
    opened.push(store);
    return store;
  };
  const fixture: TempLedger = {
    dir,
    path,
    clock,
    store: open(),
    reopen(extra) {
      fixture.store.close();
      fixture.store = open(extra);
      return fixture.store;
    },
    cleanup() {
      for (const store of opened) store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** A customer with a placeholder hash (the ledger never checks it). */
export function customer(store: LedgerStore, user: string): number {
  const created = store.createAccount({ user, passwordHash: `$2b$04$placeholder-${user}` });
  if (!created.ok) throw new Error(`could not create ${user}`);
  return created.account.id;
}

export function config(overrides: Partial<LedgerConfig> = {}): LedgerConfig {
  return { ...DEFAULT_LEDGER_CONFIG, ...overrides };
}

let nextId = 0;
export function freshId(): string {
  nextId += 1;
  return `req-${nextId}`;
}

type Body<R> = R extends Request ? Omit<R, 'id'> & { id?: string } : never;

/** Build a request with a fresh id unless one is given; keeps the specific request type. */
export function req<B extends Body<MutatingRequest>>(body: B): Omit<B, 'id'> & { id: string } & MutatingRequest {
  return { id: freshId(), ...body } as Omit<B, 'id'> & { id: string } & MutatingRequest;
}

/** The terminal unit tests move cash at unless they say otherwise. */
export const TEST_TERMINAL: SessionTerminal = { id: 'ATM-TEST', fingerprint: 'TEST:FINGERPRINT' };
/** What it holds when first used: more than any test takes out. */
export const TEST_TERMINAL_CASH = 10_000_000_000;

/** Enrol a terminal in the ledger (with a made-up fingerprint) and load `cashCents` into it. */
export function enrolTerminal(store: LedgerStore, terminal: SessionTerminal, cashCents: number, nowMs = T0): void {
  enrollTerminal(store, { id: terminal.id, fingerprint: terminal.fingerprint, nowIso: new Date(nowMs).toISOString() });
  if (cashCents > 0) moveTerminalCash(store, { id: terminal.id, kind: 'load', amountCents: cashCents, nowMs });
}

/**
 * applyMutation for `user` at the fixture's clock, in a terminal session at TEST_TERMINAL
 * (enrolled and loaded on first use) unless `terminal` says otherwise (null = remote session).
 */
export function apply(
  fx: TempLedger,
  user: string,
  request: MutatingRequest,
  options: {
    config?: LedgerConfig;
    prepared?: PreparedChange;
    store?: LedgerStore;
    terminal?: SessionTerminal | null;
  } = {},
): MutationOutcome {
  const store = options.store ?? fx.store;
  const account = store.findAccount(user);
  if (!account) throw new Error(`no account ${user}`);
  const terminal = options.terminal === undefined ? TEST_TERMINAL : options.terminal;
  if (terminal === TEST_TERMINAL && !findTerminal(store, TEST_TERMINAL.id)) {
    enrolTerminal(store, TEST_TERMINAL, TEST_TERMINAL_CASH, fx.clock.now);
  }
  return applyMutation(
    store,
    { accountId: account.id, user, nowMs: fx.clock.now, config: options.config ?? config(), terminal },
    request,
    options.prepared,
  );
}

/** The result of a successful outcome, or a thrown error naming the refusal. */
export function okResult(outcome: MutationOutcome): Record<string, unknown> {
  if (!outcome.ok)
    throw new Error(`expected success, got ${outcome.code}${outcome.message ? `: ${outcome.message}` : ''}`);
  return outcome.result;
}

export function codeOf(outcome: MutationOutcome): string {
  return outcome.ok ? 'OK' : outcome.code;
}

/** What `promise` rejected with; throws when it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * A fresh ledger for every test, with these customers, removed after the test. The value stands
 * for the current test's ledger (reading it outside a test throws).
 */
export function eachTempLedger(...users: string[]): TempLedger {
  let current: TempLedger | null = null;
  beforeEach(() => {
    current = tempLedger();
    for (const user of users) customer(current.store, user);
  });
  afterEach(() => {
    current?.cleanup();
    current = null;
  });
  const now = (): TempLedger => {
    if (!current) throw new Error('the per-test ledger exists only inside a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get path() {
      return now().path;
    },
    get clock() {
      return now().clock;
    },
    get store() {
      return now().store;
    },
    reopen: (options) => now().reopen(options),
    cleanup: () => now().cleanup(),
  };
}
