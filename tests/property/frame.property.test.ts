import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, ProtocolError } from '../../protocol/index.js';

const MAX = 65_536;
const BOUND = 4 + MAX;

/** A payload of `length` bytes filled from a seed: cheap to build at 64 KiB, and shrinkable. */
function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i * 131) & 0xff;
  return out;
}

const payloadArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
  {
    weight: 2,
    arbitrary: fc
      .record({ length: fc.integer({ min: 1, max: MAX }), seed: fc.integer({ min: 0, max: 255 }) })
      .map(({ length, seed }) => filled(length, seed)),
  },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, MAX - 1, MAX).map((length) => filled(length, length)) },
);

/** Cut points as fractions of the stream, so they shrink toward fewer and simpler chunks. */
const cutsArb = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 24 });

function split(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => Math.floor((c / 1_000_000) * stream.length)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(stream.subarray(at, p));
    at = p;
  }
  return chunks;
}

/** Header bytes built by hand, with lengths biased to the edges of the legal range. */
const headerArb = fc
  .oneof(
    fc.constantFrom(0, 1, MAX, MAX + 1, 0xffff_ffff, 0x0100_0000),
    fc.integer({ min: 0, max: 0xffff_ffff }),
    fc.integer({ min: 1, max: 64 }),
  )
  .map((n) => Uint8Array.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));

/** Streams that mix valid frames, stray headers and junk, so every decoder state is reached. */
const streamArb = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 80 }).map((p) => new Uint8Array(encodeFrame(p))),
      headerArb,
      fc.uint8Array({ maxLength: 16 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

type Reference = { frames: string[]; error: 'FRAME_EMPTY' | 'FRAME_TOO_LARGE' | null };

/** The whole-buffer meaning of a stream, decoded in the simplest way possible. */
function referenceDecode(stream: Uint8Array): Reference {
  const frames: string[] = [];
  const view = Buffer.from(stream);
  let at = 0;
  while (view.length - at >= 4) {
    const length = view.readUInt32BE(at);
    if (length === 0) return { frames, error: 'FRAME_EMPTY' };
    if (length > MAX) return { frames, error: 'FRAME_TOO_LARGE' };
    if (view.length - at - 4 < length) break;
    frames.push(view.subarray(at + 4, at + 4 + length).toString('hex'));
    at += 4 + length;
  }
  return { frames, error: null };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('FrameDecoder properties', () => {
  it('encode → decode returns every payload (1..65536 bytes) whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 4 }), cutsArb, (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const decoder = new FrameDecoder();
        const got: string[] = [];
        for (const chunk of split(stream, cuts)) {
          const { frames, error } = decoder.push(chunk);
          expect(error).toBeNull();
          got.push(...frames.map(hex));
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(BOUND);
        }
        expect(got).toEqual(payloads.map(hex));
        expect(decoder.bufferedBytes).toBe(0);
        expect(decoder.hasPartialFrame).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('random byte streams yield only frames or a typed ProtocolError, never a throw, with bounded buffering', () => {
    fc.assert(
      fc.property(streamArb, cutsArb, (stream, cuts) => {
        const decoder = new FrameDecoder();
        const got: string[] = [];
        let error: ProtocolError | null = null;
        for (const chunk of split(stream, cuts)) {
          const result = decoder.push(chunk);
          if (error) {
            // Sticky: once broken, the same error and nothing else.
            expect(result.error).toBe(error);
            expect(result.frames).toEqual([]);
          } else {
            got.push(...result.frames.map(hex));
            error = result.error;
          }
          if (result.error) {
            expect(result.error).toBeInstanceOf(ProtocolError);
            expect(['FRAME_EMPTY', 'FRAME_TOO_LARGE']).toContain(result.error.code);
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(BOUND);
        }
        // The incremental decoder agrees with a whole-buffer decode of the same bytes.
        const reference = referenceDecode(stream);
        expect(got).toEqual(reference.frames);
        expect(error?.code ?? null).toBe(reference.error);
      }),
      { numRuns: 400 },
    );
  });

  it('uniformly random bytes in random chunks never throw and never buffer more than 4 + 65536', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 16 }), (chunks) => {
        const decoder = new FrameDecoder();
        for (const chunk of chunks) {
          const { error } = decoder.push(chunk);
          if (error) expect(error).toBeInstanceOf(ProtocolError);
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(BOUND);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a frame one byte short of complete holds at most 4 + 65536 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (length) => {
        const frame = encodeFrame(filled(length, 7));
        const decoder = new FrameDecoder();
        expect(decoder.push(frame.subarray(0, frame.length - 1)).frames).toEqual([]);
        expect(decoder.bufferedBytes).toBe(frame.length - 1);
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(BOUND);
        expect(decoder.push(frame.subarray(frame.length - 1)).frames).toHaveLength(1);
      }),
      { numRuns: 60 },
    );
  });
});
