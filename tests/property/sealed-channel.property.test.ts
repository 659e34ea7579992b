import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Direction,
  FrameOpener,
  FrameSealer,
  MAX_SEQ,
  ProtocolError,
  type Result,
  SealedChannel,
  type SessionKeys,
} from '../../protocol/index.js';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => Buffer.from(k));
const keysArb = fc.record({ c2sEnc: key, c2sMac: key, s2cEnc: key, s2cMac: key });
const sessionIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((s) => Buffer.from(s));
const plaintextArb = fc.uint8Array({ minLength: 1, maxLength: 400 });
const directionArb = fc.constantFrom<Direction>('c2s', 's2c');

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

function codeOf(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

function copyKeys(k: SessionKeys): SessionKeys {
  return {
    c2sEnc: Buffer.from(k.c2sEnc),
    c2sMac: Buffer.from(k.c2sMac),
    s2cEnc: Buffer.from(k.s2cEnc),
    s2cMac: Buffer.from(k.s2cMac),
  };
}

describe('SealedChannel properties', () => {
  it('any plaintext sequence round-trips in both roles', () => {
    fc.assert(
      fc.property(
        keysArb,
        sessionIdArb,
        fc.array(fc.tuple(fc.boolean(), fc.jsonValue()), { minLength: 1, maxLength: 8 }),
        (keys, sessionId, script) => {
          const client = new SealedChannel('client', copyKeys(keys), sessionId);
          const server = new SealedChannel('server', copyKeys(keys), sessionId);
          for (const [fromClient, message] of script) {
            const [sender, receiver] = fromClient ? [client, server] : [server, client];
            const opened = unwrap(receiver.open(unwrap(sender.sealMessage(message))));
            expect(opened.toString('utf8')).toBe(JSON.stringify(message));
          }
        },
      ),
    );
  });

  it('raw plaintext bytes come back exactly', () => {
    fc.assert(
      fc.property(
        keysArb,
        sessionIdArb,
        directionArb,
        fc.array(plaintextArb, { minLength: 1, maxLength: 5 }),
        (keys, sid, dir, texts) => {
          const sealer = new FrameSealer(keys, dir, sid);
          const opener = new FrameOpener(keys, dir, sid);
          for (const text of texts) {
            expect(Buffer.from(unwrap(opener.open(unwrap(sealer.seal(text))))).equals(Buffer.from(text))).toBe(true);
          }
        },
      ),
    );
  });

  it('flipping any single bit of ct or mac is INTEGRITY_FAILURE', () => {
    fc.assert(
      fc.property(
        keysArb,
        sessionIdArb,
        directionArb,
        plaintextArb,
        fc.constantFrom('ct', 'mac'),
        fc.nat(),
        (keys, sid, dir, text, field, bitSeed) => {
          const envelope = unwrap(new FrameSealer(keys, dir, sid).sealEnvelope(text));
          const bytes = Buffer.from(envelope[field], 'base64');
          const bit = bitSeed % (bytes.length * 8);
          bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
          const tampered = JSON.stringify({ ...envelope, [field]: bytes.toString('base64') });
          const result = new FrameOpener(keys, dir, sid).open(Buffer.from(tampered));
          expect(codeOf(result)).toBe('INTEGRITY_FAILURE');
        },
      ),
    );
  });

  it('any seq other than the expected one is SEQUENCE_ERROR, whatever the tag', () => {
    fc.assert(
      fc.property(keysArb, sessionIdArb, plaintextArb, fc.integer({ min: 0, max: MAX_SEQ }), (keys, sid, text, seq) => {
        fc.pre(seq !== 0);
        const envelope = unwrap(new FrameSealer(keys, 'c2s', sid).sealEnvelope(text));
        const relabelled = JSON.stringify({ ...envelope, seq });
        expect(codeOf(new FrameOpener(keys, 'c2s', sid).open(Buffer.from(relabelled)))).toBe('SEQUENCE_ERROR');
      }),
    );
  });

  it('frames opened out of order fail with SEQUENCE_ERROR at the first misplaced one', () => {
    fc.assert(
      fc.property(
        keysArb,
        sessionIdArb,
        fc
          .integer({ min: 2, max: 6 })
          .chain((n) =>
            fc.shuffledSubarray([...Array(n).keys()], { minLength: 1, maxLength: n }).map((order) => ({ n, order })),
          ),
        (keys, sid, { n, order }) => {
          const sealer = new FrameSealer(keys, 'c2s', sid);
          const frames = Array.from({ length: n }, (_, i) => unwrap(sealer.seal(`{"i":${i}}`)));
          const opener = new FrameOpener(keys, 'c2s', sid);
          const firstWrong = order.findIndex((seq, i) => seq !== i);
          order.forEach((seq, i) => {
            const result = opener.open(frames[seq] as Buffer);
            if (firstWrong === -1 || i < firstWrong) expect(codeOf(result)).toBe('ok');
            else expect(codeOf(result)).toBe('SEQUENCE_ERROR');
          });
        },
      ),
    );
  });

  it('the wrong direction, session id or keys never open', () => {
    fc.assert(
      fc.property(
        keysArb,
        keysArb,
        sessionIdArb,
        sessionIdArb,
        plaintextArb,
        (keys, otherKeys, sid, otherSid, text) => {
          const sealed = unwrap(new FrameSealer(keys, 'c2s', sid).seal(text));
          expect(codeOf(new FrameOpener(keys, 's2c', sid).open(sealed))).toBe('INTEGRITY_FAILURE');
          if (!otherSid.equals(sid)) {
            expect(codeOf(new FrameOpener(keys, 'c2s', otherSid).open(sealed))).toBe('INTEGRITY_FAILURE');
          }
          if (!otherKeys.c2sMac.equals(keys.c2sMac)) {
            expect(codeOf(new FrameOpener(otherKeys, 'c2s', sid).open(sealed))).toBe('INTEGRITY_FAILURE');
          }
        },
      ),
    );
  });

  it('arbitrary payloads never throw: the opener returns a typed error', () => {
    const payloadArb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue().map((j) => Buffer.from(JSON.stringify(j) ?? 'null')),
      fc
        .record({
          seq: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.string()),
          ct: fc.oneof(fc.base64String(), fc.string()),
          mac: fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), fc.string()),
        })
        .map((e) => Buffer.from(JSON.stringify(e))),
    );
    fc.assert(
      fc.property(keysArb, sessionIdArb, payloadArb, (keys, sid, payload) => {
        const result = new FrameOpener(keys, 'c2s', sid).open(payload);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(ProtocolError);
          expect(['BAD_ENVELOPE', 'SEQUENCE_ERROR', 'INTEGRITY_FAILURE']).toContain(result.error.code);
        }
      }),
      { numRuns: 500 },
    );
  });
});
