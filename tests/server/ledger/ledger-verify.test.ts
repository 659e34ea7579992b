import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLedgerFile } from '../../../server/ledger/index.js';
import { apply, customer, okResult, req, type TempLedger, tempLedger } from './ledger-fixture.js';

let fx: TempLedger;
let aliceId: number;
let txIds: string[];

/** alice: +1000, -300, +50; bob: +20 from alice's transfer. */
beforeEach(() => {
  fx = tempLedger();
  aliceId = customer(fx.store, 'alice');
  customer(fx.store, 'bob');
  txIds = [
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 1000 }))),
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 300 }))),
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 50 }))),
    okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 20, to: 'bob' }))),
  ].map((r) => String(r.txId));
  fx.store.close();
});
afterEach(() => fx.cleanup());

/** Tamper the way an attacker with file access would: a separate raw connection, no rules. */
function tamper(sql: string): void {
  const db = new Database(fx.path);
  db.pragma('foreign_keys = OFF');
  db.exec(sql);
  db.close();
}

const seq = (txId: string) => Number(txId.slice(1));

describe('ledger verify', () => {
  it('passes a clean ledger, from the file and from an open store', () => {
    // Eight entries of customer movements and two of the test terminal's cash load.
    expect(verifyLedgerFile(fx.path)).toEqual({ ok: true, accounts: 2, entries: 10 });
    expect(fx.reopen().verify()).toEqual({ ok: true, accounts: 2, entries: 10 });
  });

  it('names a tampered balance', () => {
    tamper(`UPDATE accounts SET balance_cents = balance_cents + 100 WHERE username = 'alice'`);
    const report = verifyLedgerFile(fx.path);
    expect(report.ok).toBe(false);
    if (!report.ok)
      expect(report.fault).toMatch(/balance mismatch: account alice has balance 830 but its entries sum to 730/);
  });

  it('names a balance past the bound without a contradictory message', () => {
    tamper(`UPDATE accounts SET balance_cents = 9007199254740993 WHERE username = 'alice'`);
    const report = verifyLedgerFile(fx.path);
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.fault).toMatch(/^balance out of range: account alice/);
  });

  it('names a tampered entry amount as a broken chain at that entry', () => {
    tamper(
      `UPDATE entries SET amount_cents = -200 WHERE account_id = ${aliceId} AND tx_seq = ${seq(txIds[1] as string)}`,
    );
    const report = verifyLedgerFile(fx.path);
    expect(report.ok).toBe(false);
    if (!report.ok)
      expect(report.fault).toMatch(new RegExp(`broken balance_after chain: entry ${txIds[1]} of account alice`));
  });

  it('names a broken balance_after chain', () => {
    tamper(
      `UPDATE entries SET balance_after = 999 WHERE account_id = ${aliceId} AND tx_seq = ${seq(txIds[2] as string)}`,
    );
    const report = verifyLedgerFile(fx.path);
    expect(report).toEqual({
      ok: false,
      fault: `broken balance_after chain: entry ${txIds[2]} of account alice says 999 but the entries up to it sum to 750`,
    });
  });

  it('names a deleted entry', () => {
    tamper(`DELETE FROM entries WHERE account_id = ${aliceId} AND tx_seq = ${seq(txIds[0] as string)}`);
    const report = verifyLedgerFile(fx.path);
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.fault).toMatch(/broken balance_after chain/);
  });

  it('names money created on one side only, even when that account is self-consistent', () => {
    // Inflate alice's deposit with her chain and balance kept consistent: only the double entry shows it.
    tamper(`
      UPDATE entries SET amount_cents = amount_cents + 500 WHERE account_id = ${aliceId} AND tx_seq = ${seq(txIds[0] as string)};
      UPDATE entries SET balance_after = balance_after + 500 WHERE account_id = ${aliceId};
      UPDATE accounts SET balance_cents = balance_cents + 500 WHERE id = ${aliceId};
    `);
    expect(verifyLedgerFile(fx.path)).toEqual({
      ok: false,
      fault: `unbalanced transaction ${txIds[0]}: 2 entries summing to 500 for an amount of 1000`,
    });
  });

  it('names money that appeared in an account without entries', () => {
    tamper(
      `INSERT INTO accounts (username, kind, password_hash, created_at, balance_cents) VALUES ('mallory', 'customer', '!', 'x', 5)`,
    );
    expect(verifyLedgerFile(fx.path)).toMatchObject({ ok: false, fault: expect.stringMatching(/mallory/) });
  });

  it('names an entry without a transaction', () => {
    tamper(`
      INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, created_ms) VALUES (999, ${aliceId}, 'deposit', 0, 730, 0);
    `);
    expect(verifyLedgerFile(fx.path)).toEqual({ ok: false, fault: 'entry T000000000999 belongs to no transaction' });
  });

  it('reports a missing or foreign file as a fault, without creating anything', () => {
    const missing = join(fx.dir, 'nope.db');
    expect(verifyLedgerFile(missing)).toEqual({ ok: false, fault: `no ledger at ${missing}` });
    const junk = join(fx.dir, 'junk.db');
    writeFileSync(junk, 'this is not a database at all, not even close'.repeat(20));
    expect(verifyLedgerFile(junk)).toMatchObject({ ok: false, fault: expect.stringMatching(/cannot/) });
  });
});
