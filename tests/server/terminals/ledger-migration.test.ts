import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/program.js';
import { dataDirPaths } from '../../../server/data-dir.js';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  findTerminal,
  type LedgerStore,
  openLedger,
  SCHEMA_VERSION,
  verifyLedgerFile,
} from '../../../server/ledger/index.js';
import { prepareDataDir } from '../../../server/setup/prepare-data-dir.js';
import { enrolTerminal } from '../ledger/ledger-fixture.js';

/** Made by the single-vault code (see tests/fixtures/ledger-before-terminals.md). */
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'ledger-before-terminals.db');
const ATM = { id: 'ATM-0001', fingerprint: 'AA:BB' };

let dir: string;
let ledgerPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'terminal-migration-'));
  ledgerPath = join(dir, 'ledger.db');
  copyFileSync(FIXTURE, ledgerPath);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(store: LedgerStore, user: string, request: Record<string, unknown>, terminal = ATM) {
  const account = store.findAccount(user);
  if (!account) throw new Error(`no ${user}`);
  return applyMutation(
    store,
    { accountId: account.id, user, nowMs: Date.now(), config: DEFAULT_LEDGER_CONFIG, terminal },
    { id: `m-${Math.random().toString(36).slice(2)}`, ...request } as never,
  );
}

async function ledgerVerifyCli(): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'bank-server', 'ledger', 'verify', '--data-dir', dir], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
  });
  return { code, out, err };
}

describe('a ledger from before terminals, after the upgrade', () => {
  it('keeps every entry valid: `ledger verify` is clean and the balances are unchanged', async () => {
    const raw = new Database(ledgerPath, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(3);
    raw.close();
    const store = openLedger(ledgerPath);
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(store.verify()).toEqual({ ok: true, accounts: 2, entries: 14 });
      expect(store.listAccounts().map((a) => [a.user, a.balanceCents])).toEqual([
        ['alice', 132_655],
        ['bob', 42_345],
      ]);
      // Old entries name no terminal.
      const alice = store.findAccount('alice');
      const history = store.history(alice?.id ?? -1, 100);
      if ('error' in history) throw new Error('history');
      expect(history.entries.map((e) => e.terminal)).toEqual(history.entries.map(() => null));
    } finally {
      store.close();
    }
    expect(verifyLedgerFile(ledgerPath)).toMatchObject({ ok: true });
    expect(await ledgerVerifyCli()).toMatchObject({ code: 0, out: [expect.stringMatching(/^ledger OK/)] });
  });

  it('moves cash through terminals afterwards and stays clean; a withdrawal from before terminals is reversible at none', () => {
    const store = openLedger(ledgerPath);
    try {
      enrolTerminal(store, ATM, 50_000, Date.now());
      expect(run(store, 'bob', { op: 'deposit', amountCents: 1_000 })).toMatchObject({ ok: true });
      expect(run(store, 'alice', { op: 'withdraw', amountCents: 20_000 })).toMatchObject({ ok: true });
      expect(findTerminal(store, ATM.id)?.cashCents).toBe(31_000);
      const oldWithdrawal = store.history(store.findAccount('bob')?.id ?? -1, 100);
      if ('error' in oldWithdrawal) throw new Error('history');
      const before = oldWithdrawal.entries.find((e) => e.kind === 'withdrawal' && e.terminal === null);
      expect(before).toBeDefined();
      expect(run(store, 'bob', { op: 'reverse', txId: before?.txId, reason: 'NOT_DISPENSED' })).toMatchObject({
        ok: false,
        code: 'UNKNOWN_TX',
      });
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  });

  it('an existing data dir gets its terminal CA on the next start; the server CA stays', async () => {
    const dataDir = join(dir, 'data');
    await prepareDataDir(dataDir);
    const paths = dataDirPaths(dataDir);
    const serverCa = await readFile(paths.caCert, 'utf8');
    await rm(paths.terminalCaCert);
    await rm(paths.terminalCaKey);
    const again = await prepareDataDir(dataDir);
    expect(again.created).toBe(true);
    expect(again.tls.terminalCaCert).toBe(await readFile(paths.terminalCaCert, 'utf8'));
    expect(again.tls.terminalCaCert).not.toBe(serverCa);
    expect(await readFile(paths.caCert, 'utf8')).toBe(serverCa);
  });
});

describe('enrolment in an upgraded data dir no server has started yet', () => {
  it('makes the terminal CA first, then issues from it', async () => {
    const dataDir = join(dir, 'old');
    await prepareDataDir(dataDir);
    const paths = dataDirPaths(dataDir);
    await rm(paths.terminalCaCert);
    await rm(paths.terminalCaKey);
    copyFileSync(FIXTURE, paths.ledgerDb);
    const err: string[] = [];
    const code = await main(['node', 'bank-server', 'terminals', 'enroll', 'ATM-0001', '--data-dir', dataDir], {
      out: () => {},
      err: (l) => err.push(l),
      env: {},
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const ca = new X509Certificate(await readFile(paths.terminalCaCert));
    const cert = new X509Certificate(await readFile(join(paths.terminalsDir, 'ATM-0001.crt')));
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(verifyLedgerFile(paths.ledgerDb)).toMatchObject({ ok: true });
  });
});

describe('ledger verify checks every terminal position', () => {
  it('names a terminal whose cash went negative, even when every entry is balanced', () => {
    const store = openLedger(ledgerPath);
    const alice = store.findAccount('alice')?.id ?? -1;
    enrolTerminal(store, ATM, 1_000, Date.now());
    const cash = findTerminal(store, ATM.id)?.accountId ?? -1;
    store.close();
    // A withdrawal of 50.00 from a machine holding 10.00, written past the rules and the CHECK.
    const raw = new Database(ledgerPath);
    raw.pragma('ignore_check_constraints = ON');
    raw.transaction(() => {
      const seq = Number(
        raw
          .prepare(
            `INSERT INTO transactions (kind, account_id, amount_cents, created_ms, terminal) VALUES ('withdrawal', ?, 5000, ?, ?)`,
          )
          .run(alice, Date.now(), ATM.id).lastInsertRowid,
      );
      for (const [account, delta] of [
        [alice, -5_000],
        [cash, 5_000],
      ] as const) {
        const after = raw
          .prepare('UPDATE accounts SET balance_cents = balance_cents + ? WHERE id = ? RETURNING balance_cents')
          .pluck()
          .get(delta, account) as number;
        raw
          .prepare(
            `INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, created_ms) VALUES (?, ?, 'withdrawal', ?, ?, ?)`,
          )
          .run(seq, account, delta, after, Date.now());
      }
    })();
    raw.close();
    expect(verifyLedgerFile(ledgerPath)).toEqual({
      ok: false,
      fault: 'negative cash position: terminal ATM-0001 holds -4000 cents',
    });
  });

  it('the schema itself refuses a terminal balance above 0 (a negative position)', () => {
    const store = openLedger(ledgerPath);
    try {
      enrolTerminal(store, ATM, 1_000, Date.now());
      const cash = findTerminal(store, ATM.id)?.accountId ?? -1;
      expect(() => store.database.prepare('UPDATE accounts SET balance_cents = 1 WHERE id = ?').run(cash)).toThrow(
        /CHECK constraint failed/,
      );
    } finally {
      store.close();
    }
  });
});
