import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_ID, toB64 } from '../../../protocol/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { atTerminal, startTestBank, suiteBank, type TestBank } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

function helloWith(overrides: Record<string, unknown>, auth: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'hello',
    protocol: PROTOCOL_ID,
    clientNonce: toB64(Buffer.alloc(32, 1)),
    clientKey: toB64(Buffer.alloc(32, 9)),
    auth: { method: 'password', user: 'alice', password: PASSWORD, ...auth },
    ...overrides,
  });
}

async function errorFrameFor(bank: TestBank, payload: Uint8Array | string, raw = false) {
  const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
  if (raw) client.sendBytes(typeof payload === 'string' ? Buffer.from(payload) : payload);
  else client.sendFrame(payload);
  const frame = await client.nextFrame();
  await client.whenClosed();
  return frame ? (JSON.parse(frame.toString()) as { type: string; code: string; message: string }) : null;
}

describe('handshake', () => {
  const bank = suiteBank({ handshakeTimeoutMs: 400 });
  beforeAll(async () => {
    const reg = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect((await reg.hello({ user: 'alice', password: PASSWORD, method: 'register' })).kind).toBe('welcome');
    reg.destroy();
  });

  it('logs in and says welcome with the fields protocol/README.md lists', async () => {
    // At an enrolled terminal, hello.terminal repeats the certificate's CN.
    const client = await RawClient.connect(atTerminal(bank));
    const reply = await client.hello({ user: 'alice', password: PASSWORD, terminal: bank.terminal.id });
    expect(reply.kind).toBe('welcome');
    if (reply.kind !== 'welcome') return;
    expect(Object.keys(reply.welcome).sort()).toEqual(
      ['type', 'protocol', 'serverNonce', 'serverKey', 'sessionId', 'user', 'role', 'idleTimeoutSec'].sort(),
    );
    expect(reply.welcome.user).toBe('alice');
    expect(reply.welcome.role).toBe('customer');
    expect(reply.welcome.idleTimeoutSec).toBe(300);
    const pong = await client.call({ op: 'ping' });
    expect(pong.ok).toBe(true);
    client.destroy();
  });

  it('answers an unknown user and a wrong password with the same code and message', async () => {
    const a = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const unknown = await a.hello({ user: 'nobody', password: PASSWORD });
    const b = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const wrong = await b.hello({ user: 'alice', password: 'Wrong-Horse-42!' });
    expect(unknown).toEqual({ kind: 'error', code: 'AUTH_FAILED', message: expect.any(String) });
    expect(wrong).toEqual(unknown);
    await a.whenClosed();
    await b.whenClosed();
  });

  it('refuses garbage before welcome with PROTOCOL_ERROR and closes', async () => {
    expect((await errorFrameFor(bank, 'not json'))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, '[1,2,3]'))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, helloWith({ type: 'welcome' })))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, helloWith({ clientNonce: 'short' })))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, helloWith({}, { user: 'A' })))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, helloWith({ extra: 1 })))?.code).toBe('PROTOCOL_ERROR');
  });

  it('refuses a zero or oversize length before welcome without waiting for a body', async () => {
    expect((await errorFrameFor(bank, Buffer.from([0, 0, 0, 0]), true))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, Buffer.from([0, 1, 0, 1]), true))?.code).toBe('PROTOCOL_ERROR');
    expect((await errorFrameFor(bank, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]), true))?.code).toBe('PROTOCOL_ERROR');
  });

  it('says UNSUPPORTED_PROTOCOL for another protocol version', async () => {
    const frame = await errorFrameFor(bank, helloWith({ protocol: 'secure-atm/2' }));
    expect(frame).toEqual({ type: 'error', code: 'UNSUPPORTED_PROTOCOL', message: expect.any(String) });
  });

  it('refuses a low-order client key (all-zero shared secret)', async () => {
    const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    client.sendFrame(helloWith({ clientKey: toB64(Buffer.alloc(32, 0)) }));
    const frame = await client.nextFrame();
    expect(frame && JSON.parse(frame.toString()).code).toBe('PROTOCOL_ERROR');
  });

  it('closes a connection that never finishes its hello (stalled partial frame)', async () => {
    const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    client.sendBytes(Buffer.from([0, 0, 0, 50, 0x7b]));
    const started = Date.now();
    await client.whenClosed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('closes a silent connection after the handshake timeout', async () => {
    const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect(await client.closesSilently(5_000)).toBe(true);
  });

  it('refuses registration of a taken name and of a weak password', async () => {
    const a = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect(await a.hello({ user: 'alice', password: PASSWORD, method: 'register' })).toMatchObject({
      kind: 'error',
      code: 'USER_EXISTS',
    });
    const b = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect(await b.hello({ user: 'weakling', password: 'password', method: 'register' })).toMatchObject({
      kind: 'error',
      code: 'WEAK_PASSWORD',
    });
  });
});

describe('registration closed and per-address limits', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({
      allowRegistration: false,
      maxConnectionsPerAddress: 3,
      maxFailedLoginsPerMinute: 3,
      lockoutThreshold: 100,
    });
  });
  afterAll(async () => {
    await bank.dispose();
  });

  it('says REGISTRATION_CLOSED without --allow-registration', async () => {
    const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect(await client.hello({ user: 'newbie', password: PASSWORD, method: 'register' })).toMatchObject({
      code: 'REGISTRATION_CLOSED',
    });
  });

  it('refuses connections past the per-address limit with RATE_LIMITED', async () => {
    const held = await Promise.all([1, 2, 3].map(() => RawClient.connect({ port: bank.port, ca: bank.caCert })));
    const extra = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const frame = await extra.nextFrame();
    expect(frame && JSON.parse(frame.toString()).code).toBe('RATE_LIMITED');
    for (const c of held) c.destroy();
    await Promise.all(held.map((c) => c.whenClosed()));
  });

  it('rate-limits failed logins per address', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect({ port: bank.port, ca: bank.caCert });
      const reply = await c.hello({ user: 'ghost', password: PASSWORD });
      codes.push(reply.kind === 'error' ? reply.code : 'welcome');
      await c.whenClosed();
    }
    expect(codes.slice(0, 3)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    expect(codes.slice(3)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });
});
