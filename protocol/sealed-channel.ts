import { type Cipher, createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { fromB64, toB64 } from './base64.js';
import { DIR_C2S, DIR_S2C, MAC_BYTES, MAC_LABEL, MAX_SEQ, SESSION_ID_BYTES } from './constants.js';
import { fail, ok, type ProtocolError, type Result } from './errors.js';
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
/** AES block size: one CTR counter block per 16 bytes of payload. */
const AES_BLOCK = 16;
/** Where u64be(seq) sits in the MAC input: label || dir || session id || u64be(seq). */
const MAC_SEQ_AT = MAC_LABEL_BYTES.length + 1 + SESSION_ID_BYTES;

/**
 * AES-256-CTR with IV u64be(seq) || 0^8, computed as the keystream it is: counter block k of
 * frame seq is u64be(seq) || u64be(k), encrypted with one long-lived AES-256-ECB context per
 * direction. Same bytes as `createCipheriv('aes-256-ctr', key, iv)`, without building a cipher
 * (and re-expanding the key) for every frame. XOR is its own inverse: this also decrypts.
 */
function ctrTransform(ecb: Cipher, seq: number, data: Uint8Array): Buffer {
  const blocks = Math.ceil(data.length / AES_BLOCK);
  const counters = Buffer.alloc(blocks * AES_BLOCK);
  for (let k = 0; k < blocks; k++) {
    // seq < 2^32 and k < 2^32 (a frame is far smaller than 64 GiB): both high words stay zero.
    counters.writeUInt32BE(seq, k * AES_BLOCK + 4);
    counters.writeUInt32BE(k, k * AES_BLOCK + 12);
  }
  const out = ecb.update(counters);
  for (let i = 0; i < data.length; i++) out[i] = (out[i] as number) ^ (data[i] as number);
  return out.length === data.length ? out : out.subarray(0, data.length);
}

/** HMAC-SHA256(macKey, label || dir || session id || u64be(seq) || ct); `prefix` is reused per frame. */
function tag(macKey: Buffer, prefix: Buffer, seq: number, ct: Uint8Array): Buffer {
  prefix.writeUInt32BE(seq, MAC_SEQ_AT + 4);
  return createHmac('sha256', macKey).update(prefix).update(ct).digest();
}

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
 * One direction's own copy of the keys, wiped by `destroy()`: the MAC key buffer is zeroed and
 * the AES context is finalised (OpenSSL cleanses its key schedule when the context is freed).
 */
abstract class DirectionEnd {
  /** The raw key copies (`enc` also lives in `ecb`), zeroed by `destroy()`. */
  protected readonly keys: { enc: Buffer; mac: Buffer };
  protected readonly macKey: Buffer;
  /** label || dir || session id || u64be(seq): only the seq changes from frame to frame. */
  protected readonly macPrefix: Buffer;
  protected readonly ecb: Cipher;
  protected destroyed = false;

  constructor(keys: SessionKeys, direction: Direction, sessionId: Uint8Array) {
    const own = keysFor(keys, direction);
    const sid = checkSessionId(sessionId);
    this.keys = { enc: own.enc, mac: own.mac };
    this.macKey = own.mac;
    this.macPrefix = Buffer.alloc(MAC_SEQ_AT + 8);
    MAC_LABEL_BYTES.copy(this.macPrefix, 0);
    this.macPrefix[MAC_LABEL_BYTES.length] = own.dirByte;
    sid.copy(this.macPrefix, MAC_LABEL_BYTES.length + 1);
    this.ecb = createCipheriv('aes-256-ecb', own.enc, null);
    this.ecb.setAutoPadding(false);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.keys.enc.fill(0);
    this.keys.mac.fill(0);
    this.macPrefix.fill(0);
    try {
      this.ecb.final();
    } catch {
      // Already finalised; nothing left to free.
    }
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
    const envelope = this.sealEnvelope(plaintext);
    if (!envelope.ok) return envelope;
    // JSON.stringify's bytes, built directly: base64 and an integer need no escaping.
    const { seq, ct, mac } = envelope.value;
    return ok(Buffer.from(`{"seq":${seq},"ct":"${ct}","mac":"${mac}"}`, 'latin1'));
  }

  /** Seal and return the envelope object (for tests and tools). */
  sealEnvelope(plaintext: Uint8Array | string): Result<SealedEnvelope> {
    if (this.destroyed) return fail('CHANNEL_CLOSED');
    if (this.nextSeq > MAX_SEQ) return fail('SEQ_EXHAUSTED');
    const seq = this.nextSeq;
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ct = ctrTransform(this.ecb, seq, data);
    const mac = tag(this.macKey, this.macPrefix, seq, ct);
    this.nextSeq = seq + 1;
    return ok({ seq, ct: toB64(ct), mac: toB64(mac) });
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
    const expected = tag(this.macKey, this.macPrefix, seq, ct);
    if (!timingSafeEqual(expected, mac)) return fail('INTEGRITY_FAILURE');
    this.expectedSeq = seq + 1;
    return ok(ctrTransform(this.ecb, seq, ct));
  }
}

/** Parse `{ "seq", "ct", "mac" }` strictly: exactly those keys, seq a u32, canonical base64, a 32-byte tag. */
export function parseEnvelope(payload: Uint8Array): { seq: number; ct: Buffer; mac: Buffer } | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
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
