import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/program.js';
import { dataDirPaths } from '../../../server/data-dir.js';
import { DEFAULT_LEDGER_CONFIG, openLedger } from '../../../server/ledger/index.js';
import { type LedgerBackend, SqliteLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';
import { ensureTerminalCa } from '../../../server/tls/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';

/**
 * The operator commands that change the ledger, run against a SQLite data dir and against a
 * PostgreSQL database (`--ledger postgres://…`, the data dir holding only keys and the terminal
 * CA): the same steps must print the same text and JSON, refuse the same mistakes with the same
 * line, and queue the same operator actions; on PostgreSQL the effect is in the database at once.
 */

interface Run {
  code: number;
  out: string[];
  err: string[];
}

const PASSWORD = 'Correct-Horse-9';
const DATA_KEY = PiiBox.generateKey();

/** One side under test: a data dir, and for PostgreSQL the URL its commands name. */
interface Side {
  kind: 'sqlite' | 'postgres';
  dataDir: string;
  url?: string;
  /** The command line the side's commands run with (the real program, in-process). */
  run(...args: string[]): Promise<Run>;
  /** The ledger itself, as a running server would see it. */
  open(): Promise<LedgerBackend>;
}

let cluster: PostgresCluster;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => {
  cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  const paths = dataDirPaths(dir);
  mkdirSync(paths.keysDir, { recursive: true });
  writeFileSync(paths.dataKey, `${Buffer.from(DATA_KEY).toString('base64')}\n`, { mode: 0o600 });
  return dir;
}

async function runMain(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'bank-server', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
  });
  return { code, out, err };
}

async function sqliteSide(): Promise<Side> {
  const dataDir = newDataDir('ops-sqlite-');
  openLedger(dataDirPaths(dataDir).ledgerDb).close(); // what `bank-server init` leaves behind
  return {
    kind: 'sqlite',
    dataDir,
    run: (...args) => runMain({}, [...args, '--data-dir', dataDir]),
    open: async () => SqliteLedgerBackend.open(dataDirPaths(dataDir).ledgerDb, { config: DEFAULT_LEDGER_CONFIG }),
  };
}

async function postgresSide(): Promise<Side> {
  const dataDir = newDataDir('ops-pg-');
  await ensureTerminalCa(dataDirPaths(dataDir)); // an instance's data dir (the shared terminal CA)
  const url = await cluster.createDatabase('ops');
  // What `bank-server init --ledger` leaves behind: the schema, migrated once.
  await (await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG })).close();
  return {
    kind: 'postgres',
    dataDir,
    url,
    // Half the commands name the ledger with --ledger, half through the environment.
    run: (...args) =>
      args.length % 2 === 0
        ? runMain({}, [...args, '--data-dir', dataDir, '--ledger', url])
        : runMain({ BANK_LEDGER_URL: url }, [...args, '--data-dir', dataDir]),
    open: () => PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG }),
  };
}

async function withLedger<T>(side: Side, fn: (ledger: LedgerBackend) => Promise<T>): Promise<T> {
  const ledger = await side.open();
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

/** Money into `user`'s account at `terminal`, as an ATM session there would put it. */
async function deposit(side: Side, user: string, terminal: string, amountCents: number, id: string): Promise<void> {
  await withLedger(side, async (ledger) => {
    const account = await ledger.findAccount(user);
    const atm = await ledger.findTerminal(terminal);
    if (!account || !atm) throw new Error(`no ${user} or ${terminal}`);
    const outcome = await ledger.mutate(
      { accountId: account.id, user, nowMs: Date.now(), terminal: { id: atm.id, fingerprint: atm.fingerprint } },
      { id, op: 'deposit', amountCents },
    );
    if (!outcome.ok) throw new Error(outcome.code);
  });
}

async function setContact(side: Side, user: string): Promise<void> {
  const box = new PiiBox(DATA_KEY);
  await withLedger(side, async (ledger) => {
    const account = await ledger.findAccount(user);
    if (!account) throw new Error(`no ${user}`);
    const outcome = await ledger.mutate(
      { accountId: account.id, user, nowMs: Date.now() },
      { id: 'contact-1', op: 'update_contact', email: 'alice@example.com', phone: '+1 555 0100' },
      { emailSealed: box.seal('alice@example.com'), phoneSealed: box.seal('+1 555 0100') },
    );
    if (!outcome.ok) throw new Error(outcome.code);
  });
}

/** What differs between two runs by nature, not by backend: times, fingerprints, temp paths, passwords. */
function normalise(text: string, side: Side): string {
  return text
    .replaceAll(side.dataDir, '<dir>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replaceAll(new Date().toISOString().slice(0, 10), '<today>')
    .replace(/[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4} GMT/g, '<time>')
    .replace(/\b(?:[0-9A-F]{2}:){31}[0-9A-F]{2}\b/g, '<fingerprint>')
    .replace(/password: \S+/g, 'password: <generated>')
    .replace(/"password":"[^"]+"/g, '"password":"<generated>"');
}

type Step = string[];

/** Run the steps on one side; each step's exit code and normalised output and errors. */
async function play(side: Side, steps: Step[], between?: (index: number) => Promise<void>) {
  const seen: Array<{ step: string; code: number; out: string[]; err: string[] }> = [];
  for (const [index, step] of steps.entries()) {
    const result = await side.run(...step);
    seen.push({
      step: step.join(' '),
      code: result.code,
      out: result.out.map((line) => normalise(line, side)),
      err: result.err.map((line) => normalise(line, side)),
    });
    await between?.(index);
  }
  return seen;
}

/** The operator actions queued for the running server's audit log, without who ran them. */
async function queuedActions(side: Side): Promise<Array<Record<string, unknown>>> {
  return withLedger(side, async (ledger) =>
    (await ledger.pendingOperatorActions(1000)).map(({ detail }) => {
      const { osUser, osHost, ...rest } = detail;
      expect(typeof osUser).toBe('string');
      expect(typeof osHost).toBe('string');
      return JSON.parse(normalise(JSON.stringify(rest), side)) as Record<string, unknown>;
    }),
  );
}

describe('bank-server accounts create|show|lock|unlock|close|export --ledger postgres://…', () => {
  let sqlite: Side;
  let postgres: Side;
  beforeEach(async () => {
    sqlite = await sqliteSide();
    postgres = await postgresSide();
  });

  const steps: Step[] = [
    ['accounts', 'create', 'alice', '--password', PASSWORD, '--bcrypt-cost', '4'],
    ['accounts', 'create', 'bob', '--bcrypt-cost', '4', '--json'],
    ['accounts', 'create', 'carol', '--bcrypt-cost', '4'],
    ['accounts', 'create', 'alice', '--password', PASSWORD, '--bcrypt-cost', '4'],
    ['accounts', 'create', 'dave', '--password', 'short', '--bcrypt-cost', '4'],
    ['accounts', 'create', 'Bad Name', '--bcrypt-cost', '4'],
    ['accounts', 'show', 'alice'],
    ['accounts', 'show', 'alice', '--json'],
    ['accounts', 'show', 'nobody'],
    ['accounts', 'lock', 'bob'],
    ['accounts', 'lock', 'bob', '--json'],
    ['accounts', 'unlock', 'bob'],
    ['accounts', 'lock', 'nobody'],
    ['terminals', 'enroll', 'ATM-1'],
    ['terminals', 'load', 'ATM-1', '100.00'],
    // deposit of 2.50 to alice here (see `between`)
    ['accounts', 'show', 'alice', '--json'],
    ['accounts', 'close', 'alice'],
    ['accounts', 'close', 'bob', '--json'],
    ['accounts', 'close', 'bob'],
    ['accounts', 'close', 'carol'],
    ['accounts', 'export', 'alice'],
    ['accounts', 'export', 'nobody'],
    ['accounts', 'list', '--json'],
    ['ledger', 'verify'],
  ];
  const depositAfter = steps.findIndex((s) => s[1] === 'load');

  it('prints the same text and JSON and refuses the same mistakes on both ledgers', async () => {
    const between = (side: Side) => async (index: number) => {
      if (index === depositAfter) {
        await deposit(side, 'alice', 'ATM-1', 250, 'dep-1');
        await setContact(side, 'alice');
      }
    };
    const onSqlite = await play(sqlite, steps, between(sqlite));
    const onPostgres = await play(postgres, steps, between(postgres));
    expect(onPostgres).toEqual(onSqlite);
    // The scenario did what it says (so an equal failure on both sides cannot pass).
    expect(onPostgres[0]).toMatchObject({ code: 0, out: ['created account alice'] });
    expect(onPostgres[3]).toMatchObject({
      code: 1,
      err: ['bank-server: an account named alice already exists'],
    });
    expect(onPostgres[4]?.err[0]).toMatch(/^bank-server: password refused/);
    expect(onPostgres[8]).toMatchObject({ code: 1, err: ['bank-server: no account named nobody'] });
    expect(onPostgres.find((s) => s.step === 'accounts close alice')).toMatchObject({
      code: 1,
      err: ['bank-server: alice still holds 2.50; only a zero balance can be closed'],
    });
    expect(JSON.parse(onPostgres.find((s) => s.step === 'accounts close bob --json')?.out[0] ?? '{}')).toMatchObject({
      user: 'bob',
      closed: true,
      anonymisedAs: expect.stringMatching(/^~closed-\d+$/),
    });
    const exported = JSON.parse(onPostgres.find((s) => s.step === 'accounts export alice')?.out.join('\n') ?? '{}');
    expect(exported).toMatchObject({
      user: 'alice',
      role: 'customer',
      balanceCents: 250,
      email: 'alice@example.com',
      phone: '+1 555 0100',
      entries: [{ kind: 'deposit', amountCents: 250 }],
    });
    expect(onPostgres.at(-1)).toMatchObject({ code: 0 });
    // The same operator actions wait for a server's audit log, with who ran them.
    const queued = await queuedActions(postgres);
    expect(queued).toEqual(await queuedActions(sqlite));
    expect(queued.map((a) => a.action)).toEqual([
      'account_create',
      'account_create',
      'account_create',
      'account_lock',
      'account_lock',
      'account_unlock',
      'terminal_enroll',
      'terminal_load',
      'account_close',
      'account_close',
      'account_export',
    ]);
  });

  it('locks in the database at once: another instance sees the lock, the unlock and the close', async () => {
    const other = (await postgres.open()) as PostgresLedger; // a running instance's handle
    try {
      expect(
        (await postgres.run('accounts', 'create', 'erin', '--password', PASSWORD, '--bcrypt-cost', '4')).code,
      ).toBe(0);
      expect((await other.findAccount('erin'))?.locked).toBe(false);
      expect((await postgres.run('accounts', 'lock', 'erin')).out).toEqual(['locked erin']);
      expect(await other.findAccount('erin')).toMatchObject({ locked: true });
      await other.recordFailedLogin((await other.findAccount('erin'))?.id ?? 0, 100);
      expect((await postgres.run('accounts', 'unlock', 'erin')).code).toBe(0);
      expect(await other.findAccount('erin')).toMatchObject({ locked: false, failedLogins: 0 });
      expect((await postgres.run('accounts', 'close', 'erin')).code).toBe(0);
      expect(await other.findAccount('erin')).toBeNull();
      const pending = await other.pendingOperatorActions();
      expect(pending.map((a) => a.detail)).toEqual([
        expect.objectContaining({ action: 'account_create', user: 'erin', osUser: expect.any(String) }),
        expect.objectContaining({ action: 'account_lock', user: 'erin', osHost: expect.any(String) }),
        expect.objectContaining({ action: 'account_unlock', user: 'erin' }),
        expect.objectContaining({ action: 'account_close', user: 'erin', anonymisedAs: expect.any(String) }),
      ]);
    } finally {
      await other.close();
    }
  });

  it('refuses roles on PostgreSQL with ROLES_UNSUPPORTED, changing nothing; SQLite still has them', async () => {
    for (const side of [sqlite, postgres]) {
      expect((await side.run('accounts', 'create', 'frank', '--password', PASSWORD, '--bcrypt-cost', '4')).code).toBe(
        0,
      );
    }
    const line =
      'bank-server: account roles (teller) need a SQLite ledger; the PostgreSQL ledger has no roles column yet';
    expect(await postgres.run('accounts', 'role', 'frank', 'teller')).toEqual({ code: 1, out: [], err: [line] });
    expect(
      await postgres.run(
        'accounts',
        'create',
        'gina',
        '--role',
        'teller',
        '--password',
        PASSWORD,
        '--bcrypt-cost',
        '4',
      ),
    ).toEqual({ code: 1, out: [], err: [line] });
    expect(
      (
        await postgres.run(
          'accounts',
          'create',
          'hugo',
          '--role',
          'customer',
          '--password',
          PASSWORD,
          '--bcrypt-cost',
          '4',
        )
      ).code,
    ).toBe(0);
    await withLedger(postgres, async (ledger) => {
      expect(await ledger.findAccount('gina')).toBeNull();
      expect((await ledger.pendingOperatorActions()).map((a) => a.detail.user)).toEqual(['frank', 'hugo']);
    });
    expect((await sqlite.run('accounts', 'role', 'frank', 'teller')).out).toEqual([
      'frank is now a teller (was customer)',
    ]);
  });

  it('never creates or migrates a schema: a database without one is refused in one line', async () => {
    const empty = await cluster.createDatabase('bare');
    const refused = await runMain({}, ['accounts', 'create', 'ivan', '--bcrypt-cost', '4', '--ledger', empty]);
    expect(refused.code).toBe(1);
    expect(refused.err).toEqual([
      expect.stringMatching(/^bank-server: ledger schema version 0, this program knows \d+ \(run bank-server init\)$/),
    ]);
    const probe = await PostgresLedger.open(empty, { config: DEFAULT_LEDGER_CONFIG, readOnly: true }).catch(
      (error: Error) => error,
    );
    expect(probe).toBeInstanceOf(Error);
    const unreachable = await runMain({}, [
      'accounts',
      'lock',
      'ivan',
      '--ledger',
      empty.replace(/\/[^/]+$/, '/no_such_db'),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toEqual([expect.stringMatching(/^bank-server: .*no_such_db/)]);
    const scheme = await runMain({}, ['accounts', 'lock', 'ivan', '--ledger', 'mysql://u:secret@h/db']);
    expect(scheme).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: --ledger takes sqlite:<file> or postgres://…, not "mysql:…"'],
    });
  });
});

describe('bank-server terminals enroll|revoke|load|unload|count|report --ledger postgres://…', () => {
  let sqlite: Side;
  let postgres: Side;
  beforeEach(async () => {
    sqlite = await sqliteSide();
    postgres = await postgresSide();
  });

  const steps: Step[] = [
    ['terminals', 'enroll', 'ATM-1'],
    ['terminals', 'enroll', 'ATM-2', '--json'],
    ['terminals', 'enroll', 'bad id!'],
    ['accounts', 'create', 'alice', '--password', PASSWORD, '--bcrypt-cost', '4'],
    ['terminals', 'load', 'ATM-1', '500.00'],
    ['terminals', 'load', 'ATM-2', '50.00', '--json'],
    ['terminals', 'unload', 'ATM-2', '60.00'],
    ['terminals', 'unload', 'ATM-2', '10.00'],
    ['terminals', 'load', 'ATM-9', '1.00'],
    ['terminals', 'load', 'ATM-1', '0.00'],
    ['terminals', 'load', 'ATM-1', '1.234'],
    // a deposit of 20.00 and a withdrawal of 5.00 by alice at ATM-1 here (see `between`)
    ['terminals', 'count', 'ATM-1', '515.00'],
    ['terminals', 'count', 'ATM-2', '39.00', '--json'],
    ['terminals', 'count', 'ATM-9', '1.00'],
    ['terminals', 'report'],
    ['terminals', 'report', '--json'],
    ['terminals', 'report', '--day', '2001-01-01', '--json'],
    ['terminals', 'report', '--day', '2001-02-30'],
    ['terminals', 'count', 'ATM-2', '40.00'],
    ['terminals', 'report', '--json'],
    ['terminals', 'revoke', 'ATM-2'],
    ['terminals', 'revoke', 'ATM-2'],
    ['terminals', 'revoke', 'ATM-9'],
    ['terminals', 'load', 'ATM-2', '1.00'],
    ['terminals', 'unload', 'ATM-2', '40.00', '--json'],
    ['terminals', 'enroll', 'ATM-2'],
    ['terminals', 'list', '--json'],
    ['ledger', 'verify'],
  ];
  const cashAfter = steps.findIndex((s) => s[3] === '1.234');

  it('prints the same text and JSON and refuses the same mistakes on both ledgers', async () => {
    const between = (side: Side) => async (index: number) => {
      if (index !== cashAfter) return;
      await deposit(side, 'alice', 'ATM-1', 2000, 'dep-1');
      await withLedger(side, async (ledger) => {
        const account = await ledger.findAccount('alice');
        const atm = await ledger.findTerminal('ATM-1');
        if (!account || !atm) throw new Error('setup');
        const out = await ledger.mutate(
          {
            accountId: account.id,
            user: 'alice',
            nowMs: Date.now(),
            terminal: { id: atm.id, fingerprint: atm.fingerprint },
          },
          { id: 'wd-1', op: 'withdraw', amountCents: 500 },
        );
        if (!out.ok) throw new Error(out.code);
      });
    };
    const onSqlite = await play(sqlite, steps, between(sqlite));
    const onPostgres = await play(postgres, steps, between(postgres));
    expect(onPostgres).toEqual(onSqlite);
    const at = (step: string) => onPostgres.find((s) => s.step === step);
    expect(at('terminals enroll ATM-1')).toMatchObject({
      code: 0,
      out: [
        'enrolled terminal ATM-1 (certificate valid to <time>)',
        'certificate: <dir>/terminals/ATM-1.crt',
        'key:         <dir>/terminals/ATM-1.key',
        'fingerprint: <fingerprint>',
      ],
    });
    expect(at('terminals unload ATM-2 60.00')).toMatchObject({
      code: 1,
      err: ['bank-server: terminal ATM-2 holds only 50.00'],
    });
    expect(at('terminals load ATM-9 1.00')?.err[0]).toMatch(/^bank-server: no terminal named ATM-9/);
    expect(at('terminals count ATM-1 515.00')).toMatchObject({
      code: 0,
      out: ['counted 515.00 in ATM-1; the ledger says 515.00 (matches)'],
    });
    // The first report: ATM-2 counted 1.00 short of its 40.00, so it is not reconciled (exit 1).
    expect(at('terminals report')).toMatchObject({ code: 1, err: ['bank-server: not reconciled: ATM-2'] });
    const first = JSON.parse(
      onPostgres[steps.findIndex((s) => s.join(' ') === 'terminals report --json')]?.out[0] ?? '{}',
    );
    expect(first.terminals).toEqual([
      expect.objectContaining({
        id: 'ATM-1',
        deposits: { count: 1, cents: 2000 },
        withdrawals: { count: 1, cents: 500 },
        loads: { count: 1, cents: 50000 },
        openingCashCents: 0,
        closingCashCents: 51500,
        countedCashCents: 51500,
        differenceCents: 0,
        reconciled: true,
      }),
      expect.objectContaining({
        id: 'ATM-2',
        unloads: { count: 1, cents: 1000 },
        differenceCents: -100,
        reconciled: false,
      }),
    ]);
    expect(first.bank).toMatchObject({ deposits: { count: 1, cents: 2000 }, closingCashCents: 55500 });
    const past = JSON.parse(at('terminals report --day 2001-01-01 --json')?.out[0] ?? '{}');
    expect(past).toMatchObject({ day: '2001-01-01', bank: { loads: { count: 0, cents: 0 }, closingCashCents: 0 } });
    expect(at('terminals report --day 2001-02-30')?.err[0]).toMatch(/^bank-server: not a day: "2001-02-30"/);
    const last = onPostgres.filter((s) => s.step === 'terminals report --json').at(-1);
    expect(last?.code).toBe(0);
    expect(at('terminals load ATM-2 1.00')).toMatchObject({
      code: 1,
      err: ['bank-server: terminal ATM-2 is revoked; unload it only'],
    });
    expect(JSON.parse(at('terminals list --json')?.out[0] ?? '[]')).toMatchObject([
      { id: 'ATM-1', status: 'active', cashCents: 51500 },
      { id: 'ATM-2', status: 'active', cashCents: 0 },
    ]);
    expect(at('ledger verify')?.code).toBe(0);
    const queued = await queuedActions(postgres);
    expect(queued).toEqual(await queuedActions(sqlite));
    expect(queued.filter((a) => String(a.action).startsWith('terminal_')).map((a) => a.action)).toEqual([
      'terminal_enroll',
      'terminal_enroll',
      'terminal_load',
      'terminal_load',
      'terminal_unload',
      'terminal_count',
      'terminal_count',
      'terminal_count',
      'terminal_revoke',
      'terminal_unload',
      'terminal_enroll',
    ]);
  });

  it('a database error is one line naming its cause, and no action is queued for it', async () => {
    expect((await postgres.run('terminals', 'enroll', 'ATM-1')).code).toBe(0);
    expect((await postgres.run('accounts', 'create', 'alice', '--password', PASSWORD, '--bcrypt-cost', '4')).code).toBe(
      0,
    );
    await withLedger(postgres, async (ledger) => {
      const pool = (ledger as PostgresLedger).pool;
      await pool.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$`);
      await pool.query('CREATE TRIGGER refuse BEFORE INSERT ON terminal_counts FOR EACH ROW EXECUTE FUNCTION refuse()');
      await pool.query('CREATE TRIGGER refuse BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION refuse()');
    });
    expect(await postgres.run('terminals', 'count', 'ATM-1', '1.00')).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: the ledger failed (INTERNAL): the disk is on fire'],
    });
    expect(await postgres.run('accounts', 'lock', 'alice')).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: the ledger failed (INTERNAL): the disk is on fire'],
    });
    expect((await queuedActions(postgres)).map((a) => a.action)).toEqual(['terminal_enroll', 'account_create']);
  });

  it('enrolment on PostgreSQL needs a data dir with the terminal CA: it never makes a new one', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'ops-bare-'));
    dirs.push(bare);
    const ca = dataDirPaths(bare).terminalCaCert;
    const refused = await runMain({}, [
      'terminals',
      'enroll',
      'ATM-8',
      '--data-dir',
      bare,
      '--ledger',
      postgres.url ?? '',
    ]);
    expect(refused).toEqual({
      code: 1,
      out: [],
      err: [`bank-server: no terminal CA at ${ca}; pass the --data-dir of an instance of this bank`],
    });
    expect(existsSync(ca)).toBe(false);
    await withLedger(postgres, async (ledger) => expect(await ledger.findTerminal('ATM-8')).toBeNull());
  });

  it('enrolment issues the certificate from the data dir, records its fingerprint in the database', async () => {
    const enrolled = await postgres.run('terminals', 'enroll', 'ATM-7', '--json');
    expect(enrolled.code).toBe(0);
    const { fingerprint, certPath } = JSON.parse(enrolled.out[0] ?? '{}') as { fingerprint: string; certPath: string };
    expect(readFileSync(certPath, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(certPath.startsWith(postgres.dataDir)).toBe(true);
    await withLedger(postgres, async (ledger) => {
      expect(await ledger.findTerminal('ATM-7')).toMatchObject({ status: 'active', fingerprint });
      expect((await postgres.run('terminals', 'revoke', 'ATM-7')).code).toBe(0);
      expect(await ledger.findTerminal('ATM-7')).toMatchObject({ status: 'revoked' });
    });
  });
});
