import { describe, expect, it, vi } from 'vitest';
import type { ConnectorDeps } from '../../../atm-client/client/index.js';
import type { RetryReport } from '../../../atm-client/client/types.js';
import { ManualClock, PASSWORD, peerFixture, until } from './peer-fixture.js';

const fixture = peerFixture();

async function login(peer: Awaited<ReturnType<typeof fixture.start>>, extra = {}, deps: ConnectorDeps = {}) {
  const outcome = await fixture.connector(peer, extra, deps).login({ user: 'alice', password: PASSWORD });
  if (!outcome.ok) throw new Error(`login failed: ${outcome.error.code}`);
  return outcome.value;
}

describe('pipelining', () => {
  it('sends several requests before any answer and matches the answers in order', async () => {
    const peer = await fixture.start({
      onRequest: (_request, connection) => {
        // Answer nothing until all three are in: only a pipelining client gets answers at all.
        if (peer.requests.length < 3) return { kind: 'hold' };
        queueMicrotask(() => connection.releaseHeld());
        return { kind: 'hold' };
      },
    });
    const session = await login(peer);
    const [a, b, c] = await Promise.all([session.deposit(100), session.withdraw(30), session.balance()]);
    expect(a).toMatchObject({ ok: true, value: { balanceCents: 10_100 } });
    expect(b).toMatchObject({ ok: true, value: { balanceCents: 10_070 } });
    expect(c).toMatchObject({ ok: true, value: { balanceCents: 10_070 } });
    expect(peer.requests.map((r) => r.request.op)).toEqual(['deposit', 'withdraw', 'balance']);
    session.close();
  });

  it('keeps at most 32 requests in flight and queues the rest', async () => {
    let heldConnection: { releaseHeld(): void } | undefined;
    const peer = await fixture.start({
      onRequest: (_request, connection) => {
        heldConnection = connection;
        return { kind: 'hold' };
      },
    });
    const session = await login(peer);
    const calls = Array.from({ length: 40 }, (_, i) => session.deposit(i + 1));
    await until(() => peer.requests.length === 32);
    // Give a misbehaving client every chance to send more before the answers come.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(peer.requests).toHaveLength(32);
    peer.hooks = {};
    heldConnection?.releaseHeld();
    const results = await Promise.all(calls);
    expect(peer.requests).toHaveLength(40);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peer.requests.map((r) => r.request.op === 'deposit' && r.request.amountCents)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const last = results[39];
    expect(last?.ok && last.value.balanceCents).toBe(10_000 + (40 * 41) / 2);
    session.close();
  });

  it('treats an answer carrying another id as a broken server', async () => {
    const peer = await fixture.start({
      onRequest: (request, connection) => {
        if (request.op !== 'balance') return undefined;
        connection.sendSealed({ id: 'someone-else', ok: true, result: { balanceCents: 1, currency: 'EUR' } });
        return { kind: 'ignore' };
      },
    });
    const session = await login(peer);
    const closed = vi.fn();
    session.onClose(closed);
    const [balance, deposit] = await Promise.all([session.balance(), session.deposit(500)]);
    expect(balance).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE' } });
    expect(deposit).toMatchObject({ ok: false, error: { code: 'BAD_SERVER_MESSAGE' } });
    expect(closed).toHaveBeenCalledWith(expect.objectContaining({ code: 'BAD_SERVER_MESSAGE' }));
  });
});

describe('lost answers', () => {
  it('reconnects and re-sends a deposit with the SAME id after the server applied it; the replay applies once', async () => {
    const peer = await fixture.start({
      onRequest: (request, connection) =>
        request.op === 'deposit' && connection.index === 0 ? { kind: 'apply-then-drop' } : undefined,
    });
    const session = await login(peer);
    const reports: RetryReport[] = [];
    session.onRetry((report) => reports.push(report));
    const closed = vi.fn();
    session.onClose(closed);

    const deposit = await session.deposit(2_000);

    expect(deposit).toMatchObject({ ok: true, value: { balanceCents: 12_000, replayed: true } });
    const deposits = peer.requests.filter((r) => r.request.op === 'deposit');
    expect(deposits).toHaveLength(2);
    expect(deposits[1]?.request.id).toBe(deposits[0]?.request.id);
    expect(deposits.map((r) => r.connection)).toEqual([0, 1]);
    expect(peer.hellos.map((h) => h.auth.method)).toEqual(['password', 'password']);
    expect(peer.bank.accounts.get('alice')?.balanceCents).toBe(12_000);
    expect(reports).toEqual([{ id: deposits[0]?.request.id, attempts: 2, reconnected: true, replayed: true }]);

    // The session goes on over the new connection.
    expect(await session.balance()).toMatchObject({ ok: true, value: { balanceCents: 12_000 } });
    expect(closed).not.toHaveBeenCalled();
    session.close();
  });

  it('re-sends everything that was in flight, in order, and queues what comes meanwhile', async () => {
    const peer = await fixture.start({
      onRequest: (request, connection) => {
        if (connection.index > 0) return undefined;
        return request.op === 'withdraw' ? { kind: 'apply-then-drop' } : { kind: 'hold' };
      },
    });
    const session = await login(peer);
    const all = Promise.all([session.deposit(1_000), session.withdraw(500), session.balance()]);
    const results = await all;
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results[2]).toMatchObject({ value: { balanceCents: 10_500 } });
    const [first, second] = [0, 1].map((c) =>
      peer.requests.filter((r) => r.connection === c).map((r) => `${r.request.op}:${r.request.id}`),
    );
    expect(second?.slice(0, 2)).toEqual(first?.slice(0, 2));
    session.close();
  });

  it('logs in with the new password when a password change was applied before the drop', async () => {
    const peer = await fixture.start({
      onRequest: (request, connection) =>
        request.op === 'change_password' && connection.index === 0 ? { kind: 'apply-then-drop' } : undefined,
    });
    const session = await login(peer);
    const changed = await session.changePassword(PASSWORD, 'Fresh-Password-7$');
    expect(changed).toEqual({ ok: true, value: { replayed: true } });
    expect(peer.hellos.map((h) => h.auth.password)).toEqual([PASSWORD, PASSWORD, 'Fresh-Password-7$']);
    session.close();
  });

  it('fails with CONNECTION_LOST and the request id when the bank cannot be reached again', async () => {
    const peer = await fixture.start({
      onRequest: (request) => (request.op === 'withdraw' ? { kind: 'drop' } : undefined),
    });
    const session = await login(peer, { maxRetries: 2 });
    const reports: RetryReport[] = [];
    session.onRetry((report) => reports.push(report));
    const closed = vi.fn();
    session.onClose(closed);
    const withdrawal = await session.withdraw(700, { id: 'wd-42' });
    expect(withdrawal).toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST', requestId: 'wd-42' } });
    // First send plus two retries, all with the same id, each on its own connection.
    expect(peer.requests.map((r) => [r.connection, r.request.id])).toEqual([
      [0, 'wd-42'],
      [1, 'wd-42'],
      [2, 'wd-42'],
    ]);
    expect(reports).toEqual([{ id: 'wd-42', attempts: 3, reconnected: true, replayed: false }]);
    expect(closed).toHaveBeenCalledWith(expect.objectContaining({ code: 'CONNECTION_LOST' }));
    expect(await session.balance()).toMatchObject({ ok: false, error: { code: 'SESSION_CLOSED' } });
  });

  it('gives up at once when logging in again is refused', async () => {
    const peer = await fixture.start({
      onRequest: (request) => (request.op === 'deposit' ? { kind: 'drop' } : undefined),
      onHello: (_hello, index) => (index > 0 ? { error: 'ACCOUNT_LOCKED' } : undefined),
    });
    const session = await login(peer, { maxRetries: 5 });
    const deposit = await session.deposit(100, { id: 'dep-1' });
    expect(deposit).toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST', requestId: 'dep-1' } });
    expect(deposit.ok || deposit.error.message).toContain('ACCOUNT_LOCKED');
    expect(peer.connectionCount()).toBe(2);
  });

  it('times out a request that gets no answer (TIMEOUT, with the id)', async () => {
    const peer = await fixture.start({ onRequest: () => ({ kind: 'ignore' }) });
    const clock = new ManualClock();
    const session = await login(peer, { timeoutMs: 5_000, maxRetries: 0 }, { clock });
    const deposit = session.deposit(100, { id: 'slow-1' });
    await until(() => peer.requests.length === 1);
    expect(clock.pending()).toEqual([5_000]);
    clock.fireAll();
    expect(await deposit).toMatchObject({ ok: false, error: { code: 'TIMEOUT', requestId: 'slow-1' } });
    expect(await session.ping()).toMatchObject({ ok: false, error: { code: 'SESSION_CLOSED' } });
  });

  it('after a timeout, retries the same id on a fresh connection and takes that answer', async () => {
    const peer = await fixture.start({
      onRequest: (_request, connection) => (connection.index === 0 ? { kind: 'ignore' } : undefined),
    });
    const clock = new ManualClock();
    const session = await login(peer, { maxRetries: 1, retryBackoffMs: 50 }, { clock, random: () => 0.5 });
    const reports: RetryReport[] = [];
    session.onRetry((report) => reports.push(report));
    const balance = session.balance();
    await until(() => peer.requests.length === 1);
    clock.fireAll(); // the answer is late: give up on this connection
    expect(clock.pending()).toEqual([50]); // the reconnect waits out its backoff
    clock.fireAll();
    expect(await balance).toMatchObject({ ok: true, value: { balanceCents: 10_000 } });
    expect(peer.requests.map((r) => [r.connection, r.request.id])).toEqual([
      [0, reports[0]?.id],
      [1, reports[0]?.id],
    ]);
    expect(reports).toEqual([{ id: peer.requests[0]?.request.id, attempts: 2, reconnected: true, replayed: false }]);
    session.close();
  });

  it('retries SERVER_BUSY with the same id after a pause', async () => {
    let busy = 2;
    const peer = await fixture.start({
      onRequest: () =>
        busy-- > 0
          ? { kind: 'respond', response: { ok: false, error: { code: 'SERVER_BUSY', message: 'busy' } } }
          : undefined,
    });
    const session = await login(peer);
    const reports: RetryReport[] = [];
    session.onRetry((report) => reports.push(report));
    expect(await session.deposit(300)).toMatchObject({ ok: true, value: { balanceCents: 10_300 } });
    const ids = peer.requests.map((r) => r.request.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(reports).toEqual([{ id: ids[0], attempts: 3, reconnected: false, replayed: false }]);
    session.close();
  });
});
