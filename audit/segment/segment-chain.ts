import { hash as oneShotHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { toB64 } from '../../protocol/index.js';
import type { Ed25519Signer } from '../keys/ed25519.js';
import {
  checkpointHash,
  checkpointMessage,
  closeHash,
  closeMessage,
  headerHash,
  NONCE_BYTES,
  SEGMENT_FORMAT,
  type SegmentHeader,
} from './segment-format.js';

// The in-place layout of a record: prev(32) u64 i(8) "R"(1) u64 seq(8) nonce(24) box(16 tag + message).
const NONCE_AT = 49;
const BOX_AT = NONCE_AT + NONCE_BYTES;
const BOX_TAG = 16;

/** tweetnacl's low-level API (untyped in its .d.ts): the two halves of secretbox, into a caller's buffer, in place. */
const lowlevel = (
  nacl as unknown as {
    lowlevel: {
      crypto_core_hsalsa20(out: Uint8Array, input: Uint8Array, k: Uint8Array, c: Uint8Array): void;
      crypto_stream_salsa20_xor(
        c: Uint8Array,
        cpos: number,
        m: Uint8Array,
        mpos: number,
        b: number,
        n: Uint8Array,
        k: Uint8Array,
      ): number;
      crypto_onetimeauth(
        out: Uint8Array,
        outpos: number,
        m: Uint8Array,
        mpos: number,
        n: number,
        k: Uint8Array,
      ): number;
    };
  }
).lowlevel;
/** Salsa20's constant, "expand 32-byte k" (tweetnacl's `sigma`). */
const SIGMA = new Uint8Array(Buffer.from('expand 32-byte k', 'latin1'));

function writeU64(buf: Buffer, offset: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / 0x1_0000_0000) >>> 0, offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

export interface SegmentChainOptions {
  /** The instance whose chain this segment continues (written in the header). */
  instance: string;
  created: string;
  run: string;
  segment: number;
  firstSeq: number;
  auditorPublicKey: Uint8Array;
  signer: Ed25519Signer;
  prevSegment: string | null;
  prevHash: Uint8Array | null;
}

/**
 * The writing side of one segment as pure code: turns events into the exact lines to
 * append (see segment-format.ts). Files, timers and batching belong to the caller.
 *
 * The segment's X25519 secret is used once, for nacl.box.before, and the shared key once more, for
 * the XSalsa20 subkey of this segment's nonce prefix; only that subkey stays in memory (it seals,
 * and could open, this segment's records, and nothing else) and is wiped by close() or wipe().
 * After that the writer cannot read back what it wrote.
 */
export class SegmentChain {
  readonly header: SegmentHeader;
  /** The header line including its '\n'. */
  readonly headerLine: string;
  private readonly signer: Ed25519Signer;
  /**
   * XSalsa20 is HSalsa20(key, nonce[0..16]) as a Salsa20 key, then Salsa20 under nonce[16..24]: with
   * nonces of one fixed prefix the subkey is the same for every record, so it is derived once here and
   * each record runs Salsa20 and Poly1305 only, exactly what crypto_secretbox computes (tested against
   * it). appendRecord 6.8-7.3 -> ~6.2 µs; secretbox alone 4.05 -> 3.35 µs per 330-byte event.
   */
  private readonly subkey: Uint8Array;
  /** Nonces are this random prefix || u64be(line): unique under a key that lives for one segment. */
  private readonly noncePrefix: Uint8Array;
  /** Salsa20's nonce for the current record: u64be(line), the nonce's last 8 bytes. */
  private readonly counterNonce = Buffer.alloc(8);
  private head: Buffer;
  private line = 0;
  private lastSeqValue: number;
  private recordCount = 0;
  private sinceCheckpoint = 0;
  private byteCount: number;
  private closed = false;
  private signature: Buffer | null = null;

  constructor(options: SegmentChainOptions) {
    const segmentKeys = nacl.box.keyPair();
    const sharedKey = nacl.box.before(options.auditorPublicKey, segmentKeys.secretKey);
    segmentKeys.secretKey.fill(0);
    this.noncePrefix = nacl.randomBytes(NONCE_BYTES - 8);
    this.subkey = new Uint8Array(32);
    lowlevel.crypto_core_hsalsa20(this.subkey, this.noncePrefix, sharedKey, SIGMA);
    sharedKey.fill(0);
    this.signer = options.signer;
    this.header = {
      format: SEGMENT_FORMAT,
      type: 'header',
      instance: options.instance,
      created: options.created,
      run: options.run,
      segment: options.segment,
      firstSeq: options.firstSeq,
      auditorPublicKey: toB64(options.auditorPublicKey),
      segmentPublicKey: toB64(segmentKeys.publicKey),
      signingPublicKey: toB64(options.signer.publicKey),
      prevSegment: options.prevSegment,
      prevHash: options.prevHash ? toB64(options.prevHash) : null,
    };
    const text = JSON.stringify(this.header);
    this.headerLine = `${text}\n`;
    this.head = headerHash(text);
    this.lastSeqValue = options.firstSeq - 1;
    this.byteCount = Buffer.byteLength(this.headerLine);
  }

  /** seq of the last record appended (firstSeq − 1 before any). */
  get lastSeq(): number {
    return this.lastSeqValue;
  }

  /** Records appended since the last checkpoint (or since the start). */
  get uncheckpointed(): number {
    return this.sinceCheckpoint;
  }

  get records(): number {
    return this.recordCount;
  }

  /** Bytes of every line produced so far, header included. */
  get bytes(): number {
    return this.byteCount;
  }

  /** The current chain value; after close() it is the hash that closed the segment. */
  get hash(): Buffer {
    return this.head;
  }

  /** The signature of the last checkpoint or close (null before the first). */
  get lastSignature(): Buffer | null {
    return this.signature;
  }

  /** The public key that signs this segment. */
  get signerPublicKey(): Uint8Array {
    return this.signer.publicKey;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Seal one event (its JSON text) as record `seq`; seq must follow the last one.
   *
   * One buffer holds exactly the bytes the record hash covers, prev || u64be(i) || "R" ||
   * u64be(seq) || nonce || box, and nacl's secretbox runs in place inside it: the
   * per-event cost is the cipher and one hash, not copies and garbage.
   */
  appendRecord(seq: number, json: string): string {
    this.assertOpen();
    if (seq !== this.lastSeqValue + 1) throw new RangeError(`record seq ${seq} does not follow ${this.lastSeqValue}`);
    const i = ++this.line;
    const length = Buffer.byteLength(json, 'utf8');
    const work = Buffer.allocUnsafe(BOX_AT + BOX_TAG + length);
    this.head.copy(work, 0);
    writeU64(work, 32, i);
    work[40] = 0x52; // "R"
    writeU64(work, 41, seq);
    // secretbox wants 32 zero bytes before the message and writes 16 zero bytes + tag before the ciphertext.
    work.fill(0, BOX_AT - 16, BOX_AT + BOX_TAG);
    work.write(json, BOX_AT + BOX_TAG, 'utf8');
    const sealed = work.subarray(BOX_AT - 16);
    writeU64(this.counterNonce, 0, i);
    // crypto_secretbox's two steps under the cached subkey: the stream (its first 32 bytes become the
    // Poly1305 key), then the tag over the ciphertext into bytes 16..32.
    lowlevel.crypto_stream_salsa20_xor(sealed, 0, sealed, 0, sealed.length, this.counterNonce, this.subkey);
    lowlevel.crypto_onetimeauth(sealed, 16, sealed, 32, sealed.length - 32, sealed);
    // The nonce overlaps the box's leading zero bytes: written once the box is sealed.
    work.set(this.noncePrefix, NONCE_AT);
    work.set(this.counterNonce, NONCE_AT + NONCE_BYTES - 8);
    this.head = oneShotHash('sha256', work, 'buffer');
    this.lastSeqValue = seq;
    this.recordCount++;
    this.sinceCheckpoint++;
    return this.count(
      `{"type":"record","i":${i},"seq":${seq},"nonce":"${work.toString('base64', NONCE_AT, BOX_AT)}","box":"${work.toString('base64', BOX_AT)}","hash":"${this.head.toString('base64')}"}\n`,
    );
  }

  /** A signed checkpoint over the chain so far, or null when nothing new needs one. */
  checkpoint(): string | null {
    this.assertOpen();
    if (this.sinceCheckpoint === 0) return null;
    const i = ++this.line;
    const seq = this.lastSeqValue;
    const sig = this.signer.sign(checkpointMessage(this.head, i, seq));
    this.signature = sig;
    this.head = checkpointHash(this.head, i, seq, sig);
    this.sinceCheckpoint = 0;
    return this.count(
      `{"type":"checkpoint","i":${i},"seq":${seq},"sig":"${toB64(sig)}","hash":"${toB64(this.head)}"}\n`,
    );
  }

  /**
   * The signed close record; wipes the segment key. Nothing may follow it. With `next`
   * (the public key that will sign the next segment) it is a rotating close: this
   * segment's key signs the hand-over.
   */
  close(next: Uint8Array | null = null): string {
    this.assertOpen();
    const i = ++this.line;
    const seq = this.lastSeqValue;
    const records = this.recordCount;
    const sig = this.signer.sign(closeMessage(this.head, i, seq, records, next));
    this.signature = sig;
    this.head = closeHash(this.head, i, seq, records, sig, next);
    this.sinceCheckpoint = 0;
    this.wipe();
    const nextField = next ? `"next":"${toB64(next)}",` : '';
    return this.count(
      `{"type":"close","i":${i},"seq":${seq},"records":${records},${nextField}"sig":"${toB64(sig)}","hash":"${toB64(this.head)}"}\n`,
    );
  }

  /** Forget the segment key without writing a close record (a failed writer). */
  wipe(): void {
    this.subkey.fill(0);
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('segment is closed');
  }

  private count(line: string): string {
    this.byteCount += line.length;
    return line;
  }
}
