import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Direction,
  FrameOpener,
  FrameSealer,
  MAX_SEQ,
  ProtocolError,
  parseEnvelope,
  type Result,
  SealedChannel,
  type SessionKeys,
} from '../../protocol/index.js';
import { hex, loadVectors, sealedInOrder } from '../helpers/vectors.js';

const v = loadVectors();
const SESSION_ID = hex(v.sessionId);
const keys = (): SessionKeys => ({
  c2sEnc: hex(v.keys.c2sEnc),
  c2sMac: hex(v.keys.c2sMac),
  s2cEnc: hex(v.keys.s2cEnc),
  s2cMac: hex(v.keys.s2cMac),
});
const C2S = sealedInOrder(v, 'c2s');

function envelopeBytes(e: unknown): Buffer {
  return Buffer.from(JSON.stringify(e), 'utf8');
}

function expectCode<T>(result: Result<T>, code: string): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error.code).toBe(code);
  }
}

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Seal `count` messages in one direction; returns the envelope bytes. */
function sealMany(direction: Direction, count: number, sessionId = SESSION_ID, k = keys()): Buffer[] {
  const sealer = new FrameSealer(k, direction, sessionId);
  return Array.from({ length: count }, (_, i) => unwrap(sealer.seal(`{"id":"r${i}","op":"ping"}`)));
}

/** Flip one bit of a base64 field and re-encode it canonically. */
function flipBit(envelope: { seq: number; ct: string; mac: string }, field: 'ct' | 'mac', bit: number) {
  const bytes = Buffer.from(envelope[field], 'base64');
  bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return { ...envelope, [field]: bytes.toString('base64') };
}

/**
 * Tests reach seq 2^32 − 1 by constructing the state rather than sealing four billion frames.
 * The guard makes a renamed field fail loudly instead of silently testing seq 0.
 */
function setCounter(target: FrameSealer | FrameOpener, field: 'nextSeq' | 'expectedSeq', value: number): void {
  const state = target as unknown as Record<string, unknown>;
  if (typeof state[field] !== 'number') throw new Error(`${field} is not a numeric field any more`);
  state[field] = value;
  expect(target.seq).toBe(value);
}

/** The private key copies a sealer or opener holds, for checking that destroy() wipes them. */
function heldKeys(target: FrameSealer | FrameOpener): Buffer[] {
  const held = (target as unknown as { keys?: { enc?: unknown; mac?: unknown } }).keys;
  if (!Buffer.isBuffer(held?.enc) || !Buffer.isBuffer(held?.mac)) throw new Error('key copies not found');
  return [held.enc, held.mac];
}

describe('round trip', () => {
  it.each(['client', 'server'] as const)('a %s seals what the other role opens, in order', (role) => {
    const sender = new SealedChannel(role, keys(), SESSION_ID);
    const receiver = new SealedChannel(role === 'client' ? 'server' : 'client', keys(), SESSION_ID);
    const messages = [{ id: 'a', op: 'balance' }, { id: 'b', ok: true, result: { text: 'héllo ☃' } }, { n: 1 }];
    for (const [i, message] of messages.entries()) {
      const sealed = unwrap(sender.sealMessage(message));
      expect(JSON.parse(sealed.toString('utf8')).seq).toBe(i);
      expect(JSON.parse(unwrap(receiver.open(sealed)).toString('utf8'))).toEqual(message);
    }
    expect(sender.sealer.seq).toBe(3);
    expect(receiver.opener.seq).toBe(3);
  });

  it('both directions run their own counters', () => {
    const client = new SealedChannel('client', keys(), SESSION_ID);
    const server = new SealedChannel('server', keys(), SESSION_ID);
    for (let i = 0; i < 3; i++) unwrap(server.open(unwrap(client.sealMessage({ i }))));
    const reply = unwrap(server.sealMessage({ r: 1 }));
    expect(JSON.parse(reply.toString('utf8')).seq).toBe(0);
    expect(JSON.parse(unwrap(client.open(reply)).toString('utf8'))).toEqual({ r: 1 });
  });

  it('the channel holds copies: wiping the caller keys afterwards does not break it', () => {
    const callerKeys = keys();
    const client = new SealedChannel('client', callerKeys, SESSION_ID);
    for (const k of Object.values(callerKeys)) k.fill(0);
    const sealed = unwrap(client.sealer.seal(C2S[0]?.plaintextUtf8 ?? ''));
    expect(sealed.toString('utf8')).toBe(JSON.stringify(C2S[0]?.envelope));
  });

  it('different plaintexts of equal length give different ciphertexts at the same seq', () => {
    const a = unwrap(new FrameSealer(keys(), 'c2s', SESSION_ID).sealEnvelope('{"a":1}'));
    const b = unwrap(new FrameSealer(keys(), 'c2s', SESSION_ID).sealEnvelope('{"a":2}'));
    expect(a.ct).not.toBe(b.ct);
    expect(a.mac).not.toBe(b.mac);
  });

  it('refuses a session id that is not 16 bytes', () => {
    expect(() => new FrameSealer(keys(), 'c2s', Buffer.alloc(15))).toThrow(RangeError);
    expect(() => new FrameOpener(keys(), 'c2s', Buffer.alloc(17))).toThrow(RangeError);
  });
});

describe('integrity', () => {
  const vector = C2S[0];
  if (!vector) throw new Error('no c2s vector');
  const ctBits = Buffer.from(vector.envelope.ct, 'base64').length * 8;

  it.each([
    ['ct', ctBits],
    ['mac', 256],
  ] as const)('flipping any single bit of %s is INTEGRITY_FAILURE', (field, bits) => {
    for (let bit = 0; bit < bits; bit++) {
      const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
      expectCode(opener.open(envelopeBytes(flipBit(vector.envelope, field, bit))), 'INTEGRITY_FAILURE');
    }
  });

  it('truncating or extending ct is INTEGRITY_FAILURE', () => {
    const ct = Buffer.from(vector.envelope.ct, 'base64');
    for (const changed of [ct.subarray(0, ct.length - 1), Buffer.concat([ct, Buffer.from([0])])]) {
      const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
      expectCode(
        opener.open(envelopeBytes({ ...vector.envelope, ct: changed.toString('base64') })),
        'INTEGRITY_FAILURE',
      );
    }
  });

  it('keys of the other direction fail', () => {
    const sealed = sealMany('c2s', 1)[0] as Buffer;
    expectCode(new FrameOpener(keys(), 's2c', SESSION_ID).open(sealed), 'INTEGRITY_FAILURE');
    // Two clients talking to each other: each opens s2c but the other sealed c2s.
    const a = new SealedChannel('client', keys(), SESSION_ID);
    const b = new SealedChannel('client', keys(), SESSION_ID);
    expectCode(b.open(unwrap(a.sealMessage({ x: 1 }))), 'INTEGRITY_FAILURE');
  });

  it('the direction byte alone matters: the same keys in both slots still fail across directions', () => {
    const same: SessionKeys = {
      c2sEnc: hex(v.keys.c2sEnc),
      c2sMac: hex(v.keys.c2sMac),
      s2cEnc: hex(v.keys.c2sEnc),
      s2cMac: hex(v.keys.c2sMac),
    };
    const sealed = unwrap(new FrameSealer(same, 'c2s', SESSION_ID).seal('{"x":1}'));
    expectCode(new FrameOpener(same, 's2c', SESSION_ID).open(sealed), 'INTEGRITY_FAILURE');
  });

  it('a wrong session id fails', () => {
    const other = Buffer.from(SESSION_ID);
    other[15] = (other[15] ?? 0) ^ 1;
    const sealed = sealMany('c2s', 1, other)[0] as Buffer;
    expectCode(new FrameOpener(keys(), 'c2s', SESSION_ID).open(sealed), 'INTEGRITY_FAILURE');
  });

  it('unrelated keys fail', () => {
    const other = keys();
    other.c2sMac[0] = (other.c2sMac[0] ?? 0) ^ 0x80;
    const sealed = sealMany('c2s', 1, SESSION_ID, other)[0] as Buffer;
    expectCode(new FrameOpener(keys(), 'c2s', SESSION_ID).open(sealed), 'INTEGRITY_FAILURE');
  });

  it('a frame relabelled with the expected seq fails the tag (seq is authenticated)', () => {
    const [first, second] = sealMany('c2s', 2).map((b) => JSON.parse(b.toString('utf8')));
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    unwrap(opener.open(envelopeBytes(first)));
    expectCode(opener.open(envelopeBytes({ ...first, seq: 1 })), 'INTEGRITY_FAILURE');
    expect(second.seq).toBe(1);
  });
});

describe('sequence', () => {
  it('a replayed frame is SEQUENCE_ERROR', () => {
    const [f0] = sealMany('c2s', 1) as [Buffer];
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    unwrap(opener.open(f0));
    expectCode(opener.open(f0), 'SEQUENCE_ERROR');
  });

  it('a skipped frame is SEQUENCE_ERROR', () => {
    const [, f1] = sealMany('c2s', 2) as [Buffer, Buffer];
    expectCode(new FrameOpener(keys(), 'c2s', SESSION_ID).open(f1), 'SEQUENCE_ERROR');
  });

  it('reordered frames are SEQUENCE_ERROR', () => {
    const [f0, f1, f2] = sealMany('c2s', 3) as [Buffer, Buffer, Buffer];
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    unwrap(opener.open(f0));
    expectCode(opener.open(f2), 'SEQUENCE_ERROR');
    const again = new FrameOpener(keys(), 'c2s', SESSION_ID);
    expectCode(again.open(f1), 'SEQUENCE_ERROR');
  });

  it('seq is checked before the tag (protocol/README.md §4 order)', () => {
    const [, f1] = sealMany('c2s', 2) as [Buffer, Buffer];
    const tampered = flipBit(JSON.parse(f1.toString('utf8')), 'mac', 0);
    expectCode(new FrameOpener(keys(), 'c2s', SESSION_ID).open(envelopeBytes(tampered)), 'SEQUENCE_ERROR');
  });

  it('the envelope is checked before seq', () => {
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    expectCode(opener.open(envelopeBytes({ seq: 5, ct: 'AA==', mac: 'AA==' })), 'BAD_ENVELOPE');
  });
});

describe('malformed envelopes are BAD_ENVELOPE', () => {
  const good = C2S[0]?.envelope ?? { seq: 0, ct: '', mac: '' };
  const mac31 = Buffer.from(good.mac, 'base64').subarray(0, 31).toString('base64');
  const mac33 = Buffer.concat([Buffer.from(good.mac, 'base64'), Buffer.from([0])]).toString('base64');
  // 'AB==' decodes like 'AA==' in Node, but is not the canonical spelling.
  const cases: [string, string | Buffer][] = [
    ['not JSON', 'seq=0'],
    ['truncated JSON', JSON.stringify(good).slice(0, -1)],
    ['empty', ''],
    ['a JSON array', JSON.stringify([good.seq, good.ct, good.mac])],
    ['JSON null', 'null'],
    ['a JSON string', JSON.stringify(JSON.stringify(good))],
    ['an extra key', JSON.stringify({ ...good, extra: 1 })],
    ['a missing mac', JSON.stringify({ seq: good.seq, ct: good.ct })],
    ['a missing seq', JSON.stringify({ ct: good.ct, mac: good.mac })],
    ['a renamed key', JSON.stringify({ seq: good.seq, ct: good.ct, tag: good.mac })],
    ['a non-integer seq', JSON.stringify({ ...good, seq: 0.5 })],
    ['a string seq', JSON.stringify({ ...good, seq: '0' })],
    ['a negative seq', JSON.stringify({ ...good, seq: -1 })],
    ['a seq above 2^32 - 1', JSON.stringify({ ...good, seq: 2 ** 32 })],
    ['a null seq', JSON.stringify({ ...good, seq: null })],
    ['an infinite seq', `{"seq":1e400,"ct":"${good.ct}","mac":"${good.mac}"}`],
    ['a 31-byte mac', JSON.stringify({ ...good, mac: mac31 })],
    ['a 33-byte mac', JSON.stringify({ ...good, mac: mac33 })],
    ['an unpadded ct', JSON.stringify({ ...good, ct: good.ct.replace(/=+$/, '') })],
    ['a ct with non-zero trailing bits', JSON.stringify({ ...good, ct: 'AB==' })],
    ['a ct with whitespace', JSON.stringify({ ...good, ct: `${good.ct.slice(0, 4)} ${good.ct.slice(4)}` })],
    ['a url-safe ct', JSON.stringify({ ...good, ct: '-_-_' })],
    ['an empty ct', JSON.stringify({ ...good, ct: '' })],
    ['a numeric ct', JSON.stringify({ ...good, ct: 1234 })],
    ['a mac with a newline', JSON.stringify({ ...good, mac: `${good.mac}\n` })],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ];

  it.each(cases)('%s', (_name, payload) => {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    expect(parseEnvelope(bytes)).toBeNull();
    expectCode(new FrameOpener(keys(), 'c2s', SESSION_ID).open(bytes), 'BAD_ENVELOPE');
  });

  it('the good envelope itself parses (the table is not failing for another reason)', () => {
    const parsed = parseEnvelope(envelopeBytes(good));
    expect(parsed?.seq).toBe(0);
    expect(parsed?.mac).toHaveLength(32);
    expect(parsed?.ct.toString('base64')).toBe(good.ct);
  });

  it('key order in the envelope does not matter', () => {
    const reordered = `{"mac":"${good.mac}","ct":"${good.ct}","seq":0}`;
    const opened = new FrameOpener(keys(), 'c2s', SESSION_ID).open(Buffer.from(reordered));
    expect(opened.ok && opened.value.toString('utf8')).toBe(C2S[0]?.plaintextUtf8);
  });
});

describe('errors are sticky', () => {
  it.each([
    ['BAD_ENVELOPE', (f: Buffer[]) => [Buffer.from('junk'), f[0]]],
    ['SEQUENCE_ERROR', (f: Buffer[]) => [f[1], f[0]]],
    ['INTEGRITY_FAILURE', (f: Buffer[]) => [envelopeBytes(flipBit(JSON.parse(String(f[0])), 'mac', 9)), f[0]]],
  ] as const)('after %s even a valid next frame is refused with the same error', (code, pick) => {
    const frames = sealMany('c2s', 2);
    const [bad, valid] = pick(frames) as [Buffer, Buffer];
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    const first = opener.open(bad);
    expectCode(first, code);
    const second = opener.open(valid);
    expectCode(second, code);
    if (!first.ok && !second.ok) expect(second.error).toBe(first.error);
    expect(opener.seq).toBe(0);
  });
});

describe('seq exhaustion at 2^32 − 1', () => {
  const plaintext = '{"id":"last","op":"ping"}';

  /** The envelope at seq 2^32 − 1, computed with node:crypto alone. */
  function expectedLastEnvelope() {
    const iv = Buffer.from('00000000ffffffff0000000000000000', 'hex');
    const cipher = createCipheriv('aes-256-ctr', hex(v.keys.c2sEnc), iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const mac = createHmac('sha256', hex(v.keys.c2sMac))
      .update(
        Buffer.concat([
          Buffer.from('secure-atm/1'),
          Buffer.from([1]),
          SESSION_ID,
          Buffer.from('00000000ffffffff', 'hex'),
          ct,
        ]),
      )
      .digest();
    return { seq: MAX_SEQ, ct: ct.toString('base64'), mac: mac.toString('base64') };
  }

  it('MAX_SEQ is 2^32 − 1', () => {
    expect(MAX_SEQ).toBe(4_294_967_295);
  });

  it('the sealer seals seq 2^32 − 1 correctly, then refuses with SEQ_EXHAUSTED', () => {
    const sealer = new FrameSealer(keys(), 'c2s', SESSION_ID);
    setCounter(sealer, 'nextSeq', MAX_SEQ);
    expect(sealer.exhausted).toBe(false);
    expect(unwrap(sealer.sealEnvelope(plaintext))).toEqual(expectedLastEnvelope());
    expect(sealer.exhausted).toBe(true);
    expectCode(sealer.seal(plaintext), 'SEQ_EXHAUSTED');
    expectCode(sealer.sealEnvelope(plaintext), 'SEQ_EXHAUSTED');
  });

  it('the opener opens seq 2^32 − 1, then refuses anything with SEQ_EXHAUSTED', () => {
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    setCounter(opener, 'expectedSeq', MAX_SEQ);
    const last = envelopeBytes(expectedLastEnvelope());
    expect(unwrap(opener.open(last)).toString('utf8')).toBe(plaintext);
    expectCode(opener.open(last), 'SEQ_EXHAUSTED');
  });

  it('a seq past 2^32 − 1 never parses', () => {
    const last = expectedLastEnvelope();
    expect(parseEnvelope(envelopeBytes({ ...last, seq: MAX_SEQ + 1 }))).toBeNull();
  });

  it('an opener one short of the end refuses the last frame replayed at the wrong place', () => {
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    setCounter(opener, 'expectedSeq', MAX_SEQ - 1);
    expectCode(opener.open(envelopeBytes(expectedLastEnvelope())), 'SEQUENCE_ERROR');
  });
});

describe('destroy()', () => {
  it('wipes the sealer keys; sealing is then CHANNEL_CLOSED', () => {
    const sealer = new FrameSealer(keys(), 'c2s', SESSION_ID);
    unwrap(sealer.seal('{"a":1}'));
    const held = heldKeys(sealer);
    expect(held.every((k) => k.some((b) => b !== 0))).toBe(true);
    sealer.destroy();
    expect(held.every((k) => k.every((b) => b === 0))).toBe(true);
    expectCode(sealer.seal('{"a":2}'), 'CHANNEL_CLOSED');
  });

  it('wipes the opener keys; opening is then CHANNEL_CLOSED', () => {
    const [f0] = sealMany('c2s', 1) as [Buffer];
    const opener = new FrameOpener(keys(), 'c2s', SESSION_ID);
    const held = heldKeys(opener);
    opener.destroy();
    expect(held.every((k) => k.every((b) => b === 0))).toBe(true);
    expectCode(opener.open(f0), 'CHANNEL_CLOSED');
  });

  it('SealedChannel.destroy wipes both directions and leaves the caller keys alone', () => {
    const callerKeys = keys();
    const channel = new SealedChannel('server', callerKeys, SESSION_ID);
    const held = [...heldKeys(channel.sealer), ...heldKeys(channel.opener)];
    channel.destroy();
    expect(held.every((k) => k.every((b) => b === 0))).toBe(true);
    expect(callerKeys.c2sEnc.toString('hex')).toBe(v.keys.c2sEnc);
    expectCode(channel.sealMessage({ x: 1 }), 'CHANNEL_CLOSED');
    expectCode(channel.open(sealMany('c2s', 1)[0] as Buffer), 'CHANNEL_CLOSED');
  });
});
