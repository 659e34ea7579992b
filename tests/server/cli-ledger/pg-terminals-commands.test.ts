import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataDirPaths } from '../../../server/data-dir.js';
import type { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import {
  atTerminal,
  bareDir,
  bothSides,
  PASSWORD,
  playOnBoth,
  postgresClusterForFile,
  queuedActions,
  runMain,
  type Step,
  sameQueuedActions,
  withLedger,
} from './operator-sides.js';

/**
 * `bank-server terminals …` against a SQLite data dir and against `--ledger postgres://…`: the
 * same steps print the same text, JSON and report; enrolment takes the certificate from the data
 * dir's terminal CA and only the record to the database.
 */

postgresClusterForFile();

describe('bank-server terminals enroll|revoke|load|unload|count|report --ledger postgres://…', () => {
  const on = bothSides();

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
    async (side) => {
      await atTerminal(side, 'alice', 'ATM-1', { id: 'dep-1', op: 'deposit', amountCents: 2000 });
      await atTerminal(side, 'alice', 'ATM-1', { id: 'wd-1', op: 'withdraw', amountCents: 500 });
    },
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

  it('prints the same text and JSON and refuses the same mistakes on both ledgers', async () => {
    const onPostgres = await playOnBoth(on, steps);
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
    const first = JSON.parse(at('terminals report --json')?.out[0] ?? '{}');
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
    const queued = await sameQueuedActions(on);
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
    expect((await on.postgres.run('terminals', 'enroll', 'ATM-1')).code).toBe(0);
    expect(
      (await on.postgres.run('accounts', 'create', 'alice', '--password', PASSWORD, '--bcrypt-cost', '4')).code,
    ).toBe(0);
    await withLedger(on.postgres, async (ledger) => {
      const pool = (ledger as PostgresLedger).pool;
      await pool.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$`);
      await pool.query('CREATE TRIGGER refuse BEFORE INSERT ON terminal_counts FOR EACH ROW EXECUTE FUNCTION refuse()');
      await pool.query('CREATE TRIGGER refuse BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION refuse()');
    });
    expect(await on.postgres.run('terminals', 'count', 'ATM-1', '1.00')).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: the ledger failed (INTERNAL): the disk is on fire'],
    });
    expect(await on.postgres.run('accounts', 'lock', 'alice')).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: the ledger failed (INTERNAL): the disk is on fire'],
    });
    expect((await queuedActions(on.postgres)).map((a) => a.action)).toEqual(['terminal_enroll', 'account_create']);
  });

  it('enrolment on PostgreSQL needs a data dir with the terminal CA: it never makes a new one', async () => {
    const bare = bareDir('ops-bare-');
    const ca = dataDirPaths(bare).terminalCaCert;
    const refused = await runMain({}, [
      'terminals',
      'enroll',
      'ATM-8',
      '--data-dir',
      bare,
      '--ledger',
      on.postgres.url ?? '',
    ]);
    expect(refused).toEqual({
      code: 1,
      out: [],
      err: [`bank-server: no terminal CA at ${ca}; pass the --data-dir of an instance of this bank`],
    });
    expect(existsSync(ca)).toBe(false);
    await withLedger(on.postgres, async (ledger) => expect(await ledger.findTerminal('ATM-8')).toBeNull());
  });

  it('enrolment issues the certificate from the data dir, records its fingerprint in the database', async () => {
    const enrolled = await on.postgres.run('terminals', 'enroll', 'ATM-7', '--json');
    expect(enrolled.code).toBe(0);
    const { fingerprint, certPath } = JSON.parse(enrolled.out[0] ?? '{}') as { fingerprint: string; certPath: string };
    expect(readFileSync(certPath, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(certPath.startsWith(on.postgres.dataDir)).toBe(true);
    await withLedger(on.postgres, async (ledger) => {
      expect(await ledger.findTerminal('ATM-7')).toMatchObject({ status: 'active', fingerprint });
      expect((await on.postgres.run('terminals', 'revoke', 'ATM-7')).code).toBe(0);
      expect(await ledger.findTerminal('ATM-7')).toMatchObject({ status: 'revoked' });
    });
  });
});
