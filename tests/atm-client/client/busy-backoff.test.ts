import { describe, expect, it } from 'vitest';
import { jittered } from '../../../atm-client/client/backoff.js';
import { ManualClock, PASSWORD, peerFixture, until } from './peer-fixture.js';

const fixture = peerFixture();

describe('jitter', () => {
  it('spreads a wait over 0.5–1.5 × its base, following the random source', () => {
    expect(jittered(1_000, () => 0)).toBe(500);
    expect(jittered(1_000, () => 0.5)).toBe(1_000);
    expect(jittered(1_000, () => 0.999)).toBe(1_499);
    // A random source just under 1 rounds up to 1.5 × the base, which is past the range.
    expect(jittered(1_000, () => 0.9999)).toBe(1_499);
    expect(jittered(3, () => 0.9999)).toBe(4);
    expect(jittered(0, () => 0.9999)).toBe(0);
    const waits = new Set(Array.from({ length: 50 }, () => jittered(1_000)));
    expect(waits.size).toBeGreaterThan(10);
    for (const wait of waits) expect(wait >= 500 && wait < 1_500).toBe(true);
  });
});

describe('login under SERVER_BUSY (protocol/README.md §2.1)', () => {
  it('waits about retryAfterMs (jittered) and tries again until welcome', async () => {
    const peer = await fixture.start({
      onHello: (_hello, index) => (index < 2 ? { error: 'SERVER_BUSY', retryAfterMs: 400 } : undefined),
    });
    const clock = new ManualClock();
    const login = fixture
      .connector(peer, {}, { clock, random: () => 0.25 })
      .login({ user: 'alice', password: PASSWORD });
    for (const expected of [1, 2]) {
      await until(() => peer.hellos.length === expected && clock.pending().includes(300));
      expect(clock.pending()).toEqual([300]);
      clock.fireAll();
    }
    const outcome = await login;
    expect(outcome.ok).toBe(true);
    expect(peer.hellos).toHaveLength(3);
    if (outcome.ok) outcome.value.close();
  });

  it('gives up after maxBusyRetries and reports SERVER_BUSY with the retryAfterMs', async () => {
    const peer = await fixture.start({ onHello: () => ({ error: 'SERVER_BUSY', retryAfterMs: 40 }) });
    const outcome = await fixture
      .connector(peer, { maxBusyRetries: 2 }, { random: () => 0.5 })
      .login({ user: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SERVER_BUSY', retryAfterMs: 40 } });
    expect(peer.hellos).toHaveLength(3);
  });

  it('does not retry other refusals', async () => {
    const peer = await fixture.start({ onHello: () => ({ error: 'AUTH_FAILED' }) });
    const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(peer.hellos).toHaveLength(1);
  });
});

describe('reconnect backoff', () => {
  it('is jittered', async () => {
    const peer = await fixture.start({
      onRequest: (_request, connection) => (connection.index === 0 ? { kind: 'ignore' } : undefined),
    });
    const clock = new ManualClock();
    const opened = await fixture
      .connector(peer, { maxRetries: 1, retryBackoffMs: 50 }, { clock, random: () => 0.9 })
      .login({ user: 'alice', password: PASSWORD });
    if (!opened.ok) throw new Error(opened.error.code);
    const session = opened.value;
    const balance = session.balance();
    await until(() => peer.requests.length === 1);
    clock.fireAll(); // the answer is late: give up on this connection
    expect(clock.pending()).toEqual([70]); // 50 × 1.4
    clock.fireAll();
    expect(await balance).toMatchObject({ ok: true });
    session.close();
  });
});
