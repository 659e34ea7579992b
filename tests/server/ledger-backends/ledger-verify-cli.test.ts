import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_CONFIG } from '../../../server/ledger/index.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { bankServer, pgLedgerWithAlice } from './pg-fixtures.js';

/** The compiled `bank-server ledger verify …`, as an operator runs it. */
function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return bankServer('ledger', 'verify', ...args);
}

describe('bank-server ledger verify --ledger postgres://…', () => {
  const pg = pgLedgerWithAlice('verify_cli');
  const dataDir = mkdtempSync(join(tmpdir(), 'verify-cli-'));

  beforeAll(async () => {
    await pg.ledger.mutate(pg.alice, { id: 'd1', op: 'deposit', amountCents: 1000 });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says OK for a clean ledger and names the first fault with exit 1, without a data dir', async () => {
    expect(await verify('--ledger', pg.url, '--data-dir', dataDir)).toMatchObject({
      code: 0,
      stdout: 'ledger OK: 1 accounts, 2 entries, balances sum to 0\n',
    });
    const json = await verify('--ledger', pg.url, '--json');
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, accounts: 1, entries: 2 });
    await pg.ledger.pool.query(`UPDATE accounts SET balance_cents = 5 WHERE username = 'alice'`);
    const bad = await verify('--ledger', pg.url);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'bank-server: ledger verify FAILED: balance mismatch: account alice has balance 5 but its entries sum to 1000',
    );
    await pg.ledger.pool.query(`UPDATE accounts SET balance_cents = 1000 WHERE username = 'alice'`);
  });

  it('reports an unreachable database or an unknown scheme in one line, never a stack trace', async () => {
    const missing = await verify('--ledger', pg.url.replace(/\/[^/]+$/, '/no_such_db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^bank-server: ledger verify FAILED: cannot read the ledger: .*no_such_db/);
    const scheme = await verify('--ledger', 'mysql://user:secret@host/db');
    expect(scheme.code).not.toBe(0);
    expect(scheme.stderr.trim().split('\n')).toHaveLength(1);
    expect(scheme.stderr).not.toContain('secret');
  });

  it('lists accounts, terminals and alerts of a --ledger postgres://… read-only, without a data dir', async () => {
    const accounts = await bankServer('accounts', 'list', '--ledger', pg.url, '--json', '--data-dir', dataDir);
    expect(accounts.code).toBe(0);
    expect(JSON.parse(accounts.stdout)).toEqual(JSON.parse(JSON.stringify(await pg.ledger.listAccounts())));
    expect(JSON.parse(accounts.stdout)).toMatchObject([{ user: 'alice', balanceCents: 1000 }]);
    const terminals = await bankServer('terminals', 'list', '--ledger', pg.url, '--json');
    expect(JSON.parse(terminals.stdout)).toMatchObject([{ id: 'ATM-1', status: 'active', cashCents: 1000 }]);
    const alerts = await bankServer('alerts', '--ledger', pg.url, '--json');
    expect(JSON.parse(alerts.stdout)).toEqual(JSON.parse(JSON.stringify(await pg.ledger.listAlerts())));
    // Read-only: an empty database is refused, not migrated.
    const empty = await pg.cluster.createDatabase('empty');
    const refused = await bankServer('accounts', 'list', '--ledger', empty);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^bank-server: ledger schema version 0, this program knows \d+/);
    const probe = await PostgresLedger.open(empty, { config: DEFAULT_LEDGER_CONFIG, readOnly: true }).catch(
      (error: Error) => error,
    );
    expect(probe).toBeInstanceOf(Error);
  });
});
