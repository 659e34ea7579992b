import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameSealer } from '../../../protocol/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { atTerminal, startTestBank, suiteBank, type TestBank } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

describe('after welcome, a broken frame is never answered: the server closes at once', () => {
  let bank: TestBank;
  const events: Array<{ kind: string; code?: string | null }> = [];
  beforeAll(async () => {
    const { createMemoryAudit } = await import('../../../audit/index.js');
    const audit = createMemoryAudit();
    bank = await startTestBank({}, { audit });
    Object.defineProperty(events, 'source', { value: audit.events });
    const c = await RawClient.connect({ ...atTerminal(bank) });
    await c.hello({ user: 'mallory', password: PASSWORD, method: 'register' });
    await c.call({ op: 'deposit', amountCents: 10_000 });
    c.destroy();
  });
  afterAll(async () => {
    await bank.dispose();
  });

  const auditKinds = () => ((events as unknown as { source: Array<{ kind: string }> }).source ?? []).map((e) => e.kind);

  async function session(): Promise<RawClient> {
    return RawClient.login({ ...atTerminal(bank), user: 'mallory', password: PASSWORD });
  }

  /** A sealed balance request with one bit pattern flipped in one byte of its ciphertext or MAC. */
  function tampered(c: RawClient, id: string, field: 'ct' | 'mac', index: number, mask: number): string {
    const envelope = JSON.parse(c.seal({ id, op: 'balance' }).toString()) as Record<'ct' | 'mac', string>;
    const bytes = Buffer.from(envelope[field], 'base64');
    bytes[index] = (bytes[index] as number) ^ mask;
    return JSON.stringify({ ...envelope, [field]: bytes.toString('base64') });
  }

  it('tampered ciphertext → silent close and an integrity_failure audit event', async () => {
    const c = await session();
    c.sendFrame(tampered(c, 'x1', 'ct', 0, 1));
    expect(await c.closesSilently()).toBe(true);
    expect(auditKinds()).toContain('integrity_failure');
  });

  it('tampered mac → silent close', async () => {
    const c = await session();
    c.sendFrame(tampered(c, 'x2', 'mac', 31, 0x80));
    expect(await c.closesSilently()).toBe(true);
  });

  it('a replayed frame → silent close and a sequence_error audit event', async () => {
    const c = await session();
    const frame = c.seal({ id: 'r1', op: 'deposit', amountCents: 1 });
    c.sendFrame(frame);
    expect((await c.receive())?.ok).toBe(true);
    c.sendFrame(frame);
    expect(await c.closesSilently()).toBe(true);
    expect(auditKinds()).toContain('sequence_error');
  });

  it('reordered frames → silent close, and the later frame was not applied', async () => {
    const c = await session();
    const first = c.seal({ id: 'o1', op: 'balance' });
    const second = c.seal({ id: 'o2', op: 'deposit', amountCents: 5 });
    c.sendFrame(second);
    c.sendFrame(first);
    expect(await c.closesSilently()).toBe(true);
    const check = await session();
    const replay = await check.call({ id: 'o2', op: 'deposit', amountCents: 5 });
    expect((replay.result as { replayed?: boolean }).replayed).toBeUndefined();
    check.destroy();
  });

  it('a frame sealed with the server-to-client keys, or for another session → silent close', async () => {
    const wrongDirection = await session();
    const s2c = new FrameSealer(
      wrongDirection.keys as NonNullable<RawClient['keys']>,
      's2c',
      wrongDirection.sessionId as Buffer,
    );
    const forged = s2c.seal(JSON.stringify({ id: 'w1', op: 'balance' }));
    expect(forged.ok).toBe(true);
    if (forged.ok) wrongDirection.sendFrame(forged.value);
    expect(await wrongDirection.closesSilently()).toBe(true);

    const wrongSession = await session();
    const otherId = Buffer.from(wrongSession.sessionId as Buffer);
    otherId[0] = (otherId[0] as number) ^ 0xff;
    const c2s = new FrameSealer(wrongSession.keys as NonNullable<RawClient['keys']>, 'c2s', otherId);
    const sealed = c2s.seal(JSON.stringify({ id: 'w2', op: 'balance' }));
    if (sealed.ok) wrongSession.sendFrame(sealed.value);
    expect(await wrongSession.closesSilently()).toBe(true);
  });

  it('oversize and zero lengths, bad envelopes and garbage → silent close', async () => {
    for (const bytes of [
      Buffer.from([0, 1, 0, 1]),
      Buffer.from([0, 0, 0, 0]),
      encodeFrame('{"seq":0,"ct":"!!","mac":"x"}'),
      encodeFrame('not json at all'),
      encodeFrame('{"seq":0,"ct":"AAAA","mac":"AAAA","extra":1}'),
    ]) {
      const c = await session();
      c.sendBytes(bytes);
      expect(await c.closesSilently()).toBe(true);
    }
  });

  it('a malformed request inside a good frame gets INVALID_REQUEST and the session goes on', async () => {
    const c = await session();
    c.sendFrame(c.seal('just a string'));
    const bad = await c.receive();
    expect(bad).toMatchObject({ id: null, ok: false, error: { code: 'INVALID_REQUEST' } });
    c.sendFrame(c.seal({ id: 'ok-after', op: 'ping', junk: true }));
    expect(await c.receive()).toMatchObject({ id: 'ok-after', ok: false, error: { code: 'INVALID_REQUEST' } });
    expect((await c.call({ op: 'balance' })).ok).toBe(true);
    c.destroy();
  });

  it('still serves a fresh client after all of that', async () => {
    const c = await session();
    expect((await c.call({ op: 'balance' })).ok).toBe(true);
    c.destroy();
  });
});

describe('idle sessions', () => {
  const bank = suiteBank({ idleTimeoutSec: 1 });

  it('get a SESSION_EXPIRED notice and are closed', async () => {
    const c = await RawClient.connect({ ...atTerminal(bank) });
    const reply = await c.hello({ user: 'sleepy', password: PASSWORD, method: 'register' });
    expect(reply.kind === 'welcome' && reply.welcome.idleTimeoutSec).toBe(1);
    const notice = await c.receive(5_000);
    expect(notice).toMatchObject({ notice: 'SESSION_EXPIRED' });
    await c.whenClosed();
  });
});

describe('shutdown', () => {
  it('sends SERVER_SHUTDOWN to open sessions and closes them', async () => {
    const bank = await startTestBank();
    const c = await RawClient.connect({ ...atTerminal(bank) });
    await c.hello({ user: 'late', password: PASSWORD, method: 'register' });
    expect((await c.call({ op: 'deposit', amountCents: 100 })).ok).toBe(true);
    const id = c.send({ op: 'deposit', amountCents: 100 });
    // Let the frame reach the server before the stop begins.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stopping = bank.dispose();
    const first = await c.receive();
    // The deposit was dispatched before shutdown, so it is answered before the notice.
    expect(first).toMatchObject({ id, ok: true });
    expect(await c.receive()).toMatchObject({ notice: 'SERVER_SHUTDOWN' });
    await c.whenClosed();
    await stopping;
  });
});
