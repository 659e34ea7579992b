import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
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

function ivFor(seq: number): Buffer {
  const iv = Buffer.alloc(16);
  // u64be(seq): seq < 2^32, so the high word stays zero.
  iv.writeUInt32BE(seq, 4);
  return iv;
}

function tag(macKey: Buffer, dirByte: number, sessionId: Buffer, seq: number, ct: Buffer): Buffer {
  const prefix = Buffer.alloc(MAC_LABEL_BYTES.length + 1 + SESSION_ID_BYTES + 8);
  MAC_LABEL_BYTES.copy(prefix, 0);
  prefix[MAC_LABEL_BYTES.length] = dirByte;
  sessionId.copy(prefix, MAC_LABEL_BYTES.length + 1);
  prefix.writeUInt32BE(seq, MAC_LABEL_BYTES.length + 1 + SESSION_ID_BYTES + 4);
  return createHmac('sha256', macKey).update(prefix).update(ct).digest();
}

interface DirectionKeys {
  enc: Buffer;
  mac: Buffer;
  dirByte: number;
}

function keysFor(keys: SessionKeys, direction: Direction): DirectionKeys {
  return direction === 'c2s'
    ? { enc: Buffer.from(keys.c2sEnc), mac: Buffer.from(keys.c2sMac), dirByte: DIR_C2S }
    : { enc: Buffer.from(keys.s2cEnc), mac: Buffer.from(keys.s2cMac), dirByte: DIR_S2C };
}

function checkSessionId(sessionId: Uint8Array): Buffer {
  if (sessionId.length !== SESSION_ID_BYTES) throw new RangeError('sessionId must be 16 bytes');
  return Buffer.from(sessionId);
}

/** One direction's own copy of the keys and the session id, wiped by `destroy()`. */
abstract class DirectionEnd {
  protected readonly keys: DirectionKeys;
  protected readonly sessionId: Buffer;
  protected destroyed = false;

  constructor(keys: SessionKeys, direction: Direction, sessionId: Uint8Array) {
    this.keys = keysFor(keys, direction);
    this.sessionId = checkSessionId(sessionId);
  }

  destroy(): void {
    this.destroyed = true;
    this.keys.enc.fill(0);
    this.keys.mac.fill(0);
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
    return ok(Buffer.from(JSON.stringify(envelope.value), 'utf8'));
  }

  /** Seal and return the envelope object (for tests and tools). */
  sealEnvelope(plaintext: Uint8Array | string): Result<SealedEnvelope> {
    if (this.destroyed) return fail('CHANNEL_CLOSED');
    if (this.nextSeq > MAX_SEQ) return fail('SEQ_EXHAUSTED');
    const seq = this.nextSeq;
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const cipher = createCipheriv('aes-256-ctr', this.keys.enc, ivFor(seq));
    const ct = Buffer.concat([cipher.update(data), cipher.final()]);
    const mac = tag(this.keys.mac, this.keys.dirByte, this.sessionId, seq, ct);
    this.nextSeq = seq + 1;
    return ok({ seq, ct: toB64(ct), mac: toB64(mac) });
  }
}

/**
 * Opens frames for one direction, in PROTOCOL.md §4's order: envelope, seq, tag (constant
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
    const expected = tag(this.keys.mac, this.keys.dirByte, this.sessionId, seq, ct);
    if (!timingSafeEqual(expected, mac)) return fail('INTEGRITY_FAILURE');
    this.expectedSeq = seq + 1;
    const decipher = createDecipheriv('aes-256-ctr', this.keys.enc, ivFor(seq));
    return ok(Buffer.concat([decipher.update(ct), decipher.final()]));
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
