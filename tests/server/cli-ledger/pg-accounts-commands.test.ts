import { describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_CONFIG } from '../../../server/ledger/index.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import {
  bothSides,
  deposit,
  PASSWORD,
  playOnBoth,
  postgresClusterForFile,
  runMain,
  type Step,
  sameQueuedActions,
  setContact,
  withLedger,
} from './operator-sides.js';

/**
 * `bank-server accounts …` against a SQLite data dir and against `--ledger postgres://…`: the same
 * steps print the same text and JSON and queue the same operator actions; on PostgreSQL a lock,
 * unlock or close is in the database at once, roles are refused, and no schema is ever made.
 */

const cluster = postgresClusterForFile();

describe('bank-server accounts create|show|lock|unlock|close|export --ledger postgres://…', () => {
  const on = bothSides();

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
    async (side) => {
      await deposit(side, 'alice', 'ATM-1', 250, 'dep-1');
      await setContact(side, 'alice');
    },
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

  it('prints the same text and JSON and refuses the same mistakes on both ledgers', async () => {
    const onPostgres = await playOnBoth(on, steps);
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
    const queued = await sameQueuedActions(on);
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
    const other = (await on.postgres.open()) as PostgresLedger; // a running instance's handle
    try {
      expect(
        (await on.postgres.run('accounts', 'create', 'erin', '--password', PASSWORD, '--bcrypt-cost', '4')).code,
      ).toBe(0);
      expect((await other.findAccount('erin'))?.locked).toBe(false);
      expect((await on.postgres.run('accounts', 'lock', 'erin')).out).toEqual(['locked erin']);
      expect(await other.findAccount('erin')).toMatchObject({ locked: true });
      await other.recordFailedLogin((await other.findAccount('erin'))?.id ?? 0, 100);
      expect((await on.postgres.run('accounts', 'unlock', 'erin')).code).toBe(0);
      expect(await other.findAccount('erin')).toMatchObject({ locked: false, failedLogins: 0 });
      expect((await on.postgres.run('accounts', 'close', 'erin')).code).toBe(0);
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
    for (const side of [on.sqlite, on.postgres]) {
      expect((await side.run('accounts', 'create', 'frank', '--password', PASSWORD, '--bcrypt-cost', '4')).code).toBe(
        0,
      );
    }
    const line =
      'bank-server: account roles (teller) need a SQLite ledger; the PostgreSQL ledger has no roles column yet';
    expect(await on.postgres.run('accounts', 'role', 'frank', 'teller')).toEqual({ code: 1, out: [], err: [line] });
    expect(
      await on.postgres.run(
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
        await on.postgres.run(
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
    await withLedger(on.postgres, async (ledger) => {
      expect(await ledger.findAccount('gina')).toBeNull();
      expect((await ledger.pendingOperatorActions()).map((a) => a.detail.user)).toEqual(['frank', 'hugo']);
    });
    expect((await on.sqlite.run('accounts', 'role', 'frank', 'teller')).out).toEqual([
      'frank is now a teller (was customer)',
    ]);
  });

  it('never creates or migrates a schema: a database without one is refused in one line', async () => {
    const empty = await cluster().createDatabase('bare');
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
