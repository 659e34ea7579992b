import { describe, expect, it } from 'vitest';
import { ClientHandshake, type ClientHandshakeAction } from '../../protocol/index.js';
import { hex } from '../helpers/vectors.js';
import { clientKeyPair, feed, frame, v } from './engine-kit.js';

const engine = (user = 'alice') =>
  new ClientHandshake({
    method: 'password',
    user,
    password: 'Correct-Horse-42',
    terminal: 'ATM-0001',
    keyPair: clientKeyPair(),
    clientNonce: hex(v.clientNonce),
  });

function started(user?: string): { hs: ClientHandshake; hello: Extract<ClientHandshakeAction, { type: 'send' }> } {
  const hs = engine(user);
  const [send] = hs.start();
  if (send?.type !== 'send') throw new Error('start must send hello');
  return { hs, hello: send };
}

describe('ClientHandshake', () => {
  it('sends the vector hello, byte for byte, framed and unframed', () => {
    const { hs, hello } = started();
    expect(hello.payload.toString('utf8')).toBe(v.helloUtf8);
    expect(hello.bytes.equals(frame(v.helloUtf8))).toBe(true);
    expect(hs.state).toBe('awaiting_reply');
    expect(hs.start()).toEqual([]);
  });

  it.each(['whole', 'bytewise'] as const)(
    'derives the vector keys from the vector welcome fed %s, and hands on what followed',
    (split) => {
      const { hs, hello } = started();
      const after = frame('{"seq":0}');
      const actions = feed((c) => hs.receive(c), Buffer.concat([frame(v.welcomeUtf8), after]), split);
      const done = actions.find((a) => a.type === 'established');
      if (done?.type !== 'established') throw new Error(`not established: ${JSON.stringify(actions)}`);
      expect(hs.state).toBe('established');
      expect(done.welcome.user).toBe('alice');
      // Sealing the first vector request proves the keys and session id are the vector's.
      const first = v.sealed.find((s) => s.direction === 'c2s' && s.seq === 0);
      const sealed = done.channel.sealer.sealEnvelope(first?.plaintextUtf8 ?? '');
      expect(sealed.ok && sealed.value).toEqual(first?.envelope);
      // Whole, the next frame came in the same bytes; byte by byte it came after the verdict.
      if (split === 'whole') expect(done.rest.map((b) => b.toString())).toEqual(['{"seq":0}']);
      else expect(done.rest).toEqual([]);
      // The hello held the password: wiped once the handshake ended.
      expect(hello.payload.every((b) => b === 0)).toBe(true);
      expect(hello.bytes.every((b) => b === 0)).toBe(true);
    },
  );

  it('passes on a frame cut off after welcome through the decoder', () => {
    const { hs } = started();
    const next = frame('{"seq":0}');
    const [done] = hs.receive(Buffer.concat([frame(v.welcomeUtf8), next.subarray(0, 3)]));
    if (done?.type !== 'established') throw new Error('not established');
    expect(done.rest).toEqual([]);
    expect(done.decoder.push(next.subarray(3)).frames.map((b) => b.toString())).toEqual(['{"seq":0}']);
  });

  it('reports an error frame as refused, with retryAfterMs, and closes', () => {
    const { hs } = started();
    const actions = hs.receiveFrame(
      Buffer.from('{"type":"error","code":"SERVER_BUSY","message":"busy","retryAfterMs":700}'),
    );
    expect(actions).toEqual([
      { type: 'close', mode: 'destroy' },
      {
        type: 'failed',
        reason: 'refused',
        error: { type: 'error', code: 'SERVER_BUSY', message: 'busy', retryAfterMs: 700 },
      },
    ]);
    expect(hs.state).toBe('failed');
    expect(hs.receiveFrame(Buffer.from(v.welcomeUtf8))).toEqual([]);
  });

  it.each([
    ['not JSON', 'nope'],
    ['a welcome for someone else', v.welcomeUtf8.replace('"alice"', '"mallory"')],
    ['an unknown error code', '{"type":"error","code":"NOPE","message":"x"}'],
  ])('refuses %s as a bad reply', (_name, reply) => {
    const { hs } = started();
    const actions = hs.receiveFrame(Buffer.from(reply));
    expect(actions[0]).toEqual({ type: 'close', mode: 'destroy' });
    expect(actions[1]).toMatchObject({ type: 'failed', reason: 'bad_reply' });
  });

  it('a zero length from the server is a bad reply, not a wait for more bytes', () => {
    const { hs } = started();
    expect(hs.receive(Buffer.alloc(4))).toMatchObject([{ type: 'close' }, { type: 'failed', reason: 'bad_reply' }]);
  });

  it('times out and notices a close, once', () => {
    const a = started().hs;
    expect(a.timeout()).toEqual([
      { type: 'close', mode: 'destroy' },
      { type: 'failed', reason: 'timeout' },
    ]);
    expect(a.timeout()).toEqual([]);
    const b = started().hs;
    expect(b.closed()).toEqual([{ type: 'failed', reason: 'closed' }]);
    expect(b.state).toBe('failed');
  });
});
