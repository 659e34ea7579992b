import { describe, expect, it } from 'vitest';
import { MAX_BALANCE_CENTS } from '../../../server/ledger/ledger-config.js';
import type { SessionTerminal } from '../../../server/ledger/terminal-ledger.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { Bank, freshId } from './bank-under-test.js';

// Rules main gained after the PostgreSQL ledger was first written, held to both backends:
// totp_disable, the balance bound, the operator's lock re-checked in the mutation's transaction,
// the audit outbox written in that transaction, and the per-name lockout counters.

const OTHER: SessionTerminal = { id: 'ATM-2', fingerprint: 'sha256:bb' };
const ENVELOPE = { actor: 'alice', address: '127.0.0.1', terminal: 'ATM-T', sessionId: 's-1' };

describe.each(BACKENDS)('parity rules on %s', (kind) => {
  const env = backendEnv(kind);

  it('totp_disable turns two-factor off only once its credentials were checked, keeping the last step', async () => {
    const bank = await Bank.open(env, ['alice']);
    const alice = bank.target('alice').accountId;
    await bank.ledger.setTotpPending(alice, 'v1:secret');
    await bank.ok('alice', { op: 'totp_confirm', code: '123456' }, { totpSecretSealed: 'v1:secret', totpStep: 42 });
    expect(await bank.mut('alice', { op: 'totp_disable', password: 'pw', totp: '123456' })).toMatchObject({
      ok: false,
      code: 'INTERNAL',
      message: 'totp_disable needs its credentials checked',
    });
    expect((await bank.ledger.getAccount(alice))?.totpEnabled).toBe(true);
    const id = freshId();
    const body = { id, op: 'totp_disable', password: 'pw', totp: '123456' } as const;
    expect(await bank.ok('alice', body, { totpDisableChecked: true })).toEqual({});
    expect(await bank.ledger.getAccount(alice)).toMatchObject({
      totpEnabled: false,
      totpSecretSealed: null,
      totpPendingSealed: null,
      totpLastStep: 42,
    });
    expect(await bank.mut('alice', body, { totpDisableChecked: true })).toMatchObject({ ok: true, replayed: true });
  });

  it('refuses a movement that would take a balance or a terminal position past MAX_BALANCE_CENTS', async () => {
    const bank = await Bank.open(env, ['alice', 'bob'], { config: { maxAmountCents: MAX_BALANCE_CENTS } });
    await bank.ledger.enrollTerminal(OTHER);
    await bank.fund('alice', MAX_BALANCE_CENTS);
    const at = (user: string, terminal: SessionTerminal, body: object) =>
      bank.ledger.mutate(bank.at(user, terminal), { id: freshId(), ...body } as never);
    expect(await at('bob', OTHER, { op: 'deposit', amountCents: 1 })).toMatchObject({ ok: true });
    expect(await at('alice', OTHER, { op: 'deposit', amountCents: 1 })).toMatchObject({
      code: 'INVALID_AMOUNT',
      message: 'the balance would exceed what the ledger holds',
    });
    expect(await bank.mut('bob', { op: 'deposit', amountCents: 1 })).toMatchObject({
      code: 'INVALID_AMOUNT',
      message: "the terminal's cash would overflow",
    });
    expect(await bank.mut('bob', { op: 'transfer', amountCents: 1, to: 'alice' })).toMatchObject({
      code: 'INVALID_AMOUNT',
      message: "the recipient's balance would exceed what the ledger holds",
    });
    expect(await bank.balanceOf('alice')).toBe(MAX_BALANCE_CENTS);
    expect(await bank.balanceOf('bob')).toBe(1);
    expect((await bank.ledger.verify()).ok).toBe(true);
  });

  it("refuses an operator-locked account's session with ACCOUNT_LOCKED in the mutation itself", async () => {
    const bank = await Bank.open(env, ['alice', 'bob']);
    await bank.fund('alice', 100);
    expect(await bank.ledger.setLocked('alice', true)).toBe(true);
    for (const body of [
      { op: 'withdraw', amountCents: 1 },
      { op: 'transfer', amountCents: 1, to: 'bob' },
    ] as const) {
      expect(await bank.mut('alice', body)).toMatchObject({
        ok: false,
        code: 'ACCOUNT_LOCKED',
        message: 'this account is locked by the bank',
      });
    }
    expect(await bank.balanceOf('alice')).toBe(100);
    expect(await bank.ledger.setLocked('alice', false)).toBe(true);
    expect(await bank.mut('alice', { op: 'withdraw', amountCents: 1 })).toMatchObject({ ok: true });
  });

  it('writes the audit events to audit_outbox in the mutation and hands the rows back with the outcome', async () => {
    const bank = await Bank.open(env, ['alice'], {
      config: { fraud: { largeAmountCents: 500, velocityCount: 10, velocityWindowSec: 60 } },
    });
    const audited = await bank.ledger.mutate(
      bank.at('alice', { id: 'ATM-T', fingerprint: 'sha256:test-terminal' }),
      { id: 'dep-1', op: 'deposit', amountCents: 600 },
      undefined,
      ENVELOPE,
    );
    expect(audited).toMatchObject({ ok: true, result: { balanceCents: 600 } });
    const events = (audited.outbox ?? []).map((row) => JSON.parse(row.event));
    expect(events).toEqual([
      {
        kind: 'request',
        actor: 'alice',
        address: '127.0.0.1',
        terminal: 'ATM-T',
        sessionId: 's-1',
        op: 'deposit',
        requestId: 'dep-1',
        amountCents: 600,
        outcome: 'ok',
        balanceAfterCents: 600,
        txId: expect.any(String),
      },
      expect.objectContaining({
        kind: 'fraud_alert',
        actor: 'alice',
        requestId: 'dep-1',
        detail: { rule: 'LARGE_AMOUNT' },
      }),
    ]);
    const refused = await bank.ledger.mutate(
      bank.at('alice', null),
      { id: 'w-1', op: 'withdraw', amountCents: 1 },
      undefined,
      ENVELOPE,
    );
    expect(refused).toMatchObject({ ok: false, code: 'TERMINAL_REQUIRED' });
    expect(JSON.parse(refused.outbox?.[0]?.event ?? '{}')).toMatchObject({
      outcome: 'error',
      code: 'TERMINAL_REQUIRED',
    });
    const plain = await bank.mut('alice', { op: 'withdraw', amountCents: 1 });
    expect('outbox' in plain).toBe(false);
    const stored = await env.query('SELECT id, event FROM audit_outbox ORDER BY id');
    const handed = [...(audited.outbox ?? []), ...(refused.outbox ?? [])];
    expect(stored).toEqual(handed.map((row) => ({ id: row.id, event: row.event })));
    expect(new Set(stored.map((row) => row.id)).size).toBe(3);
  });

  describe('per-name lockout counters', () => {
    it('counts names that are not accounts, locks at the threshold for a doubling period, and ends it', async () => {
      const bank = await Bank.open(env, ['alice']);
      const { ledger } = bank;
      expect(await ledger.loginFailure('ghost', 3, 60_000)).toEqual({
        locked: false,
        justLocked: false,
        failures: 1,
        lockedUntilMs: null,
      });
      await ledger.loginFailure('ghost', 3, 60_000);
      const locked = await ledger.loginFailure('ghost', 3, 60_000);
      expect(locked).toEqual({ locked: true, justLocked: true, failures: 3, lockedUntilMs: env.clock.now + 60_000 });
      expect(await ledger.loginFailure('ghost', 3, 60_000)).toMatchObject({ locked: true, justLocked: false });
      expect(await ledger.nameLocked('ghost')).toBe(true);
      env.clock.advance(60_000);
      expect(await ledger.nameLocked('ghost')).toBe(false);
      expect(await ledger.loginFailuresOf('ghost')).toBe(0);
      for (let i = 0; i < 2; i++) await ledger.loginFailure('ghost', 3, 60_000);
      // The second lock within 24 h lasts twice as long.
      expect(await ledger.loginFailure('ghost', 3, 60_000)).toMatchObject({
        justLocked: true,
        lockedUntilMs: env.clock.now + 120_000,
      });
    });

    it('a success resets the count and takes a TOTP step once; an unlock forgets; a locked account is inactive', async () => {
      const bank = await Bank.open(env, ['alice']);
      const { ledger } = bank;
      const alice = bank.target('alice').accountId;
      for (let i = 0; i < 2; i++) await ledger.loginFailure('alice', 5, 60_000);
      expect(await ledger.loginFailuresOf('alice')).toBe(2);
      expect(await ledger.loginSuccess('alice', alice, 777)).toEqual({ active: true, totpAccepted: true });
      expect(await ledger.loginFailuresOf('alice')).toBe(0);
      expect(await ledger.loginSuccess('alice', alice, 777)).toEqual({ active: true, totpAccepted: false });
      expect((await ledger.getAccount(alice))?.totpLastStep).toBe(777);
      for (let i = 0; i < 5; i++) await ledger.loginFailure('alice', 5, 0);
      expect(await ledger.nameLocked('alice')).toBe(true);
      expect(await ledger.setLocked('alice', false)).toBe(true);
      expect(await ledger.nameLocked('alice')).toBe(false);
      expect(await ledger.loginFailuresOf('alice')).toBe(0);
      await ledger.setLocked('alice', true);
      expect(await ledger.nameLocked('alice')).toBe(true);
      expect(await ledger.loginSuccess('alice', alice, null)).toEqual({ active: false, totpAccepted: false });
    });

    it('prunes names without a lock and without a failure for a day', async () => {
      const bank = await Bank.open(env, []);
      const { ledger } = bank;
      await ledger.loginFailure('a', 5, 60_000);
      await ledger.loginFailure('b', 1, 0);
      env.clock.advance(24 * 3600 * 1000 + 1);
      expect(await ledger.pruneLoginFailures()).toBe(1);
      expect(await ledger.nameLocked('b')).toBe(true);
    });
  });
});
