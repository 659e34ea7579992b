import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../server/ledger/index.js';
import { runMain } from './operator-sides.js';

/** `--ledger sqlite:<file>` / BANK_LEDGER_URL on the write commands: another SQLite file than the data dir's. */

let dir: string;
let ledgerFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-target-'));
  ledgerFile = join(dir, 'elsewhere.db');
  openLedger(ledgerFile).close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bankServer = (env: NodeJS.ProcessEnv, ...args: string[]) => runMain(env, args);

describe('--ledger sqlite:<file> on the commands that change the ledger', () => {
  it('creates and locks in that file, not in a data dir', async () => {
    const dataDir = join(dir, 'no-data-dir-here');
    const url = `sqlite:${ledgerFile}`;
    expect(
      await bankServer(
        {},
        'accounts',
        'create',
        'alice',
        '--password',
        'Correct-Horse-9',
        '--bcrypt-cost',
        '4',
        '--ledger',
        url,
        '--data-dir',
        dataDir,
      ),
    ).toEqual({ code: 0, out: ['created account alice'], err: [] });
    expect(await bankServer({ BANK_LEDGER_URL: url }, 'accounts', 'lock', 'alice', '--data-dir', dataDir)).toEqual({
      code: 0,
      out: ['locked alice'],
      err: [],
    });
    const store = openLedger(ledgerFile);
    try {
      expect(store.findAccount('alice')).toMatchObject({ locked: true });
      expect(store.pendingOperatorActions().map((a) => a.detail.action)).toEqual(['account_create', 'account_lock']);
    } finally {
      store.close();
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a missing file instead of creating an empty ledger there, and an unknown scheme', async () => {
    const missing = join(dir, 'missing.db');
    expect(await bankServer({}, 'accounts', 'lock', 'alice', '--ledger', `sqlite:${missing}`)).toEqual({
      code: 1,
      out: [],
      err: [`bank-server: no ledger at ${missing}; run \`bank-server init\``],
    });
    expect(existsSync(missing)).toBe(false);
    expect(await bankServer({ BANK_LEDGER_URL: 'redis://h/0' }, 'terminals', 'revoke', 'ATM-1')).toEqual({
      code: 1,
      out: [],
      err: ['bank-server: --ledger takes sqlite:<file> or postgres://…, not "redis:…"'],
    });
  });
});
