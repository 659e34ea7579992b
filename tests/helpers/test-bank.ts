import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { AuditSink } from '../../audit/index.js';
import {
  DEFAULT_SERVER_CONFIG,
  openLedger,
  type RunningBank,
  type ServerConfig,
  startBank,
} from '../../server/index.js';
import { enrolTestTerminal, type TestTerminal } from './test-terminal.js';

export interface TestBank extends RunningBank {
  config: ServerConfig;
  /** An enrolled terminal (ATM-TEST-1) loaded with ample cash: pass `cert`/`key` to move cash. */
  terminal: TestTerminal;
  /** Enrol one more terminal in this bank's data dir (it may be running). */
  enrolTerminal(id: string, options?: Parameters<typeof enrolTestTerminal>[2]): Promise<TestTerminal>;
  /** Stop the bank and delete its data dir (unless keepDir). */
  dispose(options?: { keepDir?: boolean }): Promise<void>;
}

/** A real bank in-process: temp data dir, port 0, cheap bcrypt, silent logs. */
export async function startTestBank(
  overrides: Partial<ServerConfig> = {},
  options: { audit?: AuditSink; clock?: () => number } = {},
): Promise<TestBank> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'secure-atm-test-')));
  const config: ServerConfig = {
    ...DEFAULT_SERVER_CONFIG,
    port: 0,
    adminPort: 0,
    bcryptCost: 4,
    allowRegistration: true,
    // Tests register many accounts from 127.0.0.1; the registration limit has tests of its own.
    maxRegistrationsPerHour: 10_000,
    ...overrides,
    dataDir,
  };
  const bank = await startBank(config, {
    logger: pino({ level: 'silent' }),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const terminal = await enrolTestTerminal(dataDir, 'ATM-TEST-1');
  return {
    ...bank,
    config,
    terminal,
    enrolTerminal: (id, opts) => enrolTestTerminal(dataDir, id, opts),
    async dispose(opts = {}) {
      await bank.stop();
      if (!opts.keepDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A bank for the enclosing suite: started in beforeAll, disposed in afterAll. The value stands for
 * that bank from beforeAll on (hooks registered after this call already see it running); reading
 * it before then throws.
 */
export function suiteBank(
  overrides: Partial<ServerConfig> = {},
  options: { audit?: AuditSink; clock?: () => number } = {},
): TestBank {
  let bank: TestBank | null = null;
  beforeAll(async () => {
    bank = await startTestBank(overrides, options);
  });
  afterAll(async () => {
    await bank?.dispose();
    bank = null;
  });
  const running = (prop: PropertyKey): TestBank => {
    if (!bank) throw new Error(`the suite's bank is not running (reading ${String(prop)})`);
    return bank;
  };
  return new Proxy({} as TestBank, {
    get: (_target, prop) => Reflect.get(running(prop), prop),
    has: (_target, prop) => Reflect.has(running(prop), prop),
    ownKeys: () => Reflect.ownKeys(running('keys')),
    getOwnPropertyDescriptor: (_target, prop) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(running(prop), prop);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
  });
}

/** Read-only look at a bank's ledger from the outside (as an operator would). */
export function withLedger<T>(bank: { dataDir: string }, fn: (store: ReturnType<typeof openLedger>) => T): T {
  const store = openLedger(join(bank.dataDir, 'ledger.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** RawClient.connect/login options for a session at one of the bank's enrolled terminals (cash allowed). */
export function atTerminal(
  bank: TestBank,
  terminal: TestTerminal = bank.terminal,
): { port: number; ca: string; cert: string; key: string } {
  return { port: bank.port, ca: bank.caCert, cert: terminal.cert, key: terminal.key };
}
