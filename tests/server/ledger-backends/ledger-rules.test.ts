import { describe, expect, it } from 'vitest';
import { TX_ID_PATTERN } from '../../../protocol/index.js';
import { closedUserName } from '../../../server/ledger/index.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { Bank } from './bank-under-test.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(BACKENDS)('ledger rules on %s', (kind) => {
  const env = backendEnv(kind);

  describe('deposit and withdraw', () => {
    it('deposits with a T+12-digit txId, double entry against the vault', async () => {
      const bank = await Bank.open(env);
      const result = await bank.ok('alice', { op: 'deposit', amountCents: 12_345 });
      expect(result).toEqual({ balanceCents: 12_345, txId: 'T000000000001' });
      expect(String(result.txId)).toMatch(TX_ID_PATTERN);
      expect(await bank.ok('alice', { op: 'deposit', amountCents: 5 })).toEqual({
        balanceCents: 12_350,
        txId: 'T000000000002',
      });
      expect(await bank.ledger.verify()).toEqual({ ok: true, accounts: 2, entries: 4 });
    });

    it('withdraws within the balance and refuses an overdraft with INSUFFICIENT_FUNDS', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      expect(await bank.ok('alice', { op: 'withdraw', amountCents: 400 })).toMatchObject({ balanceCents: 600 });
      await bank.expectRefused(bank.mut('alice', { op: 'withdraw', amountCents: 601 }), 'INSUFFICIENT_FUNDS', {
        alice: 600,
      });
      expect(await bank.ok('alice', { op: 'withdraw', amountCents: 600 })).toMatchObject({ balanceCents: 0 });
    });

    it('refuses amounts above maxAmountCents, zero, negative or fractional with INVALID_AMOUNT', async () => {
      const bank = await Bank.open(env, ['alice', 'bob'], { config: { maxAmountCents: 5000 } });
      await bank.fund('alice', 5000);
      for (const amountCents of [5001, 0, -5, 1.5, Number.NaN]) {
        for (const op of ['deposit', 'withdraw'] as const) {
          await bank.expectRefused(bank.mut('alice', { op, amountCents }), 'INVALID_AMOUNT', { alice: 5000 });
        }
        await bank.expectRefused(bank.mut('alice', { op: 'transfer', amountCents, to: 'bob' }), 'INVALID_AMOUNT', {
          alice: 5000,
          bob: 0,
        });
      }
    });

    it('enforces the daily withdrawal limit per UTC day; transfers do not count; a new day resets it', async () => {
      const bank = await Bank.open(env, ['alice', 'bob'], { config: { dailyWithdrawalLimitCents: 1000 } });
      await bank.fund('alice', 100_000);
      await bank.withdrawal('alice', 600);
      const refused = await bank.mut('alice', { op: 'withdraw', amountCents: 401 });
      expect(refused).toMatchObject({
        ok: false,
        code: 'LIMIT_EXCEEDED',
        message: 'daily withdrawal limit reached; 400 cents left today',
      });
      await bank.withdrawal('alice', 400);
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 1 })).toBe('LIMIT_EXCEEDED');
      await bank.ok('alice', { op: 'transfer', amountCents: 5000, to: 'bob' });
      expect(await bank.ledger.withdrawnOn(bank.target('alice').accountId, '2026-03-10')).toBe(1000);
      env.clock.now = Date.UTC(2026, 2, 10, 23, 59, 59);
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 1 })).toBe('LIMIT_EXCEEDED');
      env.clock.now = Date.UTC(2026, 2, 11, 0, 0, 1);
      await bank.withdrawal('alice', 1000);
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 1 })).toBe('LIMIT_EXCEEDED');
      env.clock.advance(DAY_MS);
      await bank.withdrawal('alice', 1);
    });
  });

  describe('transfer', () => {
    it('moves money between customers and shows both sides in history', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      const result = await bank.ok('alice', { op: 'transfer', amountCents: 250, to: 'bob' });
      expect(result).toMatchObject({ balanceCents: 750 });
      expect(await bank.balanceOf('bob')).toBe(250);
      // Each side's newest entry is its leg of the transfer.
      const legs = [
        { user: 'bob', kind: 'transfer_in', amountCents: 250, balanceAfterCents: 250, counterparty: 'alice' },
        { user: 'alice', kind: 'transfer_out', amountCents: -250, balanceAfterCents: 750, counterparty: 'bob' },
      ];
      for (const { user, ...leg } of legs) {
        expect((await bank.historyOf(user)).entries[0]).toMatchObject({ txId: result.txId, ...leg });
      }
      expect((await bank.historyOf('alice')).entries.map((e) => e.kind)).toEqual(['transfer_out', 'deposit']);
      const page = await bank.historyOf('alice', 1);
      expect(page.next).toBe(result.txId);
      const older = await bank.historyOf('alice', 1, page.next ?? undefined);
      expect(older).toMatchObject({ entries: [{ kind: 'deposit' }], next: null });
      expect(await bank.ledger.history(bank.target('bob').accountId, 1, 'T000000000001')).toEqual({
        error: 'UNKNOWN_TX',
      });
    });

    it('refuses a missing, closed or system target with UNKNOWN_ACCOUNT, itself with SAME_ACCOUNT', async () => {
      const bank = await Bank.open(env, ['alice', 'bob', 'carol']);
      await bank.fund('alice', 1000);
      expect(await bank.ledger.closeAccount('carol')).toEqual({ ok: true });
      const before = { alice: 1000, bob: 0 };
      const closed = closedUserName(bank.target('carol').accountId);
      for (const to of ['nobody', 'carol', '~vault', closed]) {
        await bank.expectRefused(bank.mut('alice', { op: 'transfer', amountCents: 1, to }), 'UNKNOWN_ACCOUNT', before);
      }
      await bank.expectRefused(
        bank.mut('alice', { op: 'transfer', amountCents: 1, to: 'alice' }),
        'SAME_ACCOUNT',
        before,
      );
      await bank.expectRefused(
        bank.mut('alice', { op: 'transfer', amountCents: 1001, to: 'bob' }),
        'INSUFFICIENT_FUNDS',
        before,
      );
    });
  });

  describe('reverse', () => {
    it('credits a withdrawal back once, with its own txId and reversedTxId', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      const txId = await bank.withdrawal('alice', 300);
      const result = await bank.ok('alice', { op: 'reverse', txId, reason: 'NOT_DISPENSED' });
      expect(result).toEqual({ balanceCents: 1000, txId: 'T000000000003', reversedTxId: txId });
      await bank.expectRefused(bank.mut('alice', { op: 'reverse', txId, reason: 'TIMEOUT' }), 'NOT_REVERSIBLE', {
        alice: 1000,
      });
    });

    it('refuses after the reversal window with NOT_REVERSIBLE', async () => {
      const bank = await Bank.open(env, ['alice'], { config: { reversalWindowSec: 60 } });
      await bank.fund('alice', 1000);
      const late = await bank.withdrawal('alice', 300);
      env.clock.advance(60_000);
      const inTime = await bank.withdrawal('alice', 100);
      env.clock.advance(1);
      await bank.expectRefused(bank.mut('alice', { op: 'reverse', txId: late, reason: 'TIMEOUT' }), 'NOT_REVERSIBLE', {
        alice: 600,
      });
      await bank.ok('alice', { op: 'reverse', txId: inTime, reason: 'TIMEOUT' });
    });

    it('refuses anything but a withdrawal of this account with UNKNOWN_TX', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      await bank.fund('bob', 1000);
      const deposit = String((await bank.ok('alice', { op: 'deposit', amountCents: 1 })).txId);
      const bobs = await bank.withdrawal('bob', 10);
      const transfer = String((await bank.ok('alice', { op: 'transfer', amountCents: 1, to: 'bob' })).txId);
      const mine = await bank.withdrawal('alice', 5);
      const reversal = String(
        (await bank.ok('alice', { op: 'reverse', txId: mine, reason: 'CUSTOMER_CANCELLED' })).txId,
      );
      const before = { alice: await bank.balanceOf('alice'), bob: await bank.balanceOf('bob') };
      for (const txId of [deposit, bobs, transfer, reversal, 'T000000999999', 'T000000000000', 'bogus']) {
        await bank.expectRefused(bank.mut('alice', { op: 'reverse', txId, reason: 'TIMEOUT' }), 'UNKNOWN_TX', before);
      }
    });

    it("gives the amount back to the day's limit, but not for yesterday's withdrawal", async () => {
      const bank = await Bank.open(env, ['alice'], { config: { dailyWithdrawalLimitCents: 1000 } });
      await bank.fund('alice', 100_000);
      const txId = await bank.withdrawal('alice', 1000);
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 1 })).toBe('LIMIT_EXCEEDED');
      await bank.ok('alice', { op: 'reverse', txId, reason: 'NOT_DISPENSED' });
      await bank.withdrawal('alice', 1000);
      env.clock.now = Date.UTC(2026, 2, 11, 23, 58, 0);
      const late = await bank.withdrawal('alice', 500);
      env.clock.now = Date.UTC(2026, 2, 12, 0, 1, 0);
      await bank.withdrawal('alice', 1000);
      await bank.ok('alice', { op: 'reverse', txId: late, reason: 'TIMEOUT' });
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 1 })).toBe('LIMIT_EXCEEDED');
    });
  });
});
