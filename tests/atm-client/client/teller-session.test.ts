import { describe, expect, it } from 'vitest';
import type { Request } from '../../../protocol/index.js';
import type { PeerAction, PeerConnection } from '../../helpers/scripted-bank-peer.js';
import { PASSWORD, peerFixture } from './peer-fixture.js';

const fixture = peerFixture();

/**
 * A bank that answers the teller ops (§5.2) per connection: `serve` of bob with PASSWORD serves
 * bob, anything else is refused with `refuseServe`; a customer op while serving no one is NOT_SERVING.
 */
function counter(options: { refuseServe?: (connection: PeerConnection) => boolean; dropDeposit?: number } = {}) {
  const served = new Map<number, string>();
  let deposits = 0;
  return (request: Request, connection: PeerConnection): PeerAction | undefined => {
    if (request.op === 'serve') {
      served.delete(connection.index);
      if (request.user !== 'bob' || request.password !== PASSWORD || options.refuseServe?.(connection)) {
        return { kind: 'respond', response: { ok: false, error: { code: 'AUTH_FAILED', message: 'no' } } };
      }
      served.set(connection.index, request.user);
      return { kind: 'respond', response: { ok: true, result: { user: 'bob', balanceCents: 0 } } };
    }
    if (request.op === 'release') {
      served.delete(connection.index);
      return { kind: 'respond', response: { ok: true, result: {} } };
    }
    if (request.op === 'open_account') {
      return { kind: 'respond', response: { ok: true, result: { user: request.user } } };
    }
    if (request.op === 'ping' || request.op === 'logout') return undefined;
    if (!served.has(connection.index)) {
      return { kind: 'respond', response: { ok: false, error: { code: 'NOT_SERVING', message: 'serve first' } } };
    }
    if (request.op === 'deposit') {
      deposits += 1;
      if (deposits === options.dropDeposit) return { kind: 'drop' };
    }
    return undefined;
  };
}

async function login(peer: Awaited<ReturnType<typeof fixture.start>>) {
  const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
  if (!outcome.ok) throw new Error(`login failed: ${outcome.error.code}`);
  return outcome.value;
}

describe('client library: teller sessions', () => {
  it('a welcome without role is a customer session serving no one', async () => {
    const peer = await fixture.start();
    const session = await login(peer);
    expect(session.role).toBe('customer');
    expect(session.servedCustomer).toBeNull();
    session.close();
  });

  it('serve, release and a refused serve track who is served; NOT_SERVING clears it', async () => {
    const peer = await fixture.start({ onRequest: counter() });
    const session = await login(peer);
    expect(await session.balance()).toMatchObject({ ok: false, error: { code: 'NOT_SERVING' } });

    expect(await session.serve('bob', PASSWORD)).toEqual({ ok: true, value: { user: 'bob', balanceCents: 0 } });
    expect(session.servedCustomer).toBe('bob');
    expect(await session.balance()).toMatchObject({ ok: true });

    expect(await session.release()).toEqual({ ok: true, value: {} });
    expect(session.servedCustomer).toBeNull();

    await session.serve('bob', PASSWORD);
    // A refused serve released bob first: the session serves no one.
    expect(await session.serve('bob', 'wrong-password')).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(session.servedCustomer).toBeNull();

    const opened = await session.openAccount('carol', 'Another-Pass-77!', { id: 'open-carol-1' });
    expect(opened).toEqual({ ok: true, value: { user: 'carol' } });
    const sent = peer.requests.map((seen) => seen.request);
    expect(sent.filter((r) => r.op === 'serve').map((r) => r.op === 'serve' && r.totp)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(sent.find((r) => r.op === 'open_account')).toMatchObject({ id: 'open-carol-1', user: 'carol' });
    session.close();
  });

  it('after a reconnect the customer is served again before their lost request is re-sent', async () => {
    const peer = await fixture.start({ onRequest: counter({ dropDeposit: 1 }) });
    const session = await login(peer);
    await session.serve('bob', PASSWORD);
    const deposit = await session.deposit(500, { id: 'dep-1' });
    expect(deposit).toMatchObject({ ok: true });
    expect(session.servedCustomer).toBe('bob');
    const onSecond = peer.requests.filter((seen) => seen.connection === 1).map((seen) => seen.request);
    expect(onSecond.map((r) => r.op)).toEqual(['serve', 'deposit']);
    expect(onSecond[0]).toMatchObject({ user: 'bob', password: PASSWORD });
    expect(onSecond[1]).toMatchObject({ id: 'dep-1' });
    session.close();
  });

  it('when serving again is refused, the lost request fails unconfirmed with its id, never as NOT_SERVING', async () => {
    const peer = await fixture.start({
      onRequest: counter({ dropDeposit: 1, refuseServe: (connection) => connection.index > 0 }),
    });
    const session = await login(peer);
    await session.serve('bob', PASSWORD);
    const deposit = await session.deposit(500, { id: 'dep-2' });
    expect(deposit).toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST', requestId: 'dep-2' } });
    expect(session.servedCustomer).toBeNull();
    // Nothing of the customer's went out on the new connection.
    const onSecond = peer.requests.filter((seen) => seen.connection === 1).map((seen) => seen.request.op);
    expect(onSecond).toEqual(['serve']);
    session.close();
  });
});
