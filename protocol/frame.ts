import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, MIN_FRAME_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';

/** `u32be(N) || payload`. Throws on an empty or oversize payload: that is a bug in the caller. */
export function encodeFrame(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length < MIN_FRAME_BYTES || body.length > MAX_FRAME_BYTES) {
    throw new ProtocolError(body.length === 0 ? 'FRAME_EMPTY' : 'FRAME_TOO_LARGE');
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

export interface FrameDecodeResult {
  /** Complete payloads, in order. */
  frames: Buffer[];
  /** Set once the stream is broken; every later push returns it again. */
  error: ProtocolError | null;
}

/**
 * Incremental decoder: a two-state machine (header, body). The length is checked the
 * moment its 4 bytes are in, so an oversize or empty frame is refused without buffering
 * its body. At most 4 + 65536 bytes are ever held.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;
  private broken: ProtocolError | null = null;

  /** Bytes held for an incomplete frame (header and body): at most 4 + 65536. */
  get bufferedBytes(): number {
    return this.body === null ? this.headerFill : FRAME_HEADER_BYTES + this.bodyFill;
  }

  /** True while part of a frame is waiting for more bytes. */
  get hasPartialFrame(): boolean {
    return this.headerFill > 0 || this.body !== null;
  }

  get error(): ProtocolError | null {
    return this.broken;
  }

  push(chunk: Uint8Array): FrameDecodeResult {
    const frames: Buffer[] = [];
    if (this.broken) return { frames, error: this.broken };
    const input = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    while (at < input.length) {
      if (this.body === null) {
        // Fast path: a whole header sits in the chunk and nothing is pending.
        if (this.headerFill === 0 && input.length - at >= FRAME_HEADER_BYTES) {
          const length = input.readUInt32BE(at);
          at += FRAME_HEADER_BYTES;
          const error = checkLength(length);
          if (error) return this.fail(frames, error);
          if (input.length - at >= length) {
            frames.push(input.subarray(at, at + length));
            at += length;
            continue;
          }
          this.startBody(length);
          continue;
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, input.length - at);
        input.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < FRAME_HEADER_BYTES) break;
        const length = this.header.readUInt32BE(0);
        this.headerFill = 0;
        const error = checkLength(length);
        if (error) return this.fail(frames, error);
        this.startBody(length);
        continue;
      }
      const take = Math.min(this.body.length - this.bodyFill, input.length - at);
      input.copy(this.body, this.bodyFill, at, at + take);
      this.bodyFill += take;
      at += take;
      if (this.bodyFill === this.body.length) {
        frames.push(this.body);
        this.body = null;
        this.bodyFill = 0;
      }
    }
    return { frames, error: null };
  }

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyFill = 0;
  }

  private fail(frames: Buffer[], error: ProtocolError): FrameDecodeResult {
    this.broken = error;
    this.body = null;
    this.bodyFill = 0;
    this.headerFill = 0;
    return { frames, error };
  }
}

function checkLength(length: number): ProtocolError | null {
  if (length < MIN_FRAME_BYTES) return new ProtocolError('FRAME_EMPTY');
  if (length > MAX_FRAME_BYTES) return new ProtocolError('FRAME_TOO_LARGE');
  return null;
}
