import { Secret, TOTP } from 'otpauth';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank } from '../../helpers/test-bank.js';
import { fund, helloCode, operator } from './login-kit.js';

const PASSWORD = 'Correct-Horse-42!';
const NEW_PASSWORD = 'Battery-Staple-43!';

function codeOf(response: Record<string, unknown> | null): string | undefined {
  if (!response) return 'closed';
  if (typeof response.notice === 'string') return response.notice;
  if (response.ok === true) return 'ok';
  return (response.error as { code?: string } | undefined)?.code;
}

async function setup(overrides: Parameters<typeof startTestBank>[0] = {}) {
  const bank = await startTestBank(overrides);
  onTestFinished(() => bank.dispose());
  for (const user of ['alice', 'bob']) {
    expect(await helloCode(bank, { user, password: PASSWORD, method: 'register' })).toBe('welcome');
  }
  const login = (user = 'alice', password = PASSWORD, totp?: string) =>
    RawClient.login({ port: bank.port, ca: bank.caCert, user, password, ...(totp ? { totp } : {}) });
  return { bank, login };
}

/** Wait for the SESSION_EXPIRED notice; returns how long it took (ms), or throws. */
async function expiredWithin(client: RawClient, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const message = await client.receive(Math.max(1, timeoutMs - (Date.now() - started)));
    if (message === null) throw new Error('closed without a notice');
    if (message.notice === 'SESSION_EXPIRED') {
      await client.whenClosed();
      return Date.now() - started;
    }
  }
}

describe('session authority (protocol/README.md §5.1)', () => {
  it('ends an open session within 2 s of an operator lock; requests meanwhile change nothing', async () => {
    const { bank, login } = await setup();
    fund(bank, 'alice', 5_000);
    const alice = await login();
    await operator(bank, 'accounts', 'lock', 'alice');
    // Sent after the lock: refused (ACCOUNT_LOCKED) or the session is already ending.
    const transfer = codeOf(await alice.call({ op: 'transfer', to: 'bob', amountCents: 1_000 }).catch(() => null));
    expect(['ACCOUNT_LOCKED', 'SESSION_EXPIRED', 'closed']).toContain(transfer);
    if (transfer === 'ACCOUNT_LOCKED') expect(await expiredWithin(alice, 2_500)).toBeLessThan(2_500);
    await operator(bank, 'accounts', 'unlock', 'alice');
    const again = await login();
    expect((await again.call({ op: 'balance' })).result).toMatchObject({ balanceCents: 5_000 });
    again.destroy();
  });

  it('ends the session of an account the operator closes; its balance is not readable meanwhile', async () => {
    const { bank, login } = await setup();
    const alice = await login();
    await operator(bank, 'accounts', 'close', 'alice');
    const balance = codeOf(await alice.call({ op: 'balance' }).catch(() => null));
    expect(['ACCOUNT_LOCKED', 'SESSION_EXPIRED', 'closed']).toContain(balance);
    if (balance === 'ACCOUNT_LOCKED') await expiredWithin(alice, 2_500);
  });

  it('a password change ends the other sessions of the account, not its own', async () => {
    const { login } = await setup();
    const a = await login();
    const b = await login();
    expect(codeOf(await a.call({ op: 'change_password', current: PASSWORD, new: NEW_PASSWORD }))).toBe('ok');
    expect(await expiredWithin(b, 2_500)).toBeLessThan(2_500);
    expect(codeOf(await a.call({ op: 'ping' }))).toBe('ok');
    a.destroy();
  });

  it('ends a busy session at --max-session', async () => {
    const { login } = await setup({ maxSessionSec: 1 });
    const alice = await login();
    const started = Date.now();
    let notice: string | undefined;
    while (Date.now() - started < 4_000 && notice === undefined) {
      const reply = await alice.call({ op: 'ping' }).catch(() => null);
      if (reply === null || typeof reply.notice === 'string') notice = codeOf(reply);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notice === 'SESSION_EXPIRED' || alice.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('re-authentication inside a session (§5.1)', () => {
  it('counts wrong change_password guesses: the third answers ACCOUNT_LOCKED, then SESSION_EXPIRED', async () => {
    const { bank, login } = await setup();
    const alice = await login();
    const guess = (n: number) => alice.call({ op: 'change_password', current: `Guess-${n}-Horse!`, new: NEW_PASSWORD });
    expect(codeOf(await guess(1))).toBe('AUTH_FAILED');
    expect(codeOf(await guess(2))).toBe('AUTH_FAILED');
    expect(codeOf(await guess(3))).toBe('ACCOUNT_LOCKED');
    await expiredWithin(alice, 2_500);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
  });

  it('totp_enroll needs the password (INVALID_REQUEST without), then the current code once two-factor is on', async () => {
    const { login } = await setup();
    const alice = await login();
    expect(codeOf(await alice.call({ op: 'totp_enroll' }))).toBe('INVALID_REQUEST');
    expect(codeOf(await alice.call({ op: 'totp_enroll', password: 'Wrong-Horse-42!' }))).toBe('AUTH_FAILED');
    const enrolled = await alice.call({ op: 'totp_enroll', password: PASSWORD });
    const secret = Secret.fromBase32((enrolled.result as { secret: string }).secret);
    const now = () => TOTP.generate({ secret });
    expect(codeOf(await alice.call({ op: 'totp_confirm', code: now() }))).toBe('ok');
    // Two-factor on: the password alone no longer re-enrols, and a used code says USED.
    expect(codeOf(await alice.call({ op: 'totp_enroll', password: PASSWORD }))).toBe('TOTP_REQUIRED');
    const reused = await alice.call({ op: 'totp_enroll', password: PASSWORD, totp: now() });
    expect(codeOf(reused)).toBe('TOTP_INVALID');
    expect(reused.error).toMatchObject({ reason: 'USED' });
    alice.destroy();
  });

  it('totp_disable checks password and code, is idempotent, and turns two-factor login off', async () => {
    const { bank, login } = await setup();
    const alice = await login();
    const enrolled = await alice.call({ op: 'totp_enroll', password: PASSWORD });
    const secret = Secret.fromBase32((enrolled.result as { secret: string }).secret);
    const codeAt = (offset: number) => TOTP.generate({ secret, timestamp: Date.now() + offset * 30_000 });
    expect(codeOf(await alice.call({ op: 'totp_confirm', code: codeAt(-1) }))).toBe('ok');
    expect(codeOf(await alice.call({ op: 'totp_disable', password: 'Wrong-Horse-42!', totp: codeAt(0) }))).toBe(
      'AUTH_FAILED',
    );
    const off = await alice.call({ id: 'disable-1', op: 'totp_disable', password: PASSWORD, totp: codeAt(0) });
    expect(codeOf(off)).toBe('ok');
    const replay = await alice.call({ id: 'disable-1', op: 'totp_disable', password: PASSWORD, totp: codeAt(0) });
    expect(replay.result).toMatchObject({ replayed: true });
    alice.destroy();
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');
  });
});

describe('transfer probing (§5.1 order, §7.9)', () => {
  it('tells a sender who cannot pay nothing about the target, and caps UNKNOWN_ACCOUNT at 5 per session', async () => {
    const { bank, login } = await setup();
    const alice = await login();
    // 1-cent probes from an empty account: existing and unknown names look the same.
    expect(codeOf(await alice.call({ op: 'transfer', to: 'bob', amountCents: 1 }))).toBe('INSUFFICIENT_FUNDS');
    expect(codeOf(await alice.call({ op: 'transfer', to: 'nobody', amountCents: 1 }))).toBe('INSUFFICIENT_FUNDS');
    fund(bank, 'alice', 100);
    const answers: Array<string | undefined> = [];
    for (let i = 0; i < 8; i++)
      answers.push(codeOf(await alice.call({ op: 'transfer', to: `ghost${i}`, amountCents: 1 })));
    expect(answers).toEqual([...Array(5).fill('UNKNOWN_ACCOUNT'), ...Array(3).fill('RATE_LIMITED')]);
    expect(codeOf(await alice.call({ op: 'transfer', to: 'bob', amountCents: 1 }))).toBe('ok');
    alice.destroy();
  });
});

describe('error details on the wire (§6)', () => {
  it('INVALID_AMOUNT above the per-request maximum carries maxAmountCents', async () => {
    const { login } = await setup({ maxAmountCents: 1_000 });
    const alice = await login();
    const above = await alice.call({ op: 'transfer', to: 'bob', amountCents: 1_001 });
    expect(above.error).toMatchObject({ code: 'INVALID_AMOUNT', maxAmountCents: 1_000 });
    const zero = await alice.call({ op: 'transfer', to: 'bob', amountCents: 0 });
    expect(zero.error).not.toHaveProperty('maxAmountCents');
    alice.destroy();
  });
});
