import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { createConnector } from '../../../atm-client/client/index.js';
import type { Notice } from '../../../protocol/index.js';
import { PASSWORD, peerFixture } from './peer-fixture.js';

const fixture = peerFixture();
const alice = { user: 'alice', password: PASSWORD };

describe('connecting', () => {
  it('refuses a server whose certificate another CA signed (TLS_ERROR)', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer, { ca: peer.pki.otherCaPem }).login(alice);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TLS_ERROR' } });
    expect(peer.hellos).toHaveLength(0);
  });

  it('connects to that server only with the loudly named switch', async () => {
    const peer = await fixture.start();
    const outcome = await fixture
      .connector(peer, { ca: peer.pki.otherCaPem, dangerouslySkipCertificateVerification: true })
      .login(alice);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) outcome.value.close();
  });

  it('reports a CA file that cannot be read as TLS_ERROR and names it', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer, { ca: '/nonexistent/ca.crt' }).login(alice);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TLS_ERROR' } });
    expect(outcome.ok || outcome.error.message).toContain('/nonexistent/ca.crt');
  });

  it('reports a closed port as CONNECT_FAILED', async () => {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const outcome = await createConnector({ host: '127.0.0.1', port, ca: fixture.pki.caPem }).login(alice);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONNECT_FAILED' } });
  });

  it('refuses a server that only speaks TLS 1.2', async () => {
    const server = createTlsServer({
      key: fixture.pki.keyPem,
      cert: fixture.pki.certPem,
      maxVersion: 'TLSv1.2',
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await createConnector({ host: '127.0.0.1', port, ca: fixture.pki.caPem }).login(alice);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'TLS_ERROR' } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('times out a handshake the server never answers (TIMEOUT)', async () => {
    const server = createTlsServer({ key: fixture.pki.keyPem, cert: fixture.pki.certPem, minVersion: 'TLSv1.3' });
    const sockets: { destroy(): void }[] = [];
    server.on('secureConnection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await createConnector({
        host: '127.0.0.1',
        port,
        ca: fixture.pki.caPem,
        timeoutMs: 200,
      }).login(alice);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('notices', () => {
  for (const kind of ['SESSION_EXPIRED', 'SERVER_SHUTDOWN'] as const) {
    it(`surfaces ${kind}: listeners hear it, pending calls fail with it, later calls too`, async () => {
      const peer = await fixture.start({
        onRequest: (request, connection) => {
          if (request.op !== 'withdraw') return undefined;
          connection.sendSealed({ notice: kind, message: 'bye' });
          connection.destroy();
          return { kind: 'ignore' };
        },
      });
      const opened = await fixture.connector(peer).login(alice);
      if (!opened.ok) throw new Error(opened.error.code);
      const session = opened.value;
      const notices: Notice[] = [];
      session.onNotice((notice) => notices.push(notice));
      const closed = vi.fn();
      session.onClose(closed);

      const [withdrawal, balance] = await Promise.all([session.withdraw(100, { id: 'w-1' }), session.balance()]);

      expect(notices).toEqual([{ notice: kind, message: 'bye' }]);
      expect(withdrawal).toEqual({ ok: false, error: { code: kind, message: 'bye', requestId: 'w-1' } });
      expect(balance).toMatchObject({ ok: false, error: { code: kind } });
      expect(closed).toHaveBeenCalledWith({ code: kind, message: 'bye' });
      expect(await session.ping()).toMatchObject({ ok: false, error: { code: kind } });
      // A notice ends the session: no reconnect.
      expect(peer.connectionCount()).toBe(1);
    });
  }
});

describe('a server that breaks the protocol', () => {
  const breaks: Record<string, (connection: import('../../helpers/scripted-bank-peer.js').PeerConnection) => void> = {
    'a tampered mac': (c) => c.sendTampered({ id: 'x', ok: true, result: {} }),
    'an unsealed frame': (c) => c.sendRawPayload(JSON.stringify({ id: 'x', ok: true, result: {} })),
    'a frame length above 65536': (c) => c.writeRaw(Buffer.from([0x00, 0x01, 0x00, 0x01, 0x7b])),
    'a frame length of 0': (c) => c.writeRaw(Buffer.from([0, 0, 0, 0])),
    'a sealed message that is neither response nor notice': (c) => c.sendSealed({ hello: 'there' }),
    'a balance that is not integer cents': (c) =>
      c.sendSealed({ id: null, ok: true, result: { balanceCents: 10.5, currency: 'EUR' } }),
    'an unknown error code': (c) => c.sendSealed({ id: null, ok: false, error: { code: 'OOPS', message: 'x' } }),
  };
  for (const [name, misbehave] of Object.entries(breaks)) {
    it(`closes on ${name} and fails pending calls with BAD_SERVER_MESSAGE, without reconnecting`, async () => {
      const peer = await fixture.start({
        onRequest: (request, connection) => {
          if (request.op !== 'balance') return undefined;
          misbehave(connection);
          return { kind: 'ignore' };
        },
      });
      const opened = await fixture.connector(peer).login(alice);
      if (!opened.ok) throw new Error(opened.error.code);
      const session = opened.value;
      const closed = vi.fn();
      session.onClose(closed);
      const [balance, deposit] = await Promise.all([session.balance(), session.deposit(100, { id: 'd-9' })]);
      expect(balance).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE' } });
      expect(deposit).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE', requestId: 'd-9' } });
      expect(closed).toHaveBeenCalledWith(expect.objectContaining({ code: 'BAD_SERVER_MESSAGE' }));
      expect(peer.connectionCount()).toBe(1);
    });
  }

  it('refuses a welcome for another user', async () => {
    const peer = await fixture.start({ onHello: () => ({ welcomeUser: 'bob' }) });
    const outcome = await fixture.connector(peer).login(alice);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE' } });
  });

  it('treats a malformed handshake reply as BAD_SERVER_MESSAGE', async () => {
    const peer = await fixture.start({ onHello: () => ({ error: 'NOT_A_CODE' as never }) });
    const outcome = await fixture.connector(peer).login(alice);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE' } });
  });
});

describe('ending a session', () => {
  it('close() fails calls in flight with SESSION_CLOSED, naming the id of an unconfirmed mutation', async () => {
    const peer = await fixture.start({ onRequest: () => ({ kind: 'ignore' }) });
    const opened = await fixture.connector(peer).login(alice);
    if (!opened.ok) throw new Error(opened.error.code);
    const session = opened.value;
    const withdrawal = session.withdraw(100, { id: 'w-open' });
    const balance = session.balance();
    await new Promise((resolve) => setImmediate(resolve));
    session.close();
    expect(await withdrawal).toMatchObject({ ok: false, error: { code: 'SESSION_CLOSED', requestId: 'w-open' } });
    const read = await balance;
    expect(read).toMatchObject({ ok: false, error: { code: 'SESSION_CLOSED' } });
    expect(read.ok || read.error).not.toHaveProperty('requestId');
  });

  it('a logout whose answer is lost still ends the session cleanly, without reconnecting', async () => {
    const peer = await fixture.start({
      onRequest: (request) => (request.op === 'logout' ? { kind: 'drop' } : undefined),
    });
    const opened = await fixture.connector(peer).login(alice);
    if (!opened.ok) throw new Error(opened.error.code);
    const closed = vi.fn();
    opened.value.onClose(closed);
    expect(await opened.value.logout()).toEqual({ ok: true, value: {} });
    expect(closed).toHaveBeenCalledTimes(1);
    expect(peer.connectionCount()).toBe(1);
  });
});
