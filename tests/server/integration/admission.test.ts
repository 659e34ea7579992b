import { afterEach, describe, expect, it } from 'vitest';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { helloCode, sendHello } from './login-kit.js';

const PASSWORD = 'Correct-Horse-42!';

describe('admission control for password checks (protocol/README.md §2.1)', () => {
  const banks: TestBank[] = [];
  afterEach(async () => {
    for (const b of banks.splice(0)) await b.dispose();
  });

  it('answers what it cannot check before the deadline with SERVER_BUSY + retryAfterMs, at once', async () => {
    // Cost 10 with a 1 s handshake: the queue holds only what fits in it.
    const bank = await startTestBank({ bcryptCost: 10, handshakeTimeoutMs: 1_000 });
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sendHello(bank, { user: 'alice', password: PASSWORD }, { localAddress: `127.5.0.${i + 1}` }),
      ),
    );
    const kinds = answers.map((a) => (a?.type === 'welcome' ? 'welcome' : (a?.code ?? a?.type)));
    const busy = answers.filter((a) => a?.code === 'SERVER_BUSY');
    expect(busy.length, kinds.join(',')).toBeGreaterThan(0);
    for (const answer of busy) expect(answer?.retryAfterMs).toBeGreaterThan(0);
    // Nothing else: no AUTH_FAILED for a right password, no RATE_LIMITED across 40 addresses.
    expect(kinds.filter((k) => k !== 'welcome' && k !== 'SERVER_BUSY' && k !== 'closed')).toEqual([]);
    expect(kinds).toContain('welcome');
  });

  it('caps the checks one address may have queued, so another address still gets in', async () => {
    const bank = await startTestBank({ bcryptCost: 10, handshakeTimeoutMs: 1_000 });
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
    const flood = Array.from({ length: 30 }, () =>
      sendHello(bank, { user: 'alice', password: PASSWORD }, { localAddress: '127.6.0.1' }),
    );
    const other = sendHello(bank, { user: 'alice', password: PASSWORD }, { localAddress: '127.6.0.2' });
    const answers = await Promise.all(flood);
    // At most half the queue (here about 7 of 14 checks) for one address.
    expect(answers.filter((a) => a?.code === 'SERVER_BUSY').length).toBeGreaterThanOrEqual(30 - 14);
    const answer = await other;
    expect(answer?.type, JSON.stringify(answer)).toBe('welcome');
  });
});
