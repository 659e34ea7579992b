import { describe, expect, it } from 'vitest';
import { closedUserName } from '../../../server/ledger/index.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { Bank, freshId } from './bank-under-test.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const fraud = { largeAmountCents: 1000, velocityCount: 3, velocityWindowSec: 60 };

describe.each(BACKENDS)('ledger requests on %s', (kind) => {
  const env = backendEnv(kind);

  describe('idempotency', () => {
    it('replays the original response with replayed:true and changes nothing', async () => {
      const bank = await Bank.open(env);
      const id = freshId();
      const first = await bank.ok('alice', { id, op: 'deposit', amountCents: 700 });
      const again = await bank.mut('alice', { id, op: 'deposit', amountCents: 700 });
      expect(again).toEqual({ ok: true, result: { ...first, replayed: true }, replayed: true, alerts: [] });
      expect(await bank.balanceOf('alice')).toBe(700);
      expect(await bank.ledger.verify()).toMatchObject({ ok: true, entries: 2 });
    });

    it('refuses the same id with other params or another op with IDEMPOTENCY_CONFLICT', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      const id = freshId();
      await bank.ok('alice', { id, op: 'withdraw', amountCents: 100 });
      await bank.expectRefused(bank.mut('alice', { id, op: 'withdraw', amountCents: 101 }), 'IDEMPOTENCY_CONFLICT', {
        alice: 900,
      });
      await bank.expectRefused(bank.mut('alice', { id, op: 'deposit', amountCents: 100 }), 'IDEMPOTENCY_CONFLICT', {
        alice: 900,
      });
      // A replay wins over a malformed retry's other checks, as on every backend.
      await bank.expectRefused(bank.mut('alice', { id, op: 'withdraw', amountCents: -1 }), 'IDEMPOTENCY_CONFLICT', {
        alice: 900,
      });
    });

    it('keeps ids per account and records no id for a refused request', async () => {
      const bank = await Bank.open(env);
      const id = freshId();
      await bank.ok('alice', { id, op: 'deposit', amountCents: 10 });
      expect((await bank.ok('bob', { id, op: 'deposit', amountCents: 20 })).replayed).toBeUndefined();
      const retry = freshId();
      expect(await bank.code('bob', { id: retry, op: 'withdraw', amountCents: 500 })).toBe('INSUFFICIENT_FUNDS');
      expect(await bank.ledger.findApplied(bank.target('bob').accountId, retry)).toBeNull();
      await bank.fund('bob', 480);
      expect(await bank.ok('bob', { id: retry, op: 'withdraw', amountCents: 500 })).toMatchObject({ balanceCents: 0 });
    });

    it('replays transfers and reversals; checkReplay answers without applying', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      const transfer = { id: freshId(), op: 'transfer' as const, amountCents: 100, to: 'bob' };
      const first = await bank.ok('alice', transfer);
      const alice = bank.target('alice').accountId;
      expect(await bank.ledger.checkReplay(alice, transfer)).toMatchObject({ ok: true, replayed: true, result: first });
      expect(await bank.ledger.checkReplay(alice, { ...transfer, to: 'carol' })).toMatchObject({
        ok: false,
        code: 'IDEMPOTENCY_CONFLICT',
      });
      expect(await bank.ledger.checkReplay(alice, { id: freshId(), op: 'deposit', amountCents: 1 })).toBeNull();
      const txId = await bank.withdrawal('alice', 100);
      const reverse = { id: freshId(), op: 'reverse' as const, txId, reason: 'TIMEOUT' as const };
      const reversed = await bank.ok('alice', reverse);
      expect(await bank.ok('alice', reverse)).toEqual({ ...reversed, replayed: true });
      expect([await bank.balanceOf('alice'), await bank.balanceOf('bob')]).toEqual([900, 100]);
    });
  });

  describe('fraud rules', () => {
    it('with alert: applies the request and records the alert', async () => {
      const bank = await Bank.open(env, ['alice'], { config: { fraud, fraudAction: 'alert' } });
      const outcome = await bank.mut('alice', { op: 'deposit', amountCents: 5000 });
      expect(outcome).toMatchObject({
        ok: true,
        alerts: [
          {
            rule: 'LARGE_AMOUNT',
            user: 'alice',
            op: 'deposit',
            detail: 'amount 5000 cents is above the 1000 cents threshold',
          },
        ],
      });
      expect(await bank.ledger.listAlerts()).toMatchObject([
        { rule: 'LARGE_AMOUNT', user: 'alice', amountCents: 5000, blocked: false },
      ]);
    });

    it('with block: FRAUD_HOLD, nothing moved, the alert recorded, no id; VELOCITY over the sliding window', async () => {
      const bank = await Bank.open(env, ['alice', 'bob'], { config: { fraud, fraudAction: 'block' } });
      await bank.fund('alice', 900);
      await bank.fund('alice', 900);
      const id = freshId();
      const held = await bank.mut('alice', { id, op: 'withdraw', amountCents: 1500 });
      await bank.expectRefused(held, 'FRAUD_HOLD', { alice: 1800 });
      expect(held.alerts.map((a) => a.rule)).toEqual(['LARGE_AMOUNT']);
      expect(await bank.ledger.listAlerts()).toMatchObject([{ rule: 'LARGE_AMOUNT', blocked: true, requestId: id }]);
      expect(await bank.ledger.findApplied(bank.target('alice').accountId, id)).toBeNull();
      await bank.withdrawal('alice', 10);
      env.clock.advance(10_000);
      await bank.ok('alice', { op: 'transfer', amountCents: 10, to: 'bob' });
      await bank.fund('alice', 10);
      await bank.withdrawal('alice', 10);
      const fourth = await bank.mut('alice', { op: 'withdraw', amountCents: 10 });
      expect(fourth).toMatchObject({
        ok: false,
        code: 'FRAUD_HOLD',
        alerts: [{ rule: 'VELOCITY', detail: '4 or more withdrawals or transfers within 60 s (limit 3)' }],
      });
      await bank.withdrawal('bob', 1);
      env.clock.advance(50_000);
      await bank.withdrawal('alice', 10);
      expect(await bank.code('alice', { op: 'withdraw', amountCents: 10 })).toBe('FRAUD_HOLD');
      expect((await bank.ledger.verify()).ok).toBe(true);
    });
  });

  describe('account changes', () => {
    it('change_password, update_contact and totp_confirm store only what was prepared', async () => {
      const bank = await Bank.open(env);
      const alice = bank.target('alice').accountId;
      const change = { id: freshId(), op: 'change_password' as const, current: 'x', new: 'y' };
      expect(await bank.code('alice', change)).toBe('INTERNAL');
      expect(await bank.ok('alice', change, { newPasswordHash: '$2b$04$changed' })).toEqual({});
      expect(await bank.mut('alice', change, {})).toMatchObject({ ok: true, replayed: true });
      expect((await bank.ledger.getAccount(alice))?.passwordHash).toBe('$2b$04$changed');
      expect(await bank.code('alice', { op: 'update_contact', email: 'a@example.com' })).toBe('INTERNAL');
      await bank.ok('alice', { op: 'update_contact', email: 'a@example.com' }, { emailSealed: 'v1:email' });
      await bank.ok('alice', { op: 'update_contact', phone: '+1 555 0100' }, { phoneSealed: 'v1:phone' });
      expect(await bank.ledger.getAccount(alice)).toMatchObject({ emailSealed: 'v1:email', phoneSealed: 'v1:phone' });
      expect(JSON.stringify(await bank.ledger.exportAccount('alice'))).not.toContain('a@example.com');
      expect(await bank.code('alice', { op: 'totp_confirm', code: '123456' })).toBe('INVALID_REQUEST');
      await bank.ledger.setTotpPending(alice, 'v1:first');
      await bank.ledger.setTotpPending(alice, 'v1:second');
      expect(await bank.code('alice', { op: 'totp_confirm', code: '123456' }, { totpSecretSealed: 'v1:first' })).toBe(
        'TOTP_INVALID',
      );
      await bank.ok('alice', { op: 'totp_confirm', code: '123456' }, { totpSecretSealed: 'v1:second', totpStep: 42 });
      expect(await bank.ledger.getAccount(alice)).toMatchObject({
        totpEnabled: true,
        totpSecretSealed: 'v1:second',
        totpPendingSealed: null,
        totpLastStep: 42,
      });
      // The replay guard: a step at or before the last used one is refused.
      expect(await bank.ledger.acceptTotpStep(alice, 42)).toBe(false);
      expect(await bank.ledger.acceptTotpStep(alice, 41)).toBe(false);
      expect(await bank.ledger.acceptTotpStep(alice, 43)).toBe(true);
      expect((await bank.ledger.getAccount(alice))?.totpLastStep).toBe(43);
    });

    it('counts failed logins, locks at the threshold, and an unlock clears the count', async () => {
      const bank = await Bank.open(env);
      const alice = bank.target('alice').accountId;
      // Each failure in turn, at a threshold of 3: [count, locked, locked by this failure].
      for (const [failedLogins, locked, justLocked] of [
        [1, false, false],
        [2, false, false],
        [3, true, true],
        [4, true, false],
      ] as const) {
        expect(await bank.ledger.recordFailedLogin(alice, 3)).toEqual({ failedLogins, locked, justLocked });
      }
      expect(await bank.ledger.setLocked('alice', false)).toBe(true);
      expect(await bank.ledger.getAccount(alice)).toMatchObject({ locked: false, failedLogins: 0 });
      await bank.ledger.recordFailedLogin(alice, 3);
      await bank.ledger.resetFailedLogins(alice);
      expect((await bank.ledger.listAccounts()).map((a) => [a.user, a.failedLogins, a.locked])).toEqual([
        ['alice', 0, false],
        ['bob', 0, false],
      ]);
      expect(await bank.ledger.setLocked('nobody', true)).toBe(false);
    });

    it('closes only a zero balance, frees the name, anonymises alerts, refuses later mutations', async () => {
      const bank = await Bank.open(env, ['alice'], { config: { fraud } });
      await bank.fund('alice', 5000);
      expect(await bank.ledger.closeAccount('alice')).toEqual({ ok: false, code: 'NONZERO_BALANCE' });
      await bank.withdrawal('alice', 5000);
      expect(await bank.ledger.closeAccount('alice')).toEqual({ ok: true });
      expect(await bank.ledger.closeAccount('alice')).toEqual({ ok: false, code: 'UNKNOWN_ACCOUNT' });
      expect(await bank.ledger.findAccount('alice')).toBeNull();
      const closedName = closedUserName(bank.target('alice').accountId);
      expect((await bank.ledger.listAlerts()).map((a) => a.user)).toEqual([closedName, closedName]);
      // A session still open on the closed account is refused in the mutation's own transaction.
      for (const body of [
        { op: 'deposit', amountCents: 1 },
        { op: 'transfer', amountCents: 1, to: 'bob' },
        { op: 'change_password', current: 'old-password', new: 'new-password' },
      ] as const) {
        expect(await bank.mut('alice', body, { newPasswordHash: 'h2' })).toMatchObject({
          ok: false,
          code: 'ACCOUNT_LOCKED',
          message: 'this account is closed',
        });
      }
      expect((await bank.ledger.createAccount({ user: 'alice', passwordHash: 'h' })).ok).toBe(true);
      expect(await bank.ledger.createAccount({ user: 'alice', passwordHash: 'h' })).toEqual({
        ok: false,
        code: 'USER_EXISTS',
      });
    });
  });

  describe('retention, operator actions and verify', () => {
    it('prunes applied ids no younger than 24 h', async () => {
      const bank = await Bank.open(env);
      const id = freshId();
      await bank.ok('alice', { id, op: 'deposit', amountCents: 1 });
      env.clock.advance(DAY_MS - 1);
      expect(await bank.ledger.pruneApplied(1000)).toBe(0);
      env.clock.advance(2);
      expect(await bank.ledger.pruneApplied(1000)).toBe(1);
      expect(await bank.ledger.findApplied(bank.target('alice').accountId, id)).toBeNull();
    });

    it('keeps applied ids stamped at or after the run guard (applied-retention.ts), however old by the clock', async () => {
      const bank = await Bank.open(env);
      const id = freshId();
      const stamped = env.clock.now;
      await bank.ok('alice', { id, op: 'deposit', amountCents: 1 });
      env.clock.advance(30 * 3600 * 1000);
      expect(await bank.ledger.pruneApplied(1000, stamped)).toBe(0);
      expect(await bank.ledger.findApplied(bank.target('alice').accountId, id)).not.toBeNull();
      expect(await bank.ledger.pruneApplied(1000, stamped + 1)).toBe(1);
    });

    it('queues operator actions in order until acknowledged', async () => {
      const bank = await Bank.open(env, []);
      await bank.ledger.enqueueOperatorAction({ action: 'lock', user: 'alice' });
      await bank.ledger.enqueueOperatorAction({ action: 'unlock', user: 'alice' });
      const pending = await bank.ledger.pendingOperatorActions();
      expect(pending.map((p) => p.detail)).toEqual([
        { action: 'lock', user: 'alice' },
        { action: 'unlock', user: 'alice' },
      ]);
      expect(pending[0]?.atMs).toBe(env.clock.now);
      await bank.ledger.ackOperatorActions(pending[0]?.id ?? 0);
      expect((await bank.ledger.pendingOperatorActions()).map((p) => p.detail.action)).toEqual(['unlock']);
    });

    it('names a balance that no longer matches its entries, and money that does not sum to 0', async () => {
      const bank = await Bank.open(env);
      await bank.fund('alice', 1000);
      await bank.ok('alice', { op: 'transfer', amountCents: 300, to: 'bob' });
      expect(await bank.ledger.verify()).toEqual({ ok: true, accounts: 2, entries: 4 });
      await env.exec(`UPDATE accounts SET balance_cents = balance_cents + 5 WHERE username = 'bob'`);
      expect(await bank.ledger.verify()).toEqual({
        ok: false,
        fault: 'balance mismatch: account bob has balance 305 but its entries sum to 300',
      });
      await env.exec(
        `UPDATE entries SET amount_cents = amount_cents + 5, balance_after = balance_after + 5 WHERE kind = 'transfer_in'`,
      );
      expect(await bank.ledger.verify()).toMatchObject({
        ok: false,
        fault: expect.stringMatching(/^unbalanced transaction T000000000002/),
      });
    });
  });
});
