import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchLink } from '../../atm-client/bench/bench-link.js';
import { openBenchSession } from '../../atm-client/bench/bench-session.js';
import { startTestBank, type TestBank } from '../helpers/test-bank.js';

// The load client's session against a real bank (real TLS on port 0, real SQLite): it runs
// protocol/'s handshake engine and parses answers with protocol/'s parser.
describe('bench session', () => {
  let bank: TestBank;
  const link = () => BenchLink.open({ host: '127.0.0.1', port: bank.port, ca: bank.caCert });
  const PASSWORD = 'Bench-Password-42!';

  beforeAll(async () => {
    bank = await startTestBank();
  });
  afterAll(async () => {
    await bank.dispose();
  });

  it('registers, asks, and is answered in order with the same ids', async () => {
    const session = await openBenchSession(await link(), {
      user: 'benchy',
      password: PASSWORD,
      method: 'register',
    });
    try {
      const balance = await session.call({ id: 'b-1', op: 'balance' });
      expect(balance).toMatchObject({ ok: true, result: { balanceCents: 0 } });
      const bad = await session.call({ id: 'b-2', op: 'withdraw', amountCents: 0 });
      expect(bad).toEqual({ ok: false, code: 'INVALID_AMOUNT' });
      expect(session.link.bytesOut).toBeGreaterThan(0);
    } finally {
      session.close();
    }
  });

  it('rejects with the server code when the login is refused', async () => {
    await expect(
      openBenchSession(await link(), {
        user: 'benchy',
        password: 'Wrong-Password-1!',
        method: 'password',
      }),
    ).rejects.toThrow('login refused: AUTH_FAILED');
  });
});
