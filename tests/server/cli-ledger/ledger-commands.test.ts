import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareSync } from 'bcryptjs';
import Database from 'better-sqlite3';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrongPassword } from '../../../protocol/index.js';
import { accountsCommand } from '../../../server/cli/commands/accounts.js';
import { alertsCommand } from '../../../server/cli/commands/alerts.js';
import { ledgerCommand } from '../../../server/cli/commands/ledger.js';
import type { OperatorAuditEvent } from '../../../server/cli/commands/operator-command.js';
import { CliError } from '../../../server/cli/io.js';
import { dataDirPaths } from '../../../server/data-dir.js';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  type LedgerStore,
  LedgerWriter,
  openLedger,
} from '../../../server/ledger/index.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';
import { enrolTerminal, TEST_TERMINAL, TEST_TERMINAL_CASH } from '../ledger/ledger-fixture.js';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

let dataDir: string;
let audit: OperatorAuditEvent[];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cli-ledger-'));
  const store = openLedger(dataDirPaths(dataDir).ledgerDb); // what `bank-server init` leaves behind
  enrolTerminal(store, TEST_TERMINAL, TEST_TERMINAL_CASH); // and a terminal to move cash at
  store.close();
  audit = [];
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** The commands mounted the way main.ts mounts them, with errors mapped the way main() maps them. */
async function run(...args: string[]): Promise<Run> {
  return runWith({}, args);
}

async function runWith(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const deps = {
    openStore: (path: string) => openLedger(path),
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
    env,
    audit: { record: (e: OperatorAuditEvent) => audit.push(e) },
  };
  const program = new Command('bank-server').exitOverride();
  for (const command of [accountsCommand(deps), alertsCommand(deps), ledgerCommand(deps)]) program.addCommand(command);
  const needsDir = !args.includes('--data-dir') && env.BANK_DATA_DIR === undefined;
  try {
    await program.parseAsync(['node', 'bank-server', ...args, ...(needsDir ? ['--data-dir', dataDir] : [])]);
    return { code: 0, out, err };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, out, err };
    if (error instanceof CliError) {
      err.push(`bank-server: ${error.message}`);
      return { code: error.exitCode, out, err };
    }
    throw error;
  }
}

function withStore<T>(fn: (store: LedgerStore) => T): T {
  const store = openLedger(dataDirPaths(dataDir).ledgerDb);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function deposit(user: string, amountCents: number, config = DEFAULT_LEDGER_CONFIG): void {
  withStore((store) => {
    const account = store.findAccount(user);
    if (!account) throw new Error(`no ${user}`);
    const outcome = applyMutation(
      store,
      { accountId: account.id, user, nowMs: Date.now(), config, terminal: TEST_TERMINAL },
      { id: `dep-${Math.random().toString(36).slice(2)}`, op: 'deposit', amountCents },
    );
    if (!outcome.ok) throw new Error(outcome.code);
  });
}

describe('accounts create', () => {
  it('generates, prints and hashes a strong password when none is given', async () => {
    const result = await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe('created account alice');
    const password = result.out[1]?.replace(/^password: /, '') ?? '';
    expect(isStrongPassword(password)).toBe(true);
    const hash = withStore((store) => store.findAccount('alice')?.passwordHash ?? '');
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(compareSync(password, hash)).toBe(true);
    expect(audit).toEqual([
      {
        kind: 'operator_action',
        actor: 'operator',
        detail: { action: 'account_create', user: 'alice', osUser: expect.any(String), osHost: expect.any(String) },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('takes --password, and prints JSON with --json', async () => {
    const result = await run(
      'accounts',
      'create',
      'bob',
      '--password',
      'Correct-Horse-9',
      '--bcrypt-cost',
      '4',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out[0] ?? '')).toEqual({ user: 'bob' });
    const hash = withStore((store) => store.findAccount('bob')?.passwordHash ?? '');
    expect(compareSync('Correct-Horse-9', hash)).toBe(true);
  });

  it('refuses a weak password, a bad name and a taken name with one stderr line and exit 1', async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    for (const [args, pattern] of [
      [['accounts', 'create', 'bob', '--password', 'short', '--bcrypt-cost', '4'], /password refused \(too_short/],
      [['accounts', 'create', 'Bad Name', '--bcrypt-cost', '4'], /is not a user name/],
      [['accounts', 'create', 'alice', '--bcrypt-cost', '4'], /already exists/],
    ] as const) {
      const result = await run(...args);
      expect(result.code).toBe(1);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toMatch(pattern);
      expect(result.err[0]).not.toMatch(/\n|at .*\.ts/);
    }
    expect(withStore((store) => store.listAccounts().map((a) => a.user))).toEqual(['alice']);
  });

  it('reports commander usage errors on stderr with a non-zero exit', async () => {
    const result = await run('accounts', 'create');
    expect(result.code).not.toBe(0);
    expect(result.err.join('\n')).toMatch(/missing required argument/);
  });
});

describe('accounts list / show / lock / unlock', () => {
  beforeEach(async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    await run('accounts', 'create', 'bob', '--bcrypt-cost', '4');
    deposit('alice', 123_456);
  });

  it('lists accounts as a table and as JSON', async () => {
    const table = await run('accounts', 'list');
    expect(table.out[0]).toMatch(/^USER\s+ROLE\s+BALANCE\s+STATUS\s+LOCKED\s+FAILED\s+2FA\s+CREATED$/);
    expect(table.out[1]).toMatch(/^alice\s+customer\s+1234\.56\s+active\s+no\s+0\s+off\s+\d{4}-/);
    expect(table.out[2]).toMatch(/^bob\s+customer\s+0\.00\s+active/);
    expect(table.out[3]).toBe('2 accounts');
    const json = await run('accounts', 'list', '--json');
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject([
      { user: 'alice', balanceCents: 123_456 },
      { user: 'bob', balanceCents: 0 },
    ]);
  });

  it('shows one account, and an unknown one fails with exit 1', async () => {
    const shown = await run('accounts', 'show', 'alice', '--json');
    expect(JSON.parse(shown.out[0] ?? '')).toMatchObject({ user: 'alice', balanceCents: 123_456, locked: false });
    expect(shown.out[0]).not.toContain('$2b$');
    const text = await run('accounts', 'show', 'alice');
    expect(text.out).toContain('balance       1234.56');
    const missing = await run('accounts', 'show', 'nobody');
    expect(missing).toMatchObject({ code: 1, err: ['bank-server: no account named nobody'] });
  });

  it('locks and unlocks (resetting failed logins), and audits both', async () => {
    withStore((store) => {
      const id = store.findAccount('alice')?.id ?? 0;
      store.recordFailedLogin(id, 10);
      store.recordFailedLogin(id, 10);
    });
    expect(await run('accounts', 'lock', 'alice')).toMatchObject({ code: 0, out: ['locked alice'] });
    expect(withStore((store) => store.findAccount('alice'))).toMatchObject({ locked: true, failedLogins: 2 });
    expect(await run('accounts', 'unlock', 'alice')).toMatchObject({
      code: 0,
      out: ['unlocked alice (failed logins reset)'],
    });
    expect(withStore((store) => store.findAccount('alice'))).toMatchObject({ locked: false, failedLogins: 0 });
    expect((await run('accounts', 'unlock', 'nobody')).code).toBe(1);
    expect(audit.map((e) => e.detail.action)).toEqual([
      'account_create',
      'account_create',
      'account_lock',
      'account_unlock',
    ]);
  });

  it('works while a server process holds the ledger open with a busy writer', async () => {
    const server = openLedger(dataDirPaths(dataDir).ledgerDb);
    const writer = new LedgerWriter(server);
    const alice = server.findAccount('alice')?.id ?? 0;
    const jobs = Array.from({ length: 200 }, (_, i) =>
      writer.submit((s) =>
        applyMutation(
          s,
          {
            accountId: alice,
            user: 'alice',
            nowMs: Date.now(),
            config: DEFAULT_LEDGER_CONFIG,
            terminal: TEST_TERMINAL,
          },
          { id: `busy-${i}`, op: 'deposit', amountCents: 1 },
        ),
      ),
    );
    const locked = await run('accounts', 'lock', 'bob');
    const created = await run('accounts', 'create', 'carol', '--bcrypt-cost', '4');
    await Promise.all(jobs);
    expect(locked.code).toBe(0);
    expect(created.code).toBe(0);
    expect(server.findAccount('bob')?.locked).toBe(true);
    expect(server.findAccount('carol')).not.toBeNull();
    expect((await run('ledger', 'verify')).code).toBe(0);
    await writer.close();
    server.close();
  });
});

describe('accounts export and close', () => {
  beforeEach(async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
  });

  function setContact(box: PiiBox | null): void {
    withStore((store) => {
      const account = store.findAccount('alice');
      if (!account) throw new Error('no alice');
      const outcome = applyMutation(
        store,
        { accountId: account.id, user: 'alice', nowMs: Date.now(), config: DEFAULT_LEDGER_CONFIG },
        { id: 'contact', op: 'update_contact', email: 'alice@example.com', phone: '+1 555 0100' },
        {
          emailSealed: box ? box.seal('alice@example.com') : 'v1:AAAA',
          phoneSealed: box ? box.seal('+1 555 0100') : 'v1:AAAA',
        },
      );
      if (!outcome.ok) throw new Error(outcome.code);
    });
  }

  it('opens sealed contact data with keys/data.key and writes a new 0600 file', async () => {
    const key = PiiBox.generateKey();
    const paths = dataDirPaths(dataDir);
    mkdirSync(paths.keysDir, { recursive: true });
    writeFileSync(paths.dataKey, `${Buffer.from(key).toString('base64')}\n`, { mode: 0o600 });
    setContact(new PiiBox(key));
    deposit('alice', 500);
    const file = join(dataDir, 'alice.json');
    const result = await run('accounts', 'export', 'alice', '--out', file);
    expect(result).toMatchObject({ code: 0, out: [`exported alice to ${file}`] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(exported).toMatchObject({
      user: 'alice',
      balanceCents: 500,
      email: 'alice@example.com',
      phone: '+1 555 0100',
      totpEnabled: false,
      entries: [{ kind: 'deposit', amountCents: 500 }],
    });
    expect(JSON.stringify(exported)).not.toMatch(/\$2b\$|v1:/);
    const again = await run('accounts', 'export', 'alice', '--out', file);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(/already exists/);
    expect(audit.some((e) => e.detail.action === 'account_export')).toBe(true);
  });

  it('leaves contact data sealed, and says so, when there is no data key', async () => {
    setContact(null);
    const result = await run('accounts', 'export', 'alice');
    const exported = JSON.parse(result.out.join('\n')) as Record<string, unknown>;
    expect(exported).toMatchObject({
      email: null,
      phone: null,
      emailSealed: 'v1:AAAA',
      note: expect.stringMatching(/no data key/),
    });
  });

  it('closes only a zero balance, anonymising the account', async () => {
    deposit('alice', 250);
    const refused = await run('accounts', 'close', 'alice');
    expect(refused).toMatchObject({
      code: 1,
      err: ['bank-server: alice still holds 2.50; only a zero balance can be closed'],
    });
    await run('accounts', 'create', 'zed', '--bcrypt-cost', '4');
    const closed = await run('accounts', 'close', 'zed', '--json');
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.out[0] ?? '')).toMatchObject({
      user: 'zed',
      closed: true,
      anonymisedAs: expect.stringMatching(/^~closed-\d+$/),
    });
    expect(withStore((store) => store.findAccount('zed'))).toBeNull();
    expect((await run('accounts', 'close', 'zed')).code).toBe(1);
  });
});

describe('alerts and ledger verify', () => {
  it('lists fraud alerts newest first', async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    expect((await run('alerts')).out).toEqual(['no fraud alerts']);
    const config = { ...DEFAULT_LEDGER_CONFIG, fraud: { ...DEFAULT_LEDGER_CONFIG.fraud, largeAmountCents: 100 } };
    deposit('alice', 101, config);
    deposit('alice', 202, config);
    const table = await run('alerts', '--limit', '1');
    expect(table.out).toHaveLength(2);
    expect(table.out[1]).toMatch(/LARGE_AMOUNT\s+alice\s+deposit\s+2\.02\s+alert/);
    const json = await run('alerts', '--json');
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject([{ amountCents: 202 }, { amountCents: 101 }]);
    expect((await run('alerts', '--limit', 'x')).code).not.toBe(0);
  });

  it('prints a verdict and exits 1 naming the first fault', async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    deposit('alice', 1000);
    expect(await run('ledger', 'verify')).toMatchObject({
      code: 0,
      out: ['ledger OK: 1 accounts, 4 entries, balances sum to 0'], // the deposit and the terminal's cash load
    });
    const raw = new Database(dataDirPaths(dataDir).ledgerDb);
    raw.exec(`UPDATE accounts SET balance_cents = 5 WHERE username = 'alice'`);
    raw.close();
    const bad = await run('ledger', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([
      'bank-server: ledger verify FAILED: balance mismatch: account alice has balance 5 but its entries sum to 1000',
    ]);
    const json = await run('ledger', 'verify', '--json');
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject({ ok: false, fault: expect.stringMatching(/alice/) });
    expect(json.code).toBe(1);
  });

  it('takes the data dir from BANK_DATA_DIR when --data-dir is absent', async () => {
    await run('accounts', 'create', 'alice', '--bcrypt-cost', '4');
    const result = await runWith({ BANK_DATA_DIR: dataDir }, ['accounts', 'list', '--json']);
    expect(JSON.parse(result.out[0] ?? '')).toMatchObject([{ user: 'alice' }]);
  });

  it('refuses a data dir without a ledger instead of creating one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cli-ledger-empty-'));
    try {
      for (const args of [['accounts', 'list'], ['alerts'], ['ledger', 'verify']]) {
        const result = await run(...args, '--data-dir', empty);
        expect(result.code).toBe(1);
        expect(result.err[0]).toMatch(/no ledger at .*ledger\.db/);
      }
      expect(() => statSync(join(empty, 'ledger.db'))).toThrow();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
