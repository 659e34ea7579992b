import { createHash } from 'node:crypto';
import { fromB64 } from '../../protocol/index.js';

/**
 * Segment file format `secure-atm-audit/1`: UTF-8 text, one JSON object per line, '\n'
 * after every line.
 *
 * Line 0 is the header (its `instance` names the chain it belongs to; a header written before
 * instances existed has no `instance` and belongs to `main`). Lines 1, 2, ... are records,
 * checkpoints and one close record,
 * each carrying its line number `i` and `hash`, the chain value after that line:
 *
 *   h0         = SHA-256("secure-atm-audit/1 header\0" || header line bytes)
 *   record     h_i = SHA-256(h_{i-1} || u64be(i) || "R" || u64be(seq) || nonce(24) || box)
 *   checkpoint sig = Ed25519("secure-atm-audit/1 checkpoint\0" || h_{i-1} || u64be(i) || u64be(seq))
 *              h_i = SHA-256(h_{i-1} || u64be(i) || "C" || u64be(seq) || sig)
 *   close      sig = Ed25519("secure-atm-audit/1 close\0" || h_{i-1} || u64be(i) || u64be(seq) || u64be(records))
 *              h_i = SHA-256(h_{i-1} || u64be(i) || "E" || u64be(seq) || u64be(records) || sig)
 *   rotating close (a close with `next`, the signing key of the segment after it):
 *              sig = Ed25519("secure-atm-audit/1 rotate\0" || h_{i-1} || u64be(i) || u64be(seq) || u64be(records) || next(32))
 *              h_i = SHA-256(h_{i-1} || u64be(i) || "K" || u64be(seq) || u64be(records) || next || sig)
 *
 * A rotating close is how a signing key hands over to the next one: the old key signs the
 * new one, so a verifier that pinned the old key can follow (see reader/signer-policy.ts).
 *
 * `seq` of a checkpoint or close is the last record's seq before it (firstSeq − 1 when
 * there is none); `records` counts the segment's records. `box` is nacl.box(event JSON,
 * nonce, auditor public key, segment secret key). The close record's hash is the value the
 * next segment's header names as `prevHash`. Numbers in the hash are the line's numbers,
 * base64 fields are hashed as their decoded bytes. The writer makes each nonce from a
 * random 16-byte prefix (one per segment) and u64be(i); readers only need it to be unique.
 */
export const SEGMENT_FORMAT = 'secure-atm-audit/1';
export const SEGMENT_EXTENSION = '.enc';
export const NONCE_BYTES = 24;
export const HASH_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const KEY_BYTES = 32;
/** nacl.box adds a 16-byte Poly1305 tag. */
export const BOX_OVERHEAD_BYTES = 16;

const HEADER_DOMAIN = Buffer.from(`${SEGMENT_FORMAT} header\0`, 'utf8');
const CHECKPOINT_DOMAIN = Buffer.from(`${SEGMENT_FORMAT} checkpoint\0`, 'utf8');
const CLOSE_DOMAIN = Buffer.from(`${SEGMENT_FORMAT} close\0`, 'utf8');
const ROTATE_DOMAIN = Buffer.from(`${SEGMENT_FORMAT} rotate\0`, 'utf8');
const TAG_RECORD = Buffer.from('R');
const TAG_CHECKPOINT = Buffer.from('C');
const TAG_CLOSE = Buffer.from('E');
const TAG_ROTATE = Buffer.from('K');

export interface SegmentHeader {
  format: typeof SEGMENT_FORMAT;
  type: 'header';
  /**
   * The instance whose chain this is (DESIGN.md "Ledger backends and instances"). Always
   * written; a header without it (written before instances existed) reads as `main`.
   */
  instance: string;
  /** ISO time the segment was opened. */
  created: string;
  /** The server run's start stamp (the file name's first part). */
  run: string;
  /** 1, 2, ... within a run. */
  segment: number;
  /** seq of the first record this segment will hold. */
  firstSeq: number;
  auditorPublicKey: string;
  segmentPublicKey: string;
  signingPublicKey: string;
  /** File name of the segment before this one, if any. */
  prevSegment: string | null;
  /** The hash that ended the previous segment (its close record, or its last line after a crash). */
  prevHash: string | null;
}

export interface RecordLine {
  type: 'record';
  i: number;
  seq: number;
  nonce: string;
  box: string;
  hash: string;
}

export interface CheckpointLine {
  type: 'checkpoint';
  i: number;
  seq: number;
  sig: string;
  hash: string;
}

export interface CloseLine {
  type: 'close';
  i: number;
  seq: number;
  records: number;
  /** Only on a rotating close: the base64 Ed25519 key that signs the next segment. */
  next?: string;
  sig: string;
  hash: string;
}

export type BodyLine = RecordLine | CheckpointLine | CloseLine;

export function u64be(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000) >>> 0, 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

export function headerHash(headerLine: string): Buffer {
  return createHash('sha256').update(HEADER_DOMAIN).update(headerLine, 'utf8').digest();
}

/** Every body line's chain value: SHA-256(h_{i-1} || u64be(i) || tag || u64be(seq) || fields...). */
function chainHash(prev: Uint8Array, i: number, tag: Buffer, seq: number, ...fields: Uint8Array[]): Buffer {
  const h = createHash('sha256').update(prev).update(u64be(i)).update(tag).update(u64be(seq));
  for (const field of fields) h.update(field);
  return h.digest();
}

export function recordHash(prev: Uint8Array, i: number, seq: number, nonce: Uint8Array, box: Uint8Array): Buffer {
  return chainHash(prev, i, TAG_RECORD, seq, nonce, box);
}

export function checkpointMessage(prev: Uint8Array, i: number, seq: number): Buffer {
  return Buffer.concat([CHECKPOINT_DOMAIN, prev, u64be(i), u64be(seq)]);
}

export function checkpointHash(prev: Uint8Array, i: number, seq: number, sig: Uint8Array): Buffer {
  return chainHash(prev, i, TAG_CHECKPOINT, seq, sig);
}

/** What a close signs; with `next` it is a rotating close (a different domain and tag). */
export function closeMessage(
  prev: Uint8Array,
  i: number,
  seq: number,
  records: number,
  next: Uint8Array | null = null,
): Buffer {
  if (next) return Buffer.concat([ROTATE_DOMAIN, prev, u64be(i), u64be(seq), u64be(records), next]);
  return Buffer.concat([CLOSE_DOMAIN, prev, u64be(i), u64be(seq), u64be(records)]);
}

export function closeHash(
  prev: Uint8Array,
  i: number,
  seq: number,
  records: number,
  sig: Uint8Array,
  next: Uint8Array | null = null,
): Buffer {
  if (next) return chainHash(prev, i, TAG_ROTATE, seq, u64be(records), next, sig);
  return chainHash(prev, i, TAG_CLOSE, seq, u64be(records), sig);
}

/** Decoded binary fields of a body line, after strict base64 checks. */
export type DecodedLine =
  | { type: 'record'; i: number; seq: number; nonce: Buffer; box: Buffer; hash: Buffer }
  | { type: 'checkpoint'; i: number; seq: number; sig: Buffer; hash: Buffer }
  | { type: 'close'; i: number; seq: number; records: number; next: Buffer | null; sig: Buffer; hash: Buffer };

const RECORD_KEYS = ['type', 'i', 'seq', 'nonce', 'box', 'hash'];
const CHECKPOINT_KEYS = ['type', 'i', 'seq', 'sig', 'hash'];
const CLOSE_KEYS = ['type', 'i', 'seq', 'records', 'sig', 'hash'];
const ROTATE_KEYS = ['type', 'i', 'seq', 'records', 'next', 'sig', 'hash'];
/** The instance a header without `instance` belongs to. */
export const DEFAULT_CHAIN_INSTANCE = 'main';
/** What a header may name as its instance: a safe folder name (audit/instances/<id>/). */
export const CHAIN_INSTANCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const LEGACY_HEADER_KEYS = [
  'format',
  'type',
  'created',
  'run',
  'segment',
  'firstSeq',
  'auditorPublicKey',
  'segmentPublicKey',
  'signingPublicKey',
  'prevSegment',
  'prevHash',
];
const HEADER_KEYS = [...LEGACY_HEADER_KEYS, 'instance'];

/** The chain value after a decoded body line, from the one before it (the rules at the top of this file). */
export function bodyLineHash(head: Uint8Array, body: DecodedLine): Buffer {
  switch (body.type) {
    case 'record':
      return recordHash(head, body.i, body.seq, body.nonce, body.box);
    case 'checkpoint':
      return checkpointHash(head, body.i, body.seq, body.sig);
    case 'close':
      return closeHash(head, body.i, body.seq, body.records, body.sig, body.next);
  }
}

/** A body line, or a reason it is not one. Strict: exact keys, canonical base64, exact lengths. */
export function parseBodyLine(text: string): DecodedLine | { error: string } {
  const obj = parseObject(text);
  if (!obj) return { error: 'not a JSON object' };
  const { type } = obj;
  const i = obj.i;
  const seq = obj.seq;
  if (!isCount(i) || i < 1) return { error: 'bad line number' };
  if (!isCount(seq)) return { error: 'bad seq' };
  const hash = fromB64(obj.hash, HASH_BYTES);
  if (!hash) return { error: 'bad hash' };
  if (type === 'record') {
    if (!hasExactKeys(obj, RECORD_KEYS)) return { error: 'unexpected fields' };
    const nonce = fromB64(obj.nonce, NONCE_BYTES);
    const box = fromB64(obj.box);
    if (!nonce) return { error: 'bad nonce' };
    if (!box || box.length < BOX_OVERHEAD_BYTES) return { error: 'bad sealed box' };
    return { type, i, seq, nonce, box, hash };
  }
  if (type === 'checkpoint') {
    if (!hasExactKeys(obj, CHECKPOINT_KEYS)) return { error: 'unexpected fields' };
    const sig = fromB64(obj.sig, SIGNATURE_BYTES);
    if (!sig) return { error: 'bad signature encoding' };
    return { type, i, seq, sig, hash };
  }
  if (type === 'close') {
    const rotating = Object.hasOwn(obj, 'next');
    if (!hasExactKeys(obj, rotating ? ROTATE_KEYS : CLOSE_KEYS)) return { error: 'unexpected fields' };
    const sig = fromB64(obj.sig, SIGNATURE_BYTES);
    if (!sig) return { error: 'bad signature encoding' };
    if (!isCount(obj.records)) return { error: 'bad record count' };
    const next = rotating ? fromB64(obj.next, KEY_BYTES) : null;
    if (rotating && !next) return { error: 'bad next signing key' };
    return { type, i, seq, records: obj.records, next, sig, hash };
  }
  return { error: 'unknown line type' };
}

/** The header with its keys decoded, or a reason it is not one. */
export function parseHeaderLine(text: string):
  | {
      header: SegmentHeader;
      auditorPublicKey: Buffer;
      segmentPublicKey: Buffer;
      signingPublicKey: Buffer;
      prevHash: Buffer | null;
    }
  | { error: string } {
  const obj = parseObject(text);
  if (!obj) return { error: 'header is not a JSON object' };
  if (obj.type !== 'header') return { error: 'first line is not a segment header' };
  if (obj.format !== SEGMENT_FORMAT) return { error: `unknown segment format ${JSON.stringify(obj.format)}` };
  if (!hasExactKeys(obj, HEADER_KEYS) && !hasExactKeys(obj, LEGACY_HEADER_KEYS)) {
    return { error: 'header has unexpected fields' };
  }
  const instance = Object.hasOwn(obj, 'instance') ? obj.instance : DEFAULT_CHAIN_INSTANCE;
  if (typeof instance !== 'string' || !CHAIN_INSTANCE_PATTERN.test(instance)) {
    return { error: 'header instance is malformed' };
  }
  const auditorPublicKey = fromB64(obj.auditorPublicKey, KEY_BYTES);
  const segmentPublicKey = fromB64(obj.segmentPublicKey, KEY_BYTES);
  const signingPublicKey = fromB64(obj.signingPublicKey, KEY_BYTES);
  if (!auditorPublicKey || !segmentPublicKey || !signingPublicKey) return { error: 'header key is malformed' };
  const prevHash = obj.prevHash === null ? null : fromB64(obj.prevHash, HASH_BYTES);
  if (obj.prevHash !== null && !prevHash) return { error: 'header prevHash is malformed' };
  if (typeof obj.created !== 'string' || typeof obj.run !== 'string') return { error: 'header time is malformed' };
  if (!isCount(obj.segment) || obj.segment < 1 || !isCount(obj.firstSeq) || obj.firstSeq < 1) {
    return { error: 'header numbers are malformed' };
  }
  if (obj.prevSegment !== null && typeof obj.prevSegment !== 'string')
    return { error: 'header prevSegment is malformed' };
  return {
    header: { ...(obj as unknown as SegmentHeader), instance },
    auditorPublicKey,
    segmentPublicKey,
    signingPublicKey,
    prevHash,
  };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function hasExactKeys(obj: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(obj);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(obj, k));
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
