import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank, withLedger } from '../../helpers/test-bank.js';
import { eventually, helloCode, MemoryAudit, sendHello } from './login-kit.js';

const PASSWORD = 'Correct-Horse-42!';
const WRONG = 'Wrong-Horse-42!';
const MINUTE = 60_000;

/** A bank on a clock the test moves, with alice registered. */
async function bankWithClock(overrides: Parameters<typeof startTestBank>[0] = {}) {
  let now = Date.UTC(2026, 11, 1, 9, 0, 0);
  const audit = new MemoryAudit();
  const bank = await startTestBank({ maxFailedLoginsPerMinute: 1000, ...overrides }, { clock: () => now, audit });
  expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
  return { bank, audit, advance: (ms: number) => (now += ms) };
}

describe('lockout per user name (protocol/README.md §2.1)', () => {
  const banks: TestBank[] = [];
  afterEach(async () => {
    for (const b of banks.splice(0)) await b.dispose();
  });

  it('locks unknown names like real ones: same answers, and the attempt reaching the threshold says ACCOUNT_LOCKED', async () => {
    const { bank } = await bankWithClock();
    banks.push(bank);
    const real: string[] = [];
    const ghost: string[] = [];
    for (let i = 0; i < 4; i++) {
      real.push(await helloCode(bank, { user: 'alice', password: WRONG }));
      ghost.push(await helloCode(bank, { user: 'ghost', password: WRONG }));
    }
    expect(real).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'ACCOUNT_LOCKED', 'ACCOUNT_LOCKED']);
    expect(ghost).toEqual(real);
    // Locked means locked: the right password gets the same answer as a wrong one.
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
  });

  it('ends a lock after 15 min, doubles it for a repeat lock within 24 h, and caps it at 4 h', async () => {
    const { bank, advance } = await bankWithClock();
    banks.push(bank);
    const lock = async () => {
      for (let i = 0; i < 3; i++) await helloCode(bank, { user: 'alice', password: WRONG });
    };
    await lock();
    advance(15 * MINUTE - 1_000);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
    advance(2_000);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');
    // Second lock within 24 h: 30 min.
    await lock();
    advance(29 * MINUTE);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
    advance(2 * MINUTE);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');
    // Third (60), fourth (120), fifth (240), sixth (still 240: the cap).
    for (const minutes of [60, 120, 240, 240]) {
      await lock();
      advance((minutes - 1) * MINUTE);
      expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
      advance(2 * MINUTE);
      expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');
    }
  });

  it('with --lockout-duration 0 keeps the lock until an operator unlocks; an operator lock outlasts 4 h', async () => {
    const { bank, advance } = await bankWithClock({ lockoutDurationSec: 0 });
    banks.push(bank);
    for (let i = 0; i < 3; i++) await helloCode(bank, { user: 'alice', password: WRONG });
    advance(25 * 3600_000);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
    withLedger(bank, (store) => expect(store.setLocked('alice', false)).toBe(true));
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');

    withLedger(bank, (store) => expect(store.setLocked('alice', true)).toBe(true));
    advance(5 * 3600_000);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
  });

  it('resets the count on a correct login', async () => {
    const { bank } = await bankWithClock();
    banks.push(bank);
    for (let round = 0; round < 3; round++) {
      expect(await helloCode(bank, { user: 'alice', password: WRONG })).toBe('AUTH_FAILED');
      expect(await helloCode(bank, { user: 'alice', password: WRONG })).toBe('AUTH_FAILED');
      expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('welcome');
    }
  });

  it('does not end open sessions when failed logins lock the name', async () => {
    const { bank } = await bankWithClock();
    banks.push(bank);
    const session = await RawClient.login({ port: bank.port, ca: bank.caCert, user: 'alice', password: PASSWORD });
    for (let i = 0; i < 3; i++) await helloCode(bank, { user: 'alice', password: WRONG });
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD })).toBe('ACCOUNT_LOCKED');
    expect((await session.call({ op: 'balance' })).ok).toBe(true);
    expect((await session.call({ op: 'ping' })).ok).toBe(true);
    session.destroy();
  });

  it('audits every attempt, also on sockets closed at once, and still counts them', async () => {
    const { bank, audit } = await bankWithClock();
    banks.push(bank);
    await Promise.all([1, 2, 3].map(() => sendHello(bank, { user: 'alice', password: WRONG }, { hangUp: true })));
    await eventually(() => audit.of('login_failed').length + audit.of('login_abandoned').length === 3);
    const failed = audit.of('login_failed').length;
    // Checks that started count; the rest were dropped unstarted and say so.
    expect(failed + audit.of('login_abandoned').length).toBe(3);
    if (failed === 3) expect(audit.of('lockout')).toHaveLength(1);
    await sendHello(bank, { user: 'carol', password: PASSWORD, method: 'register' }, { hangUp: true });
    await eventually(() => audit.events.some((e) => e.actor === 'carol'));
  });

  it('checks clientKey before the password: an all-zero key with the right password resets nothing and is audited', async () => {
    const { bank, audit } = await bankWithClock();
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: WRONG })).toBe('AUTH_FAILED');
    expect(await helloCode(bank, { user: 'alice', password: WRONG })).toBe('AUTH_FAILED');
    const before = audit.events.length;
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, clientKey: new Uint8Array(32) })).toBe(
      'PROTOCOL_ERROR',
    );
    expect(audit.events.slice(before).some((e) => e.kind === 'protocol_error' && e.actor === 'alice')).toBe(true);
    // The count was not reset: the next wrong password locks.
    expect(await helloCode(bank, { user: 'alice', password: WRONG })).toBe('ACCOUNT_LOCKED');
  });
});
