import { describe, expect, it } from 'vitest';
import { PASSWORD, peerFixture } from '../client/peer-fixture.js';
import { peerEnv, runCli } from './cli-harness.js';

const fixture = peerFixture();

const NEW_PASSWORD = 'Brand-New-Pass-1!';

describe('atm exec open-account', () => {
  async function tellerPeer() {
    return fixture.start({
      onRequest: (request) =>
        request.op === 'open_account'
          ? { kind: 'respond', response: { ok: true, result: { user: request.user } } }
          : undefined,
    });
  }
  const envFor = (peer: { port: number; pki: { caPem: string } }, extra: Record<string, string> = {}) =>
    peerEnv(peer, PASSWORD, extra);

  it('sends open_account with the customer password from the environment, and the id given', async () => {
    const peer = await tellerPeer();
    const run = await runCli(
      ['exec', 'open-account', 'carol', '--id', 'open-1'],
      envFor(peer, { ATM_CUSTOMER_PASSWORD: NEW_PASSWORD }),
    );
    expect(run).toEqual({ code: 0, stdout: 'opened account carol\n', stderr: '' });
    expect(peer.requests.map((r) => r.request)).toEqual([
      { id: 'open-1', op: 'open_account', user: 'carol', password: NEW_PASSWORD },
      { id: expect.any(String), op: 'logout' },
    ]);
  });

  it('without a customer password it is a usage error and nothing is sent', async () => {
    const peer = await tellerPeer();
    const run = await runCli(['exec', 'open-account', 'carol'], envFor(peer));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ATM_CUSTOMER_PASSWORD/);
    expect(peer.requests).toEqual([]);
  });

  it('a refusal prints its code on stderr and exits 1', async () => {
    const peer = await fixture.start();
    const run = await runCli(['exec', 'open-account', 'carol', '--customer-password', NEW_PASSWORD], envFor(peer));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/INVALID_REQUEST/);
  });
});
