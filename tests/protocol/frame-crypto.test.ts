import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CtrStream, MacState } from '../../protocol/frame-crypto.js';
import { encodeFrame, FrameOpener, FrameSealer, ProtocolError, type Result } from '../../protocol/index.js';
import { hex, loadVectors, sealedInOrder } from '../helpers/vectors.js';

const v = loadVectors();
const SESSION_ID = hex(v.sessionId);
const keys = () => ({
  c2sEnc: hex(v.keys.c2sEnc),
  c2sMac: hex(v.keys.c2sMac),
  s2cEnc: hex(v.keys.s2cEnc),
  s2cMac: hex(v.keys.s2cMac),
});

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Small, block edges, past the kept scratch size, near the frame limit, then small again. */
const SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 190, 4095, 4096, 4097, 5000, 65_000, 3, 200];

describe('MacState is HMAC-SHA256', () => {
  it.each([32, 64, 65, 100])(
    'key of %i bytes: the same tag as createHmac for every message size, in any order',
    (n) => {
      const key = randomBytes(n);
      const prefix = randomBytes(37);
      const mac = new MacState(key, prefix);
      for (const [i, size] of SIZES.entries()) {
        prefix.writeUInt32BE(i, 33);
        mac.setPrefixWord(33, i);
        const message = randomBytes(size);
        const expected = createHmac('sha256', key).update(prefix).update(message).digest();
        expect(mac.tag(message).toString('hex'), `size ${size}`).toBe(expected.toString('hex'));
      }
    },
  );

  it('destroy() wipes the padded keys it holds', () => {
    const mac = new MacState(randomBytes(32), randomBytes(37));
    mac.tag(randomBytes(100));
    const held = mac as unknown as { inner: Buffer; outer: Buffer };
    expect(Buffer.isBuffer(held.inner) && Buffer.isBuffer(held.outer)).toBe(true);
    expect(held.inner.some((b) => b !== 0)).toBe(true);
    mac.destroy();
    expect(held.inner.every((b) => b === 0) && held.outer.every((b) => b === 0)).toBe(true);
  });
});

describe('CtrStream is AES-256-CTR with IV u64be(seq) || 0^8', () => {
  it('gives the same bytes as createCipheriv for every size and seq, in any order', () => {
    const key = randomBytes(32);
    const ctr = new CtrStream(key);
    for (const [i, size] of SIZES.entries()) {
      const seq = i === 3 ? 2 ** 32 - 1 : i * 7919;
      const iv = Buffer.alloc(16);
      iv.writeUInt32BE(seq, 4);
      const data = randomBytes(size);
      const cipher = createCipheriv('aes-256-ctr', key, iv);
      const expected = Buffer.concat([cipher.update(data), cipher.final()]);
      expect(ctr.transform(seq, data).toString('hex'), `size ${size}`).toBe(expected.toString('hex'));
    }
  });
});

describe('FrameSealer.sealFrame', () => {
  it('reproduces the vectors as whole frames', () => {
    const sealer = new FrameSealer(keys(), 'c2s', SESSION_ID);
    for (const vector of sealedInOrder(v, 'c2s')) {
      const frame = unwrap(sealer.sealFrame(vector.plaintextUtf8));
      expect(frame.toString('hex')).toBe(encodeFrame(JSON.stringify(vector.envelope)).toString('hex'));
    }
  });

  it('is encodeFrame(seal()) byte for byte at every size, and the opener opens it', () => {
    const framer = new FrameSealer(keys(), 's2c', SESSION_ID);
    const sealer = new FrameSealer(keys(), 's2c', SESSION_ID);
    const opener = new FrameOpener(keys(), 's2c', SESSION_ID);
    for (const size of SIZES.filter((s) => s > 0 && s < 40_000)) {
      const text = JSON.stringify({ id: 'r', ok: true, result: { pad: 'é'.repeat(size) } });
      const frame = unwrap(framer.sealFrame(text));
      expect(frame.equals(encodeFrame(unwrap(sealer.seal(text)))), `size ${size}`).toBe(true);
      expect(unwrap(opener.open(frame.subarray(4))).toString('utf8')).toBe(text);
    }
  });

  it('throws FRAME_TOO_LARGE for a plaintext whose frame would pass 64 KiB, as encodeFrame does', () => {
    const sealer = new FrameSealer(keys(), 's2c', SESSION_ID);
    expect(() => sealer.sealFrame('x'.repeat(50_000))).toThrow(ProtocolError);
    expect(() => encodeFrame(unwrap(new FrameSealer(keys(), 's2c', SESSION_ID).seal('x'.repeat(50_000))))).toThrow(
      ProtocolError,
    );
  });
});
