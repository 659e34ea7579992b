import { timingSafeEqual } from 'node:crypto';
import { fromB64, toB64 } from './base64.js';
import {
  DIR_C2S,
  DIR_S2C,
  FRAME_HEADER_BYTES,
  MAC_BYTES,
  MAC_LABEL,
  MAX_FRAME_BYTES,
  MAX_SEQ,
  SESSION_ID_BYTES,
} from './constants.js';
import { fail, ok, ProtocolError, type Result } from './errors.js';
import { CtrStream, MacState } from './frame-crypto.js';
import type { SessionKeys } from './key-schedule.js';

export type Direction = 'c2s' | 's2c';

/** The JSON object a sealed frame's payload holds. */
export interface SealedEnvelope {
  seq: number;
  ct: string;
  mac: string;
}

const MAC_LABEL_BYTES = Buffer.from(MAC_LABEL, 'ascii');
const ENVELOPE_KEYS = ['seq', 'ct', 'mac'];
/** Where u64be(seq) sits in the MAC input: label || dir || session id || u64be(seq). */
const MAC_SEQ_AT = MAC_LABEL_BYTES.length + 1 + SESSION_ID_BYTES;

function keysFor(keys: SessionKeys, direction: Direction): { enc: Buffer; mac: Buffer; dirByte: number } {
  return direction === 'c2s'
    ? { enc: Buffer.from(keys.c2sEnc), mac: Buffer.from(keys.c2sMac), dirByte: DIR_C2S }
    : { enc: Buffer.from(keys.s2cEnc), mac: Buffer.from(keys.s2cMac), dirByte: DIR_S2C };
}

function checkSessionId(sessionId: Uint8Array): Buffer {
  if (sessionId.length !== SESSION_ID_BYTES) throw new RangeError('sessionId must be 16 bytes');
  return Buffer.from(sessionId);
}

/**
 * One direction's key state, wiped by `destroy()`: the raw key copies and the padded HMAC keys
 * are zeroed and the AES context is finalised (OpenSSL cleanses its key schedule when freed).
 */
abstract class DirectionEnd {
  /** The raw key copies (`enc` also lives in `ctr`, `mac` in `macState`), zeroed by `destroy()`. */
  private readonly keys: { enc: Buffer; mac: Buffer };
  protected readonly ctr: CtrStream;
  private readonly macState: MacState;
  protected destroyed = false;

  constructor(keys: SessionKeys, direction: Direction, sessionId: Uint8Array) {
    const own = keysFor(keys, direction);
    const sid = checkSessionId(sessionId);
    this.keys = { enc: own.enc, mac: own.mac };
    // label || dir || session id || u64be(seq): only the seq changes from frame to frame.
    const prefix = Buffer.alloc(MAC_SEQ_AT + 8);
    MAC_LABEL_BYTES.copy(prefix, 0);
    prefix[MAC_LABEL_BYTES.length] = own.dirByte;
    sid.copy(prefix, MAC_LABEL_BYTES.length + 1);
    this.macState = new MacState(own.mac, prefix);
    this.ctr = new CtrStream(own.enc);
  }

  /** HMAC-SHA256(mac key, label || dir || session id || u64be(seq) || ct). */
  protected tag(seq: number, ct: Uint8Array): Buffer {
    // seq < 2^32: the high word of u64be(seq) stays zero.
    this.macState.setPrefixWord(MAC_SEQ_AT + 4, seq);
    return this.macState.tag(ct);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.keys.enc.fill(0);
    this.keys.mac.fill(0);
    this.macState.destroy();
    this.ctr.destroy();
  }
}

/** Seals frames for one direction. Holds its own copy of the keys, wiped by `destroy()`. */
export class FrameSealer extends DirectionEnd {
  private nextSeq = 0;

  /** The seq the next sealed frame will carry. */
  get seq(): number {
    return this.nextSeq;
  }

  /** True once seq 2^32 − 1 has been used: the session must end. */
  get exhausted(): boolean {
    return this.nextSeq > MAX_SEQ;
  }

  /** Seal a plaintext (the UTF-8 JSON of a message) into envelope JSON bytes. */
  seal(plaintext: Uint8Array | string): Result<Buffer> {
    const sealed = this.sealParts(plaintext);
    if (!sealed.ok) return sealed;
    const { seq, ct, mac } = sealed.value;
    return ok(Buffer.from(`{"seq":${seq},"ct":"${toB64(ct)}","mac":"${toB64(mac)}"}`, 'latin1'));
  }

  /**
   * Seal a plaintext straight into a whole frame, `u32be(N) || envelope JSON`: what
   * `encodeFrame(seal(plaintext))` gives, written once into one buffer. The envelope is
   * JSON.stringify's bytes built directly (base64 and an integer need no escaping). Throws
   * FRAME_TOO_LARGE as `encodeFrame` does: a plaintext that large is a bug in the caller.
   */
  sealFrame(plaintext: Uint8Array | string): Result<Buffer> {
    const sealed = this.sealParts(plaintext);
    if (!sealed.ok) return sealed;
    const { seq, ct, mac } = sealed.value;
    const envelope = `{"seq":${seq},"ct":"${ct.toString('base64')}","mac":"${mac.toString('base64')}"}`;
    // Every character is ASCII: its length is its byte length.
    if (envelope.length > MAX_FRAME_BYTES) throw new ProtocolError('FRAME_TOO_LARGE');
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + envelope.length);
    frame.writeUInt32BE(envelope.length, 0);
    frame.write(envelope, FRAME_HEADER_BYTES, 'latin1');
    return ok(frame);
  }

  /** Seal and return the envelope object (for tests and tools). */
  sealEnvelope(plaintext: Uint8Array | string): Result<SealedEnvelope> {
    const sealed = this.sealParts(plaintext);
    if (!sealed.ok) return sealed;
    const { seq, ct, mac } = sealed.value;
    return ok({ seq, ct: toB64(ct), mac: toB64(mac) });
  }

  private sealParts(plaintext: Uint8Array | string): Result<{ seq: number; ct: Buffer; mac: Buffer }> {
    if (this.destroyed) return fail('CHANNEL_CLOSED');
    if (this.nextSeq > MAX_SEQ) return fail('SEQ_EXHAUSTED');
    const seq = this.nextSeq;
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ct = this.ctr.transform(seq, data);
    const mac = this.tag(seq, ct);
    this.nextSeq = seq + 1;
    return ok({ seq, ct, mac });
  }
}

/**
 * Opens frames for one direction, in protocol/README.md §4's order: envelope, seq, tag (constant
 * time), then decrypt. Any failure is final: the connection is to be closed.
 */
export class FrameOpener extends DirectionEnd {
  private expectedSeq = 0;
  private broken: ProtocolError | null = null;

  /** The seq the next frame must carry. */
  get seq(): number {
    return this.expectedSeq;
  }

  /** Open envelope JSON bytes; returns the plaintext bytes. */
  open(payload: Uint8Array): Result<Buffer> {
    if (this.broken) return { ok: false, error: this.broken };
    if (this.destroyed) return fail('CHANNEL_CLOSED');
    const result = this.openOnce(payload);
    if (!result.ok) this.broken = result.error;
    return result;
  }

  private openOnce(payload: Uint8Array): Result<Buffer> {
    const envelope = parseEnvelope(payload);
    if (!envelope) return fail('BAD_ENVELOPE');
    const { seq, ct, mac } = envelope;
    if (this.expectedSeq > MAX_SEQ) return fail('SEQ_EXHAUSTED');
    if (seq !== this.expectedSeq) return fail('SEQUENCE_ERROR');
    const expected = this.tag(seq, ct);
    if (!timingSafeEqual(expected, mac)) return fail('INTEGRITY_FAILURE');
    this.expectedSeq = seq + 1;
    return ok(this.ctr.transform(seq, ct));
  }
}

/** Parse `{ "seq", "ct", "mac" }` strictly: exactly those keys, seq a u32, canonical base64, a 32-byte tag. */
export function parseEnvelope(payload: Uint8Array): { seq: number; ct: Buffer; mac: Buffer } | null {
  let value: unknown;
  try {
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== ENVELOPE_KEYS.length || !ENVELOPE_KEYS.every((k) => keys.includes(k))) return null;
  const { seq, ct, mac } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) return null;
  const ctBytes = fromB64(ct);
  const macBytes = fromB64(mac, MAC_BYTES);
  if (!ctBytes || ctBytes.length === 0 || !macBytes) return null;
  return { seq, ct: ctBytes, mac: macBytes };
}

export type ChannelRole = 'client' | 'server';

/**
 * Both directions for one end of a session: a client seals c2s and opens s2c, a server the
 * reverse. Takes copies of the keys; the caller may wipe its own.
 */
export class SealedChannel {
  readonly sealer: FrameSealer;
  readonly opener: FrameOpener;

  constructor(role: ChannelRole, keys: SessionKeys, sessionId: Uint8Array) {
    const out: Direction = role === 'client' ? 'c2s' : 's2c';
    const inbound: Direction = role === 'client' ? 's2c' : 'c2s';
    this.sealer = new FrameSealer(keys, out, sessionId);
    this.opener = new FrameOpener(keys, inbound, sessionId);
  }

  /** Seal a message object: JSON, then AES-256-CTR + HMAC, as envelope bytes ready for `encodeFrame`. */
  sealMessage(message: unknown): Result<Buffer> {
    return this.sealer.seal(JSON.stringify(message));
  }

  /** Open envelope bytes into plaintext bytes (still to be parsed as a message). */
  open(payload: Uint8Array): Result<Buffer> {
    return this.opener.open(payload);
  }

  destroy(): void {
    this.sealer.destroy();
    this.opener.destroy();
  }
}
