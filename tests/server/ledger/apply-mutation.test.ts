import { describe, expect, it } from 'vitest';
import { TX_ID_PATTERN } from '../../../protocol/index.js';
import {
  applyMutation,
  checkReplay,
  closedUserName,
  findTerminal,
  MAX_BALANCE_CENTS,
  type MutationOutcome,
} from '../../../server/ledger/index.js';
import {
  apply,
  codeOf,
  config,
  customer,
  eachTempLedger,
  okResult,
  req,
  TEST_TERMINAL,
  TEST_TERMINAL_CASH,
} from './ledger-fixture.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const fx = eachTempLedger('alice', 'bob');

function balanceOf(user: string): number {
  const account = fx.store.findAccount(user);
  if (!account) throw new Error(`no ${user}`);
  return fx.store.balance(account.id);
}

function fund(user: string, cents: number): void {
  okResult(apply(fx, user, req({ op: 'deposit', amountCents: cents })));
}

/** Refused, with no balance moved anywhere and the ledger still consistent. */
function expectRefused(outcome: MutationOutcome, code: string, before: Record<string, number>): void {
  expect(codeOf(outcome)).toBe(code);
  for (const [user, cents] of Object.entries(before)) expect(balanceOf(user)).toBe(cents);
  expect(fx.store.verify().ok).toBe(true);
}

describe('deposit and withdraw', () => {
  it("deposits: returns balance and a T+12-digit txId, double entry against the terminal's cash", () => {
    // T000000000001 is the test terminal's cash load.
    const result = okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 12_345 })));
    expect(result).toEqual({ balanceCents: 12_345, txId: 'T000000000002' });
    expect(String(result.txId)).toMatch(TX_ID_PATTERN);
    const second = okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 5 })));
    expect(second).toEqual({ balanceCents: 12_350, txId: 'T000000000003' });
    expect(fx.store.verify()).toEqual({ ok: true, accounts: 2, entries: 6 });
    expect(findTerminal(fx.store, TEST_TERMINAL.id)?.cashCents).toBe(TEST_TERMINAL_CASH + 12_350);
  });

  it('withdraws within the balance and refuses an overdraft with INSUFFICIENT_FUNDS', () => {
    fund('alice', 1000);
    expect(okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 400 })))).toMatchObject({
      balanceCents: 600,
    });
    expectRefused(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 601 })), 'INSUFFICIENT_FUNDS', { alice: 600 });
    expect(okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 600 })))).toMatchObject({ balanceCents: 0 });
  });

  it('refuses amounts above maxAmountCents, zero, negative or fractional with INVALID_AMOUNT', () => {
    fund('alice', 10_000);
    const cfg = config({ maxAmountCents: 5000 });
    for (const amountCents of [5001, 0, -5, 1.5, Number.NaN]) {
      for (const op of ['deposit', 'withdraw'] as const) {
        expectRefused(apply(fx, 'alice', req({ op, amountCents }), { config: cfg }), 'INVALID_AMOUNT', {
          alice: 10_000,
        });
      }
      expectRefused(
        apply(fx, 'alice', req({ op: 'transfer', amountCents, to: 'bob' }), { config: cfg }),
        'INVALID_AMOUNT',
        { alice: 10_000, bob: 0 },
      );
    }
    expect(okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 5000 }), { config: cfg }))).toMatchObject({
      balanceCents: 15_000,
    });
  });

  it('enforces the daily withdrawal limit per UTC day with LIMIT_EXCEEDED', () => {
    fund('alice', 100_000);
    const cfg = config({ dailyWithdrawalLimitCents: 1000 });
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 600 }), { config: cfg }));
    expectRefused(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 401 }), { config: cfg }), 'LIMIT_EXCEEDED', {
      alice: 99_400,
    });
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 400 }), { config: cfg }));
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }))).toBe('LIMIT_EXCEEDED');
    // Transfers are not withdrawals: they do not count against the limit.
    okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 5000, to: 'bob' }), { config: cfg }));
    // A new UTC day starts a new allowance.
    fx.clock.advance(DAY_MS);
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1000 }), { config: cfg }));
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }))).toBe('LIMIT_EXCEEDED');
  });

  it('resets the allowance at UTC midnight, not 24 h after the first withdrawal', () => {
    fund('alice', 100_000);
    const cfg = config({ dailyWithdrawalLimitCents: 1000 });
    fx.clock.now = Date.UTC(2026, 2, 10, 23, 59, 0);
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1000 }), { config: cfg }));
    fx.clock.now = Date.UTC(2026, 2, 11, 0, 0, 1);
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1000 }), { config: cfg }));
  });
});

describe('transfer', () => {
  it('moves money between customers and shows both sides in history', () => {
    fund('alice', 1000);
    const result = okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 250, to: 'bob' })));
    expect(result).toMatchObject({ balanceCents: 750 });
    expect(balanceOf('bob')).toBe(250);
    const bob = fx.store.findAccount('bob');
    const alice = fx.store.findAccount('alice');
    if (!bob || !alice) throw new Error('missing');
    const bobHistory = fx.store.history(bob.id, 10);
    const aliceHistory = fx.store.history(alice.id, 10);
    if ('error' in bobHistory || 'error' in aliceHistory) throw new Error('history failed');
    expect(bobHistory.entries[0]).toMatchObject({
      txId: result.txId,
      kind: 'transfer_in',
      amountCents: 250,
      balanceAfterCents: 250,
      counterparty: 'alice',
    });
    expect(aliceHistory.entries[0]).toMatchObject({
      txId: result.txId,
      kind: 'transfer_out',
      amountCents: -250,
      balanceAfterCents: 750,
      counterparty: 'bob',
    });
    expect(fx.store.verify().ok).toBe(true);
  });

  it('refuses a missing, closed or system target with UNKNOWN_ACCOUNT and itself with SAME_ACCOUNT', () => {
    fund('alice', 1000);
    const carolId = customer(fx.store, 'carol');
    expect(fx.store.closeAccount('carol')).toEqual({ ok: true });
    const before = { alice: 1000, bob: 0 };
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'nobody' })), 'UNKNOWN_ACCOUNT', before);
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'carol' })), 'UNKNOWN_ACCOUNT', before);
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: '~vault' })), 'UNKNOWN_ACCOUNT', before);
    const closedName = closedUserName(carolId);
    expect(fx.store.listAccounts().map((a) => a.user)).toContain(closedName);
    expectRefused(
      apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: closedName })),
      'UNKNOWN_ACCOUNT',
      before,
    );
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'alice' })), 'SAME_ACCOUNT', before);
    expectRefused(
      apply(fx, 'alice', req({ op: 'transfer', amountCents: 1001, to: 'bob' })),
      'INSUFFICIENT_FUNDS',
      before,
    );
  });
});

describe('reverse', () => {
  function withdrawal(user: string, cents: number, cfg = config()): string {
    return String(okResult(apply(fx, user, req({ op: 'withdraw', amountCents: cents }), { config: cfg })).txId);
  }

  it('credits the withdrawal back once, with its own txId and reversedTxId', () => {
    fund('alice', 1000);
    const txId = withdrawal('alice', 300);
    const result = okResult(apply(fx, 'alice', req({ op: 'reverse', txId, reason: 'NOT_DISPENSED' })));
    expect(result).toEqual({ balanceCents: 1000, txId: 'T000000000004', reversedTxId: txId });
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    const history = fx.store.history(alice.id, 1);
    if ('error' in history) throw new Error('history failed');
    expect(history.entries[0]).toMatchObject({ kind: 'reversal', amountCents: 300, balanceAfterCents: 1000 });
    expectRefused(apply(fx, 'alice', req({ op: 'reverse', txId, reason: 'TIMEOUT' })), 'NOT_REVERSIBLE', {
      alice: 1000,
    });
  });

  it('refuses after the reversal window with NOT_REVERSIBLE', () => {
    fund('alice', 1000);
    const cfg = config({ reversalWindowSec: 60 });
    const txId = withdrawal('alice', 300, cfg);
    fx.clock.advance(60_000);
    const inTime = withdrawal('alice', 100, cfg);
    fx.clock.advance(1);
    expectRefused(
      apply(fx, 'alice', req({ op: 'reverse', txId, reason: 'TIMEOUT' }), { config: cfg }),
      'NOT_REVERSIBLE',
      { alice: 600 },
    );
    okResult(apply(fx, 'alice', req({ op: 'reverse', txId: inTime, reason: 'TIMEOUT' }), { config: cfg }));
  });

  it('refuses anything but a withdrawal of this account with UNKNOWN_TX', () => {
    fund('alice', 1000);
    fund('bob', 1000);
    const deposit = String(okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 1 }))).txId);
    const bobs = withdrawal('bob', 10);
    const transfer = String(okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'bob' }))).txId);
    const mine = withdrawal('alice', 5);
    const reversal = String(
      okResult(apply(fx, 'alice', req({ op: 'reverse', txId: mine, reason: 'CUSTOMER_CANCELLED' }))).txId,
    );
    const before = { alice: balanceOf('alice'), bob: balanceOf('bob') };
    for (const txId of [deposit, bobs, transfer, reversal, 'T000000999999', 'T000000000000', 'bogus']) {
      expectRefused(apply(fx, 'alice', req({ op: 'reverse', txId, reason: 'TIMEOUT' })), 'UNKNOWN_TX', before);
    }
  });

  it('gives the reversed amount back to the daily withdrawal limit', () => {
    fund('alice', 100_000);
    const cfg = config({ dailyWithdrawalLimitCents: 1000 });
    const txId = withdrawal('alice', 1000, cfg);
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }))).toBe('LIMIT_EXCEEDED');
    okResult(apply(fx, 'alice', req({ op: 'reverse', txId, reason: 'NOT_DISPENSED' }), { config: cfg }));
    withdrawal('alice', 1000, cfg);
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }))).toBe('LIMIT_EXCEEDED');
  });

  it("does not credit today's allowance for reversing yesterday's withdrawal", () => {
    fund('alice', 100_000);
    const cfg = config({ dailyWithdrawalLimitCents: 1000, reversalWindowSec: 600 });
    fx.clock.now = Date.UTC(2026, 2, 10, 23, 58, 0);
    const late = withdrawal('alice', 500, cfg);
    fx.clock.now = Date.UTC(2026, 2, 11, 0, 1, 0);
    withdrawal('alice', 1000, cfg);
    okResult(apply(fx, 'alice', req({ op: 'reverse', txId: late, reason: 'TIMEOUT' }), { config: cfg }));
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }))).toBe('LIMIT_EXCEEDED');
  });
});

describe('idempotency', () => {
  it('replays the original response with replayed:true and changes nothing', () => {
    const request = req({ op: 'deposit', amountCents: 700 });
    const first = okResult(apply(fx, 'alice', request));
    const again = apply(fx, 'alice', { ...request });
    expect(again).toEqual({ ok: true, result: { ...first, replayed: true }, replayed: true, alerts: [] });
    expect(balanceOf('alice')).toBe(700);
    expect(fx.store.verify()).toMatchObject({ ok: true, entries: 4 }); // the terminal's load and the deposit
  });

  it('refuses the same id with other params or another op with IDEMPOTENCY_CONFLICT', () => {
    fund('alice', 1000);
    const request = req({ op: 'withdraw', amountCents: 100 });
    okResult(apply(fx, 'alice', request));
    expectRefused(apply(fx, 'alice', { id: request.id, op: 'withdraw', amountCents: 101 }), 'IDEMPOTENCY_CONFLICT', {
      alice: 900,
    });
    expectRefused(apply(fx, 'alice', { id: request.id, op: 'deposit', amountCents: 100 }), 'IDEMPOTENCY_CONFLICT', {
      alice: 900,
    });
  });

  it('keeps ids per account: the same id from another account is a new request', () => {
    const id = 'shared-id';
    okResult(apply(fx, 'alice', { id, op: 'deposit', amountCents: 10 }));
    const bobs = okResult(apply(fx, 'bob', { id, op: 'deposit', amountCents: 20 }));
    expect(bobs.replayed).toBeUndefined();
    expect(balanceOf('bob')).toBe(20);
  });

  it('records no id for a refused request, so a retry is evaluated afresh', () => {
    const request = req({ op: 'withdraw', amountCents: 500 });
    expect(codeOf(apply(fx, 'alice', request))).toBe('INSUFFICIENT_FUNDS');
    const alice = fx.store.findAccount('alice');
    expect(alice && fx.store.findApplied(alice.id, request.id)).toBeNull();
    fund('alice', 500);
    expect(okResult(apply(fx, 'alice', request))).toMatchObject({ balanceCents: 0 });
  });

  it('replays reversals and transfers too, and checkReplay answers without applying', () => {
    fund('alice', 1000);
    const transfer = req({ op: 'transfer', amountCents: 100, to: 'bob' });
    const first = okResult(apply(fx, 'alice', transfer));
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    expect(checkReplay(fx.store, alice.id, transfer)).toMatchObject({ ok: true, replayed: true, result: first });
    expect(checkReplay(fx.store, alice.id, { ...transfer, to: 'carol' })).toMatchObject({
      ok: false,
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(checkReplay(fx.store, alice.id, req({ op: 'deposit', amountCents: 1 }))).toBeNull();
    const w = okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 100 })));
    const reverse = req({ op: 'reverse', txId: String(w.txId), reason: 'TIMEOUT' });
    const reversed = okResult(apply(fx, 'alice', reverse));
    expect(okResult(apply(fx, 'alice', reverse))).toEqual({ ...reversed, replayed: true });
    expect(balanceOf('alice')).toBe(900);
    expect(balanceOf('bob')).toBe(100);
  });

  it('with a request-hash key, tells apart a reused change_password id with another password', () => {
    fx.reopen({ requestHashKey: new Uint8Array(32).fill(7) });
    const request = req({ op: 'change_password', current: 'Old-password-1', new: 'New-password-1' });
    okResult(apply(fx, 'alice', request, { prepared: { newPasswordHash: '$2b$04$new' } }));
    expect(apply(fx, 'alice', request, { prepared: {} })).toMatchObject({ ok: true, replayed: true });
    expect(codeOf(apply(fx, 'alice', { ...request, new: 'Other-password-2' }, { prepared: {} }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    const hash = fx.store.database.prepare('SELECT request_hash FROM applied_requests').pluck().get();
    expect(String(hash)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('without a key, stores no unkeyed hash of a password: a reused change_password id replays', () => {
    const request = req({ op: 'change_password', current: 'Old-password-1', new: 'New-password-1' });
    okResult(apply(fx, 'alice', request, { prepared: { newPasswordHash: '$2b$04$new' } }));
    expect(apply(fx, 'alice', { ...request, new: 'Other-password-2' }, { prepared: {} })).toMatchObject({
      ok: true,
      replayed: true,
    });
    expect(codeOf(apply(fx, 'alice', { id: request.id, op: 'deposit', amountCents: 1 }))).toBe('IDEMPOTENCY_CONFLICT');
  });
});

describe('fraud rules in the ledger', () => {
  const fraud = { largeAmountCents: 1000, velocityCount: 3, velocityWindowSec: 60 };

  it('with fraudAction alert: applies the request, returns and records the alert', () => {
    const cfg = config({ fraud, fraudAction: 'alert' });
    const outcome = apply(fx, 'alice', req({ op: 'deposit', amountCents: 5000 }), { config: cfg });
    expect(outcome).toMatchObject({ ok: true, alerts: [{ rule: 'LARGE_AMOUNT', user: 'alice', op: 'deposit' }] });
    expect(balanceOf('alice')).toBe(5000);
    expect(fx.store.listAlerts()).toMatchObject([
      { rule: 'LARGE_AMOUNT', user: 'alice', amountCents: 5000, blocked: false },
    ]);
  });

  it('with fraudAction block: refuses with FRAUD_HOLD, moves nothing, records the alert and no id', () => {
    fund('alice', 100_000);
    const cfg = config({ fraud, fraudAction: 'block' });
    const request = req({ op: 'withdraw', amountCents: 5000 });
    const outcome = apply(fx, 'alice', request, { config: cfg });
    expectRefused(outcome, 'FRAUD_HOLD', { alice: 100_000 });
    expect(outcome.alerts.map((a) => a.rule)).toEqual(['LARGE_AMOUNT']);
    expect(fx.store.listAlerts()).toMatchObject([{ rule: 'LARGE_AMOUNT', blocked: true, requestId: request.id }]);
    const alice = fx.store.findAccount('alice');
    expect(alice && fx.store.findApplied(alice.id, request.id)).toBeNull();
  });

  it('counts withdrawals and transfers in the sliding window for VELOCITY', () => {
    fund('alice', 100_000);
    const cfg = config({ fraud, fraudAction: 'block' });
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }));
    fx.clock.advance(10_000);
    okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 10, to: 'bob' }), { config: cfg }));
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 10 }), { config: cfg })); // deposits do not count
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }));
    const fourth = apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg });
    expect(codeOf(fourth)).toBe('FRAUD_HOLD');
    expect(fourth.alerts.map((a) => a.rule)).toEqual(['VELOCITY']);
    // Bob's debits are his own.
    okResult(apply(fx, 'bob', req({ op: 'withdraw', amountCents: 1 }), { config: cfg }));
    // 50 s later the first withdrawal has left the 60 s window: room for one more.
    fx.clock.advance(50_000);
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }));
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }))).toBe('FRAUD_HOLD');
    expect(fx.store.verify().ok).toBe(true);
  });

  it('remembers the velocity window across a restart (the window is read back from the ledger)', () => {
    fund('alice', 100_000);
    const cfg = config({ fraud, fraudAction: 'block' });
    for (let i = 0; i < 3; i++) okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }));
    fx.reopen();
    expect(codeOf(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }))).toBe('FRAUD_HOLD');
    fx.clock.advance(61_000);
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 10 }), { config: cfg }));
  });
});

describe('account changes', () => {
  it('change_password stores the prepared hash; without one it is INTERNAL and nothing changes', () => {
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    const request = req({ op: 'change_password', current: 'x', new: 'y' });
    expect(codeOf(apply(fx, 'alice', request))).toBe('INTERNAL');
    expect(fx.store.getAccount(alice.id)?.passwordHash).toBe(alice.passwordHash);
    expect(okResult(apply(fx, 'alice', request, { prepared: { newPasswordHash: '$2b$04$changed' } }))).toEqual({});
    expect(fx.store.getAccount(alice.id)?.passwordHash).toBe('$2b$04$changed');
  });

  it('update_contact stores only sealed values and refuses plaintext-only input with INTERNAL', () => {
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    expect(codeOf(apply(fx, 'alice', req({ op: 'update_contact', email: 'a@example.com' })))).toBe('INTERNAL');
    okResult(
      apply(fx, 'alice', req({ op: 'update_contact', email: 'a@example.com' }), {
        prepared: { emailSealed: 'v1:email' },
      }),
    );
    okResult(
      apply(fx, 'alice', req({ op: 'update_contact', phone: '+1 555 0100' }), {
        prepared: { phoneSealed: 'v1:phone' },
      }),
    );
    const account = fx.store.getAccount(alice.id);
    expect(account).toMatchObject({ emailSealed: 'v1:email', phoneSealed: 'v1:phone' });
    const raw = JSON.stringify(fx.store.database.prepare('SELECT * FROM accounts').all());
    expect(raw).not.toContain('a@example.com');
    expect(raw).not.toContain('555 0100');
  });

  it('totp_confirm: INVALID_REQUEST with nothing pending; moves pending to active; TOTP_INVALID if it changed', () => {
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    expect(codeOf(apply(fx, 'alice', req({ op: 'totp_confirm', code: '123456' })))).toBe('INVALID_REQUEST');
    fx.store.setTotpPending(alice.id, 'v1:first');
    fx.store.setTotpPending(alice.id, 'v1:second');
    expect(
      codeOf(
        apply(fx, 'alice', req({ op: 'totp_confirm', code: '123456' }), { prepared: { totpSecretSealed: 'v1:first' } }),
      ),
    ).toBe('TOTP_INVALID');
    expect(fx.store.getAccount(alice.id)?.totpEnabled).toBe(false);
    okResult(
      apply(fx, 'alice', req({ op: 'totp_confirm', code: '123456' }), {
        prepared: { totpSecretSealed: 'v1:second', totpStep: 42 },
      }),
    );
    expect(fx.store.getAccount(alice.id)).toMatchObject({
      totpEnabled: true,
      totpSecretSealed: 'v1:second',
      totpPendingSealed: null,
      totpLastStep: 42,
    });
  });

  it('refuses every mutation on a closed account', () => {
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    expect(fx.store.closeAccount('alice')).toEqual({ ok: true });
    const outcome = applyMutation(
      fx.store,
      { accountId: alice.id, user: 'alice', nowMs: fx.clock.now, config: config() },
      req({ op: 'deposit', amountCents: 1 }),
    );
    // §5.1: a session whose account was closed since it opened gets ACCOUNT_LOCKED.
    expect(codeOf(outcome)).toBe('ACCOUNT_LOCKED');
    expect(fx.store.verify()).toMatchObject({ ok: true, entries: 0 });
  });

  it('refuses every mutation on an account an operator locked, in the transaction that would apply it', () => {
    const alice = fx.store.findAccount('alice');
    if (!alice) throw new Error('missing');
    expect(fx.store.setLocked('alice', true)).toBe(true);
    const ctx = { accountId: alice.id, user: 'alice', nowMs: fx.clock.now, config: config() };
    for (const request of [
      req({ op: 'deposit', amountCents: 1 }),
      req({ op: 'withdraw', amountCents: 1 }),
      req({ op: 'transfer', amountCents: 1, to: 'bob' }),
      req({ op: 'update_contact', email: 'a@example.com' }),
    ]) {
      expect(codeOf(applyMutation(fx.store, ctx, request, { emailSealed: 'v1:x' }))).toBe('ACCOUNT_LOCKED');
    }
  });
});

describe('error details and the balance bound (protocol/README.md §6)', () => {
  it('says how much of the daily limit is left with LIMIT_EXCEEDED', () => {
    fund('alice', 100_000);
    const cfg = config({ dailyWithdrawalLimitCents: 1000 });
    okResult(apply(fx, 'alice', req({ op: 'withdraw', amountCents: 600 }), { config: cfg }));
    const refused = apply(fx, 'alice', req({ op: 'withdraw', amountCents: 401 }), { config: cfg });
    expect(refused).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED', details: { remainingCents: 400 } });
  });

  it("refuses a deposit that would take the terminal's cash past the bound instead of losing precision", () => {
    const cfg = config({ maxAmountCents: Number.MAX_SAFE_INTEGER });
    const upToBound = MAX_BALANCE_CENTS - TEST_TERMINAL_CASH;
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: upToBound }), { config: cfg }));
    // Past the bound on the cash side (bob's own balance would be fine): refused, nothing moves.
    expectRefused(apply(fx, 'bob', req({ op: 'deposit', amountCents: 1 }), { config: cfg }), 'INVALID_AMOUNT', {
      alice: upToBound,
      bob: 0,
    });
    expect(fx.store.verify().ok).toBe(true);
  });

  it("refuses any deposit once the customers together hold the bound (the terminal's cash mirrors them)", () => {
    const cfg = config({ maxAmountCents: Number.MAX_SAFE_INTEGER });
    const nearBound = MAX_BALANCE_CENTS - TEST_TERMINAL_CASH - 10;
    okResult(apply(fx, 'bob', req({ op: 'deposit', amountCents: nearBound }), { config: cfg }));
    expect(codeOf(apply(fx, 'alice', req({ op: 'deposit', amountCents: 20 }), { config: cfg }))).toBe('INVALID_AMOUNT');
  });

  it('checks funds before the target: an empty sender learns nothing about the name', () => {
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'nobody' })), 'INSUFFICIENT_FUNDS', {
      alice: 0,
    });
    expectRefused(apply(fx, 'alice', req({ op: 'transfer', amountCents: 1, to: 'bob' })), 'INSUFFICIENT_FUNDS', {
      alice: 0,
    });
  });
});
