import { appendFile, mkdir, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AuditError } from '../errors.js';
import { ED25519_SECRET_BYTES, type Ed25519Signer, ed25519Signer } from '../keys/ed25519.js';
import { SegmentChain } from '../segment/segment-chain.js';
import {
  listSegmentFiles,
  nextRunStamp,
  parseSegmentFileName,
  readPlaintextAfter,
  readPlaintextEnd,
  readSegmentEnd,
  type SegmentEnd,
  segmentFileName,
} from '../segment/segment-files.js';
import { CHAIN_INSTANCE_PATTERN, DEFAULT_CHAIN_INSTANCE } from '../segment/segment-format.js';
import type { StateHead } from '../state/audit-state.js';
import { AuditLogWriter } from './audit-log-writer.js';
import type { AuditSink } from './audit-sink.js';
import { syncDirectory } from './segment-file.js';

export interface AuditLogOptions {
  /** `<data-dir>/audit`: holds audit.log and segments/*.enc. */
  dir: string;
  /** X25519 (nacl.box) public key of the auditor, 32 bytes. */
  auditorPublicKey: Uint8Array;
  /** Ed25519 secret, 64 bytes in tweetnacl format (seed || public key). */
  signingSecretKey: Uint8Array;
  /** Longest time records stay unsigned while events flow; default 1000. */
  checkpointIntervalMs?: number;
  /** The chain's instance id (DESIGN.md "Ledger backends and instances"); default `main`. */
  instance?: string;
  /** A segment past this size is closed and a new one started; default 64 MiB. */
  maxSegmentBytes?: number;
  now?: () => Date;
  /**
   * Hand over to this Ed25519 secret (a pending `rotate-key`): a segment signed by
   * `signingSecretKey` is written and closed with a rotating close naming this key, and
   * everything after is signed by it. Skipped when the last close already names it.
   */
  rotateTo?: Uint8Array | null;
  /**
   * Test seam: wait this long before each batch is written, as a slow or busy disk would, so
   * tests can hold events in memory on purpose (e.g. to SIGKILL the process then).
   */
  batchDelayMs?: number;
  /** Called once if a write fails; the log then drops events and flush()/close() reject. */
  onError?: (err: AuditError) => void;
}

/**
 * The newest signed checkpoint (or close) that is on disk: what `GET /audit/head` serves and
 * a witness keeps. `hash` is the chain value after that line, `signature` its Ed25519
 * signature, `signer` the base64 public key, `at` the time it was written.
 */
export interface AuditHead extends StateHead {
  instance: string;
}

/** An open audit log; `segmentPath` is the segment being written (it changes on rotation). */
export type AuditLog = AuditSink & {
  readonly segmentPath: string;
  /** null until the first checkpoint of this run. */
  readonly head: AuditHead | null;
  /** The key signing the current segment. */
  readonly signingPublicKey: Uint8Array;
};

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;
export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * Open the dual audit log in `dir`: continue seq after what both logs already hold, link
 * the new segment to the last one in the folder, and start writing.
 */
export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  if (options.auditorPublicKey.length !== 32) {
    throw new AuditError('AUDIT_KEY_INVALID', 'auditor public key must be 32 bytes');
  }
  if (options.signingSecretKey.length !== ED25519_SECRET_BYTES) {
    throw new AuditError('AUDIT_KEY_INVALID', 'audit signing key must be 64 bytes (tweetnacl format)');
  }
  const now = options.now ?? (() => new Date());
  const instance = options.instance ?? DEFAULT_CHAIN_INSTANCE;
  if (!CHAIN_INSTANCE_PATTERN.test(instance)) {
    throw new AuditError('AUDIT_USAGE', `audit instance "${instance}" is not a safe folder name`);
  }
  const segmentsDir = join(options.dir, 'segments');
  const plaintextPath = join(options.dir, 'audit.log');
  await mkdir(segmentsDir, { recursive: true, mode: 0o700 });

  // Only names this writer makes: a stray file must not become the chain's predecessor.
  const existing = (await listSegmentFiles(segmentsDir)).filter((path) => parseSegmentFileName(basename(path)));
  const lastSegment = existing.at(-1);
  let previous = lastSegment ? await readSegmentEnd(lastSegment) : null;
  const plainEnd = await readPlaintextEnd(plaintextPath);
  // A line torn by a crash must not swallow the first line of this run.
  if (plainEnd.torn) await appendFile(plaintextPath, '\n');
  // audit.log is written before the segment: what a crash left only there is sealed again.
  const refill =
    previous && !previous.closed && plainEnd.lastSeq > previous.lastSeq
      ? await readPlaintextAfter(plaintextPath, previous.lastSeq)
      : [];
  const firstSeq =
    refill.length > 0 ? (previous?.lastSeq ?? 0) + 1 : Math.max(previous?.lastSeq ?? 0, plainEnd.lastSeq) + 1;
  let signer = ed25519Signer(options.signingSecretKey);
  if (options.rotateTo) {
    const next = ed25519Signer(options.rotateTo);
    // Already handed over (a crash before the key files were swapped): the last close names
    // the new key, or a segment signed by it already follows.
    const key = Buffer.from(next.publicKey);
    const done = (previous?.next && key.equals(previous.next)) || (previous?.signer && key.equals(previous.signer));
    if (!done) {
      previous = await writeRotationSegment({
        instance,
        segmentsDir,
        previous,
        firstSeq,
        auditorPublicKey: options.auditorPublicKey,
        signer,
        next: next.publicKey,
        now: now(),
      });
    }
    signer = next;
  }

  const writer = new AuditLogWriter({
    segmentsDir,
    auditorPublicKey: Uint8Array.from(options.auditorPublicKey),
    signer,
    checkpointIntervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    maxSegmentBytes: options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES,
    now,
    onError: options.onError,
    instance,
    batchDelayMs: options.batchDelayMs ?? 0,
    firstSeq,
  });
  await writer.start(
    plaintextPath,
    nextRunStamp(now(), previous?.name ?? null),
    previous ? { name: previous.name, hash: previous.hash } : null,
    refill,
  );
  return writer;
}

/** A segment with no records whose signed close hands the chain over to `next`. */
async function writeRotationSegment(o: {
  instance: string;
  segmentsDir: string;
  previous: SegmentEnd | null;
  firstSeq: number;
  auditorPublicKey: Uint8Array;
  signer: Ed25519Signer;
  next: Uint8Array;
  now: Date;
}): Promise<SegmentEnd> {
  const run = nextRunStamp(o.now, o.previous?.name ?? null);
  const chain = new SegmentChain({
    instance: o.instance,
    created: o.now.toISOString(),
    run,
    segment: 1,
    firstSeq: o.firstSeq,
    auditorPublicKey: o.auditorPublicKey,
    signer: o.signer,
    prevSegment: o.previous?.name ?? null,
    prevHash: o.previous?.hash ?? null,
  });
  const name = segmentFileName(run, 1);
  const file = await open(join(o.segmentsDir, name), 'ax', 0o600);
  try {
    await file.appendFile(chain.headerLine + chain.close(o.next), 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
  await syncDirectory(o.segmentsDir);
  const signer = Buffer.from(o.signer.publicKey);
  return { name, hash: chain.hash, lastSeq: o.firstSeq - 1, closed: true, next: Buffer.from(o.next), signer };
}
