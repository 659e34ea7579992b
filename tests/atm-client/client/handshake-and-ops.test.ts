import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { connect, createConnector } from '../../../atm-client/client/index.js';
import { parseEnvelope, SealedChannel } from '../../../protocol/index.js';
import { throwawayTerminalCertificate } from '../../helpers/test-terminal.js';
import { PASSWORD, peerFixture } from './peer-fixture.js';

const fixture = peerFixture();

describe('handshake', () => {
  it('sends a hello the server accepts and opens a session from the welcome', async () => {
    const peer = await fixture.start();
    const atm = await throwawayTerminalCertificate('ATM-0042');
    const outcome = await fixture
      .connector(peer, { terminalCert: atm.cert, terminalKey: atm.key })
      .login({ user: 'alice', password: PASSWORD });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const session = outcome.value;
    expect(session.user).toBe('alice');
    expect(Buffer.from(session.sessionId, 'base64')).toHaveLength(16);
    expect(session.idleTimeoutSec).toBe(300);
    // The terminal id is the certificate's CN, repeated in hello.terminal.
    expect(session.terminal).toBe('ATM-0042');

    const [hello] = peer.hellos;
    expect(hello).toMatchObject({
      type: 'hello',
      protocol: 'secure-atm/1',
      terminal: 'ATM-0042',
      auth: { method: 'password', user: 'alice', password: PASSWORD },
    });
    expect(hello?.auth).not.toHaveProperty('totp');
    expect(Buffer.from(hello?.clientNonce ?? '', 'base64')).toHaveLength(32);
    expect(Buffer.from(hello?.clientKey ?? '', 'base64')).toHaveLength(32);

    // The peer could only read this balance request if both sides derived the same keys.
    const balance = await session.balance();
    expect(balance).toEqual({
      ok: true,
      value: {
        balanceCents: 10_000,
        currency: 'EUR',
        dailyWithdrawalRemainingCents: 200_000,
        maxAmountCents: 100_000_000,
        twoFactor: false,
      },
    });
    session.close();
  });

  it('seals every frame after welcome with seq 0, 1, 2, …', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    if (!outcome.ok) throw new Error(outcome.error.code);
    await outcome.value.ping();
    await outcome.value.balance();
    await outcome.value.ping();
    const seqs = peer.rawFrames.map((frame) => parseEnvelope(frame)?.seq);
    expect(seqs).toEqual([0, 1, 2]);
    for (const frame of peer.rawFrames) expect(frame.toString('utf8')).not.toContain('balance');
    outcome.value.close();
  });

  it('sends the TOTP code and the register method when asked', async () => {
    const peer = await fixture.start();
    const connector = fixture.connector(peer);
    const registered = await connector.register({ user: 'carol', password: 'Brand-New-Pass-1!' });
    expect(registered.ok).toBe(true);
    if (registered.ok) registered.value.close();
    await connector.login({ user: 'alice', password: PASSWORD, totp: '654321' });
    expect(peer.hellos.map((h) => h.auth)).toEqual([
      { method: 'register', user: 'carol', password: 'Brand-New-Pass-1!' },
      { method: 'password', user: 'alice', password: PASSWORD, totp: '654321' },
    ]);
  });

  it('reports an error frame as the server code and message', async () => {
    const peer = await fixture.start();
    const connector = fixture.connector(peer);
    expect(await connector.login({ user: 'alice', password: 'wrong' })).toEqual({
      ok: false,
      error: { code: 'AUTH_FAILED', message: 'AUTH_FAILED' },
    });
    const taken = await connector.register({ user: 'alice', password: 'Brand-New-Pass-1!' });
    expect(taken.ok || taken.error.code).toBe('USER_EXISTS');
    peer.hooks = { onHello: () => ({ error: 'ACCOUNT_LOCKED', message: 'locked: ask the bank' }) };
    expect(await connector.login({ user: 'alice', password: PASSWORD })).toEqual({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED', message: 'locked: ask the bank' },
    });
  });

  it('reads the CA from a file path as well as from PEM text', async () => {
    const peer = await fixture.start();
    const dir = await mkdtemp(join(tmpdir(), 'atm-ca-'));
    try {
      const caPath = join(dir, 'ca.crt');
      await writeFile(caPath, peer.pki.caPem);
      const outcome = await connect({
        ...fixture.options(peer, { ca: caPath }),
        credentials: { user: 'alice', password: PASSWORD },
      });
      expect(outcome.ok).toBe(true);
      if (outcome.ok) outcome.value.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dials a DNS host name with SNI as well as an IP address', async () => {
    const peer = await fixture.start();
    const good = await fixture.connector(peer, { host: 'localhost' }).login({ user: 'alice', password: PASSWORD });
    expect(good.ok).toBe(true);
    if (good.ok) good.value.close();
  });
});

describe('every op on the wire', () => {
  it('sends each request with the fields protocol/README.md names and a fresh valid id', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    if (!outcome.ok) throw new Error(outcome.error.code);
    const s = outcome.value;

    expect(await s.balance()).toMatchObject({ ok: true, value: { balanceCents: 10_000 } });
    expect(await s.deposit(2_550)).toMatchObject({ ok: true, value: { balanceCents: 12_550 } });
    const withdrawn = await s.withdraw(2_000);
    expect(withdrawn).toMatchObject({ ok: true, value: { balanceCents: 10_550 } });
    const txId = withdrawn.ok ? withdrawn.value.txId : '';
    expect(await s.transfer('bob', 550)).toMatchObject({ ok: true, value: { balanceCents: 10_000 } });
    expect(await s.reverse(txId, 'NOT_DISPENSED')).toMatchObject({
      ok: true,
      value: { balanceCents: 12_000, reversedTxId: txId },
    });
    const history = await s.history({ limit: 2 });
    expect(history.ok && history.value.entries.map((e) => e.kind)).toEqual(['reversal', 'transfer_out']);
    await s.history({ limit: 5, before: txId });
    await s.history();
    expect(await s.changePassword(PASSWORD, 'Another-Pass-42!')).toEqual({ ok: true, value: {} });
    expect(await s.updateContact({ email: 'a@example.com', phone: '+44 20 7946 0000' })).toEqual({
      ok: true,
      value: {},
    });
    await s.updateContact({ phone: '+1 555 0100' });
    expect(await s.totpEnroll('Another-Pass-42!')).toMatchObject({ ok: true, value: { secret: 'JBSWY3DPEHPK3PXP' } });
    expect(await s.totpConfirm('123456')).toEqual({ ok: true, value: {} });
    expect(await s.ping()).toMatchObject({ ok: true, value: { serverTime: expect.any(String) } });
    expect(await s.logout()).toEqual({ ok: true, value: {} });

    const sent = peer.requests.map(({ request }) => {
      const { id, ...rest } = request;
      expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      return rest;
    });
    expect(sent).toEqual([
      { op: 'balance' },
      { op: 'deposit', amountCents: 2_550 },
      { op: 'withdraw', amountCents: 2_000 },
      { op: 'transfer', amountCents: 550, to: 'bob' },
      { op: 'reverse', txId, reason: 'NOT_DISPENSED' },
      { op: 'history', limit: 2 },
      { op: 'history', limit: 5, before: txId },
      { op: 'history' },
      { op: 'change_password', current: PASSWORD, new: 'Another-Pass-42!' },
      { op: 'update_contact', email: 'a@example.com', phone: '+44 20 7946 0000' },
      { op: 'update_contact', phone: '+1 555 0100' },
      { op: 'totp_enroll', password: 'Another-Pass-42!' },
      { op: 'totp_confirm', code: '123456' },
      { op: 'ping' },
      { op: 'logout' },
    ]);
    const ids = peer.requests.map(({ request }) => request.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses the caller-supplied id for a mutation and returns server errors as values', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    if (!outcome.ok) throw new Error(outcome.error.code);
    const s = outcome.value;
    expect(await s.withdraw(999_999, { id: 'atm-7_withdraw-1' })).toEqual({
      ok: false,
      error: { code: 'INSUFFICIENT_FUNDS', message: 'balance too low' },
    });
    expect(peer.requests[0]?.request.id).toBe('atm-7_withdraw-1');
    s.close();
  });

  it('refuses a request the protocol forbids without sending it', async () => {
    const peer = await fixture.start();
    const outcome = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    if (!outcome.ok) throw new Error(outcome.error.code);
    const s = outcome.value;
    expect(await s.deposit(0)).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT' } });
    expect(await s.withdraw(12.5)).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT' } });
    expect(await s.transfer('Not A User', 100)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await s.reverse('T1', 'NOT_DISPENSED')).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await s.history({ limit: 101 })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await s.deposit(100, { id: 'has space' })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(peer.requests).toHaveLength(0);
    s.close();
  });

  it('wipes the channel keys when the session closes', async () => {
    const destroy = vi.spyOn(SealedChannel.prototype, 'destroy');
    try {
      const peer = await fixture.start();
      const outcome = await createConnector(fixture.options(peer)).login({ user: 'alice', password: PASSWORD });
      if (!outcome.ok) throw new Error(outcome.error.code);
      const before = destroy.mock.calls.length;
      const closed = vi.fn();
      outcome.value.onClose(closed);
      outcome.value.close();
      expect(destroy.mock.calls.length).toBe(before + 1);
      expect(closed).toHaveBeenCalledWith(null);
      expect(await outcome.value.balance()).toMatchObject({ ok: false, error: { code: 'SESSION_CLOSED' } });
    } finally {
      destroy.mockRestore();
    }
  });
});
