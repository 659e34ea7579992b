import { TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TX_ID_PATTERN } from '../../../protocol/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { atTerminal, startTestBank, suiteBank, type TestBank } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

async function register(bank: TestBank, user: string, password = PASSWORD): Promise<RawClient> {
  const client = await RawClient.connect({ ...atTerminal(bank) });
  const reply = await client.hello({ user, password, method: 'register' });
  if (reply.kind !== 'welcome') throw new Error(`register ${user}: ${reply.code}`);
  return client;
}

function login(bank: TestBank, user: string, password = PASSWORD, totp?: string) {
  return RawClient.login({ ...atTerminal(bank), user, password, ...(totp ? { totp } : {}) });
}

function entriesOf(response: Record<string, unknown>): unknown[] | undefined {
  return (response.result as { entries?: unknown[] } | undefined)?.entries;
}

function errorCode(response: Record<string, unknown>): string | undefined {
  return (response.error as { code?: string } | undefined)?.code;
}

describe('every op of protocol/README.md §5', () => {
  let bank: TestBank;
  let alice: RawClient;
  beforeAll(async () => {
    bank = await startTestBank({ dailyWithdrawalLimitCents: 50_000, maxAmountCents: 1_000_000 });
    alice = await register(bank, 'alice');
    (await register(bank, 'bob')).destroy();
  });
  afterAll(async () => {
    alice.destroy();
    await bank.dispose();
  });

  it('balance starts at zero in USD', async () => {
    expect(await alice.call({ op: 'balance' })).toMatchObject({
      ok: true,
      result: { balanceCents: 0, currency: 'USD' },
    });
  });

  it('deposit, withdraw and transfer move integer cents and return tx ids', async () => {
    const dep = await alice.call({ op: 'deposit', amountCents: 10_000 });
    expect(dep).toMatchObject({ ok: true, result: { balanceCents: 10_000 } });
    expect((dep.result as { txId: string }).txId).toMatch(TX_ID_PATTERN);
    expect(await alice.call({ op: 'withdraw', amountCents: 2_000 })).toMatchObject({
      ok: true,
      result: { balanceCents: 8_000 },
    });
    expect(await alice.call({ op: 'transfer', amountCents: 500, to: 'bob' })).toMatchObject({
      ok: true,
      result: { balanceCents: 7_500 },
    });
    const bob = await login(bank, 'bob');
    expect(await bob.call({ op: 'balance' })).toMatchObject({ result: { balanceCents: 500 } });
    bob.destroy();
  });

  it('refuses what the rules forbid, changing nothing', async () => {
    const before = (await alice.call({ op: 'balance' })).result as { balanceCents: number };
    expect(errorCode(await alice.call({ op: 'withdraw', amountCents: 9_999_99 }))).toBe('INSUFFICIENT_FUNDS');
    expect(errorCode(await alice.call({ op: 'deposit', amountCents: 1_000_001 }))).toBe('INVALID_AMOUNT');
    expect(errorCode(await alice.call({ op: 'deposit', amountCents: 1.5 }))).toBe('INVALID_AMOUNT');
    expect(errorCode(await alice.call({ op: 'deposit', amountCents: 0 }))).toBe('INVALID_AMOUNT');
    expect(errorCode(await alice.call({ op: 'transfer', amountCents: 100, to: 'nobody' }))).toBe('UNKNOWN_ACCOUNT');
    expect(errorCode(await alice.call({ op: 'transfer', amountCents: 100, to: 'alice' }))).toBe('SAME_ACCOUNT');
    expect(errorCode(await alice.call({ op: 'reverse', txId: 'T999999999999', reason: 'TIMEOUT' }))).toBe('UNKNOWN_TX');
    expect(errorCode(await alice.call({ op: 'frobnicate' }))).toBe('INVALID_REQUEST');
    expect(errorCode(await alice.call({ op: 'deposit' }))).toBe('INVALID_REQUEST');
    const after = (await alice.call({ op: 'balance' })).result as { balanceCents: number };
    expect(after.balanceCents).toBe(before.balanceCents);
  });

  it('enforces the daily withdrawal limit, and a reversal gives it back', async () => {
    const carol = await register(bank, 'carol');
    await carol.call({ op: 'deposit', amountCents: 100_000 });
    const w1 = await carol.call({ op: 'withdraw', amountCents: 40_000 });
    expect(w1.ok).toBe(true);
    expect(errorCode(await carol.call({ op: 'withdraw', amountCents: 20_000 }))).toBe('LIMIT_EXCEEDED');
    const rev = await carol.call({
      op: 'reverse',
      txId: (w1.result as { txId: string }).txId,
      reason: 'NOT_DISPENSED',
    });
    expect(rev).toMatchObject({
      ok: true,
      result: { balanceCents: 100_000, reversedTxId: (w1.result as { txId: string }).txId },
    });
    expect((await carol.call({ op: 'withdraw', amountCents: 20_000 })).ok).toBe(true);
    carol.destroy();
  });

  it('reverses a withdrawal once; a second reversal is NOT_REVERSIBLE', async () => {
    const w = await alice.call({ op: 'withdraw', amountCents: 1_000 });
    const txId = (w.result as { txId: string }).txId;
    const first = await alice.call({ op: 'reverse', txId, reason: 'NOT_DISPENSED' });
    expect(first.ok).toBe(true);
    expect(errorCode(await alice.call({ op: 'reverse', txId, reason: 'NOT_DISPENSED' }))).toBe('NOT_REVERSIBLE');
    const deposit = await alice.call({ op: 'deposit', amountCents: 1 });
    expect(
      errorCode(
        await alice.call({ op: 'reverse', txId: (deposit.result as { txId: string }).txId, reason: 'TIMEOUT' }),
      ),
    ).toBe('UNKNOWN_TX');
  });

  it('replays an applied id with replayed:true and refuses other content as IDEMPOTENCY_CONFLICT', async () => {
    const first = await alice.call({ id: 'dep-once-1', op: 'deposit', amountCents: 700 });
    const again = await alice.call({ id: 'dep-once-1', op: 'deposit', amountCents: 700 });
    expect(again).toMatchObject({ ok: true, result: { ...(first.result as object), replayed: true } });
    expect(errorCode(await alice.call({ id: 'dep-once-1', op: 'deposit', amountCents: 701 }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    expect(errorCode(await alice.call({ id: 'dep-once-1', op: 'withdraw', amountCents: 700 }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
  });

  it('pages history newest first with signed amounts', async () => {
    const page1 = await alice.call({ op: 'history', limit: 2 });
    const { entries, next } = page1.result as { entries: Array<Record<string, unknown>>; next: string | null };
    expect(entries).toHaveLength(2);
    expect(next).toMatch(TX_ID_PATTERN);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(
        ['txId', 'kind', 'amountCents', 'balanceAfterCents', 'counterparty', 'at', 'terminal'].sort(),
      );
    }
    // Entries carry the terminal the cash moved at (none for transfers).
    for (const e of [
      ...entries,
      ...((entriesOf(await alice.call({ op: 'history', limit: 100 })) ?? []) as Array<Record<string, unknown>>),
    ]) {
      expect(e.terminal).toBe(e.kind === 'transfer_in' || e.kind === 'transfer_out' ? null : bank.terminal.id);
    }
    const page2 = await alice.call({ op: 'history', limit: 100, before: next });
    const older = (page2.result as { entries: Array<{ txId: string; kind: string; amountCents: number }> }).entries;
    expect(older.length).toBeGreaterThan(3);
    expect(older.every((e) => e.txId < (entries[1]?.txId as string))).toBe(true);
    const out = older.find((e) => e.kind === 'transfer_out');
    expect(out?.amountCents).toBe(-500);
    expect(errorCode(await alice.call({ op: 'history', limit: 101 }))).toBe('INVALID_REQUEST');
  });

  it('answers ping with the server time and pipelined requests in order', async () => {
    const ids = Array.from({ length: 32 }, (_, i) =>
      alice.send(i % 2 ? { op: 'ping' } : { op: 'deposit', amountCents: 1 }),
    );
    for (const id of ids) {
      const response = await alice.receive();
      expect(response?.id).toBe(id);
      expect(response?.ok).toBe(true);
    }
    const pong = await alice.call({ op: 'ping' });
    expect(Date.parse((pong.result as { serverTime: string }).serverTime)).not.toBeNaN();
  });

  it('a balance pipelined behind a deposit sees the deposit', async () => {
    const before = ((await alice.call({ op: 'balance' })).result as { balanceCents: number }).balanceCents;
    alice.send({ op: 'deposit', amountCents: 123 });
    alice.send({ op: 'balance' });
    await alice.receive();
    const balance = await alice.receive();
    expect(balance).toMatchObject({ ok: true, result: { balanceCents: before + 123 } });
  });

  it('updates contact data and changes the password', async () => {
    expect(await alice.call({ op: 'update_contact', email: 'alice@example.com', phone: '+1 555 0100' })).toMatchObject({
      ok: true,
    });
    expect(errorCode(await alice.call({ op: 'update_contact', email: 'not-an-email' }))).toBe('INVALID_REQUEST');
    expect(
      errorCode(await alice.call({ op: 'change_password', current: 'Wrong-Horse-42!', new: 'Next-Horse-43!' })),
    ).toBe('AUTH_FAILED');
    expect(errorCode(await alice.call({ op: 'change_password', current: PASSWORD, new: 'weak' }))).toBe(
      'WEAK_PASSWORD',
    );
    expect((await alice.call({ op: 'change_password', current: PASSWORD, new: 'Next-Horse-43!' })).ok).toBe(true);
    await expect(login(bank, 'alice', PASSWORD)).rejects.toThrow(/AUTH_FAILED/);
    const again = await login(bank, 'alice', 'Next-Horse-43!');
    again.destroy();
  });

  it('logout answers, then the server closes', async () => {
    const dave = await register(bank, 'dave');
    expect((await dave.call({ op: 'logout' })).ok).toBe(true);
    await dave.whenClosed();
    expect(dave.closed).toBe(true);
  });
});

describe('two-factor login', () => {
  const bank = suiteBank();

  it('enrols, confirms, then requires and checks the code at login', async () => {
    const erin = await register(bank, 'erin');
    const enrol = await erin.call({ op: 'totp_enroll', password: PASSWORD });
    const { secret, otpauthUri } = enrol.result as { secret: string; otpauthUri: string };
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
    expect(
      errorCode(await erin.call({ op: 'totp_confirm', code: totp.generate() === '000000' ? '111111' : '000000' })),
    ).toBe('TOTP_INVALID');
    expect((await erin.call({ op: 'totp_confirm', code: totp.generate() })).ok).toBe(true);
    erin.destroy();

    const noCode = await RawClient.connect({ ...atTerminal(bank) });
    expect(await noCode.hello({ user: 'erin', password: PASSWORD })).toMatchObject({ code: 'TOTP_REQUIRED' });
    const wrong = await RawClient.connect({ ...atTerminal(bank) });
    expect(
      await wrong.hello({ user: 'erin', password: PASSWORD, totp: '000000' === totp.generate() ? '111111' : '000000' }),
    ).toMatchObject({
      code: 'TOTP_INVALID',
    });
    // The confirming code's step is spent; the next step's code logs in.
    const next = totp.generate({ timestamp: Date.now() + 30_000 });
    const ok = await RawClient.connect({ ...atTerminal(bank) });
    expect((await ok.hello({ user: 'erin', password: PASSWORD, totp: next })).kind).toBe('welcome');
    ok.destroy();
  });
});

describe('lockout', () => {
  const bank = suiteBank({ lockoutThreshold: 3 });

  it('locks after consecutive failures, then refuses even the right password until unlocked', async () => {
    (await register(bank, 'frank')).destroy();
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect({ ...atTerminal(bank) });
      const r = await c.hello({ user: 'frank', password: 'Wrong-Horse-99!' });
      codes.push(r.kind === 'error' ? r.code : 'welcome');
    }
    expect(codes).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'ACCOUNT_LOCKED']);
    const right = await RawClient.connect({ ...atTerminal(bank) });
    expect(await right.hello({ user: 'frank', password: PASSWORD })).toMatchObject({ code: 'ACCOUNT_LOCKED' });
  });
});
