import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../protocol/index.js';
import { MAX_PENDING_TLS_PER_ADDRESS } from '../../../server/bank-server.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { eventually, helloCode, helloFrame, sendHello } from './login-kit.js';

const PASSWORD = 'Correct-Horse-42!';

function silentTcp(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
    });
    socket.once('connect', () => resolve({ socket, closed: () => closed }));
    socket.once('error', reject);
  });
}

describe('connection limits and half-close', () => {
  const banks: TestBank[] = [];
  afterEach(async () => {
    for (const b of banks.splice(0)) await b.dispose();
  });

  it('answers every pipelined request of a client that half-closes', async () => {
    const bank = await startTestBank();
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
    const alice = await RawClient.login({ port: bank.port, ca: bank.caCert, user: 'alice', password: PASSWORD });
    const ids = Array.from({ length: 10 }, (_, i) =>
      alice.send({ op: 'update_contact', email: `alice${i}@example.com` }),
    );
    alice.socket.end();
    const answered: unknown[] = [];
    for (;;) {
      const message = await alice.receive();
      if (!message) break;
      answered.push(message.id);
    }
    expect(answered).toEqual(ids);
  });

  it('caps connections from one address that have not finished TLS, and others still get in', async () => {
    const bank = await startTestBank();
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
    const silent: Array<{ socket: Socket; closed: () => boolean }> = [];
    for (let i = 0; i < MAX_PENDING_TLS_PER_ADDRESS + 8; i++) silent.push(await silentTcp(bank.port));
    await eventually(() => silent.filter((s) => s.closed()).length >= 8);
    expect(silent.filter((s) => s.closed())).toHaveLength(8);
    // Another address is not held back by them.
    const other = await sendHello(bank, { user: 'alice', password: PASSWORD }, { localAddress: '127.0.0.2' });
    expect(other?.type).toBe('welcome');
    for (const s of silent) s.socket.destroy();
    await eventually(() => silent.every((s) => s.closed()));
    // Once the server has seen them go, the address gets in again.
    let code = 'none';
    for (let i = 0; i < 50 && code !== 'welcome'; i++) {
      code = await helloCode(bank, { user: 'alice', password: PASSWORD }).catch(() => 'dropped');
      if (code !== 'welcome') await new Promise((r) => setTimeout(r, 50));
    }
    expect(code).toBe('welcome');
  });

  it('counts the 10 s handshake deadline from TCP accept, TLS included', async () => {
    const bank = await startTestBank({ handshakeTimeoutMs: 1_000 });
    banks.push(bank);
    expect(await helloCode(bank, { user: 'alice', password: PASSWORD, method: 'register' })).toBe('welcome');
    const { socket: raw } = await silentTcp(bank.port);
    const acceptedAt = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    const tls = tlsConnect({ socket: raw, ca: bank.caCert, servername: 'localhost', minVersion: 'TLSv1.3' });
    tls.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('close', () => reject(new Error('closed during TLS')));
    });
    // TLS took part of the budget: a hello sent 1.3 s after accept is too late.
    await new Promise((r) => setTimeout(r, Math.max(0, 1_300 - (Date.now() - acceptedAt))));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    tls.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk).frames));
    if (!tls.destroyed) tls.write(helloFrame({ user: 'alice', password: PASSWORD }));
    await new Promise<void>((resolve) => {
      if (tls.destroyed) resolve();
      else tls.once('close', () => resolve());
    });
    expect(frames.map((f) => (JSON.parse(f.toString()) as { type: string }).type)).not.toContain('welcome');
  });
});
