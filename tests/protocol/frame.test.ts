import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, ProtocolError } from '../../protocol/index.js';

// Frames built by hand: u32be(N) || payload.
function frame(payload: Buffer): Buffer {
  const header = Buffer.from([
    (payload.length >>> 24) & 0xff,
    (payload.length >>> 16) & 0xff,
    (payload.length >>> 8) & 0xff,
    payload.length & 0xff,
  ]);
  return Buffer.concat([header, payload]);
}

const P1 = Buffer.from('{"id":"a","op":"balance"}', 'utf8');
const P2 = Buffer.from('x', 'utf8');
const P3 = Buffer.from('{"text":"héllo — ☃"}', 'utf8');
const P4 = Buffer.alloc(300, 0xab); // a length with a non-zero second byte: 0x0000012c
const STREAM = Buffer.concat([frame(P1), frame(P2), frame(P3), frame(P4)]);
const PAYLOADS = [P1, P2, P3, P4];

/** Feed chunks, collect every frame, fail the test on any error. */
function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const result = decoder.push(chunk);
    expect(result.error).toBeNull();
    // Copy: a frame must stay what it was even if the caller's buffers change later.
    out.push(...result.frames.map((f) => Buffer.from(f)));
  }
  return out;
}

function hexes(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString('hex'));
}

describe('encodeFrame', () => {
  it('writes u32be(N) || payload', () => {
    expect(encodeFrame('{}').toString('hex')).toBe('000000027b7d');
    expect(encodeFrame(Buffer.from([0xff])).toString('hex')).toBe('00000001ff');
    expect(encodeFrame(P4).equals(frame(P4))).toBe(true);
  });

  it('encodes a string as UTF-8 and counts bytes, not characters', () => {
    expect(encodeFrame('☃').toString('hex')).toBe('00000003e29883');
  });

  it('takes a plain Uint8Array view with an offset', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect(encodeFrame(backing.subarray(2, 5)).toString('hex')).toBe('00000003010203');
  });

  it('accepts exactly MAX_FRAME_BYTES (65536)', () => {
    const encoded = encodeFrame(Buffer.alloc(65_536, 7));
    expect(MAX_FRAME_BYTES).toBe(65_536);
    expect(encoded.subarray(0, 4).toString('hex')).toBe('00010000');
    expect(encoded).toHaveLength(65_540);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'FRAME_EMPTY'],
    ['empty string', '', 'FRAME_EMPTY'],
    ['65537 bytes', Buffer.alloc(65_537), 'FRAME_TOO_LARGE'],
  ] as const)('refuses %s payloads with a coded ProtocolError', (_name, payload, code) => {
    expect(() => encodeFrame(payload)).toThrow(ProtocolError);
    try {
      encodeFrame(payload);
    } catch (error) {
      expect((error as ProtocolError).code).toBe(code);
    }
  });
});

describe('FrameDecoder', () => {
  it('decodes merged frames from one push', () => {
    const decoder = new FrameDecoder();
    expect(hexes(decodeAll(decoder, [STREAM]))).toEqual(hexes(PAYLOADS));
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.hasPartialFrame).toBe(false);
    expect(decoder.error).toBeNull();
  });

  it('decodes the stream split at every single offset', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const decoder = new FrameDecoder();
      const got = decodeAll(decoder, [STREAM.subarray(0, i), STREAM.subarray(i)]);
      expect(hexes(got), `split at ${i}`).toEqual(hexes(PAYLOADS));
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('decodes the stream split at every pair of offsets', () => {
    // The small frames cover every header/body boundary; the 300-byte body adds little.
    const head = Buffer.concat([frame(P1), frame(P2), frame(P3)]);
    for (let i = 0; i <= head.length; i++) {
      for (let j = i; j <= head.length; j++) {
        const decoder = new FrameDecoder();
        const got = decodeAll(decoder, [head.subarray(0, i), head.subarray(i, j), head.subarray(j)]);
        expect(hexes(got), `split at ${i}, ${j}`).toEqual(hexes([P1, P2, P3]));
      }
    }
  });

  it('decodes 1-byte pushes, releasing each frame on its last byte', () => {
    const decoder = new FrameDecoder();
    const ends = new Set<number>();
    let end = 0;
    for (const p of PAYLOADS) {
      end += 4 + p.length;
      ends.add(end - 1);
    }
    const got: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) {
      const { frames, error } = decoder.push(STREAM.subarray(i, i + 1));
      expect(error).toBeNull();
      expect(frames.length, `byte ${i}`).toBe(ends.has(i) ? 1 : 0);
      got.push(...frames.map((f) => Buffer.from(f)));
      expect(decoder.hasPartialFrame).toBe(!ends.has(i));
    }
    expect(hexes(got)).toEqual(hexes(PAYLOADS));
  });

  it('tracks bufferedBytes while a frame is incomplete', () => {
    const decoder = new FrameDecoder();
    const f = frame(P1);
    decoder.push(f.subarray(0, 2));
    expect(decoder.bufferedBytes).toBe(2);
    decoder.push(f.subarray(2, 10));
    expect(decoder.bufferedBytes).toBe(10);
    expect(decoder.push(f.subarray(10)).frames).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly 65536 bytes, in pieces', () => {
    const payload = Buffer.alloc(65_536);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const f = frame(payload);
    const decoder = new FrameDecoder();
    const chunks = [f.subarray(0, 3), f.subarray(3, 1000), f.subarray(1000, 65_539), f.subarray(65_539)];
    const got = decodeAll(decoder, chunks);
    expect(got).toHaveLength(1);
    expect(got[0]?.equals(payload)).toBe(true);
  });

  it('accepts a Uint8Array that is not a Buffer', () => {
    const decoder = new FrameDecoder();
    const bytes = new Uint8Array(frame(P2));
    expect(hexes(decoder.push(bytes).frames)).toEqual(hexes([P2]));
  });

  it('an empty push is a no-op', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.alloc(0))).toEqual({ frames: [], error: null });
    decoder.push(frame(P1).subarray(0, 5));
    expect(decoder.push(new Uint8Array(0))).toEqual({ frames: [], error: null });
    expect(decoder.bufferedBytes).toBe(5);
  });

  describe.each([
    ['zero length', '00000000', 'FRAME_EMPTY'],
    ['length 65537', '00010001', 'FRAME_TOO_LARGE'],
    ['length 2^24', '01000000', 'FRAME_TOO_LARGE'],
    ['length 2^32-1', 'ffffffff', 'FRAME_TOO_LARGE'],
  ] as const)('a header with %s', (_name, headerHex, code) => {
    const header = Buffer.from(headerHex, 'hex');
    const body = Buffer.alloc(100, 0x41);

    it('is refused as soon as its 4 bytes are in, byte by byte', () => {
      const decoder = new FrameDecoder();
      for (let i = 0; i < 3; i++) {
        expect(decoder.push(header.subarray(i, i + 1))).toEqual({ frames: [], error: null });
        expect(decoder.bufferedBytes).toBe(i + 1);
      }
      const { frames, error } = decoder.push(header.subarray(3, 4));
      expect(frames).toEqual([]);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error?.code).toBe(code);
      expect(decoder.error?.code).toBe(code);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(4);
    });

    it('is refused without buffering the body that came with it', () => {
      const decoder = new FrameDecoder();
      const { error } = decoder.push(Buffer.concat([header, body]));
      expect(error?.code).toBe(code);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(4);
      expect(decoder.hasPartialFrame).toBe(false);
    });

    it('is refused when split across pushes with the header completed mid-chunk', () => {
      const decoder = new FrameDecoder();
      decoder.push(header.subarray(0, 2));
      const { error } = decoder.push(Buffer.concat([header.subarray(2), body]));
      expect(error?.code).toBe(code);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(4);
    });

    it('still hands over the good frames that came before it in the same chunk', () => {
      const decoder = new FrameDecoder();
      const { frames, error } = decoder.push(Buffer.concat([frame(P1), frame(P2), header, body]));
      expect(hexes(frames)).toEqual(hexes([P1, P2]));
      expect(error?.code).toBe(code);
    });

    it('is sticky: later pushes return the same error and no frames', () => {
      const decoder = new FrameDecoder();
      const first = decoder.push(header).error;
      expect(first?.code).toBe(code);
      for (const chunk of [frame(P1), STREAM, Buffer.alloc(0), header]) {
        const again = decoder.push(chunk);
        expect(again.frames).toEqual([]);
        expect(again.error).toBe(first);
      }
      expect(decoder.bufferedBytes).toBe(0);
    });
  });
});
