import { basename } from 'node:path';
import { toB64 } from '../../protocol/index.js';
import type { parseHeaderLine } from '../segment/segment-format.js';
import type { VerifyProblem, VerifyReason } from './verify-types.js';

/** Where the segment before this one ended, as verified. */
export interface PreviousSegment {
  path: string;
  /** null when it had no readable header: nothing can follow it. */
  endHash: Buffer | null;
  lastSeq: number;
  closed: boolean;
}

/** Makes a problem in the segment being verified. */
export type Fault = (reason: VerifyReason, line: number | null, seq: number | null, message: string) => VerifyProblem;

/** A header that parsed. */
export type ParsedHeader = Exclude<ReturnType<typeof parseHeaderLine>, { error: string }>;

/** What the header of the segment being verified must agree with. */
export interface HeaderExpectations {
  /** The chain the segment lies in. */
  instance?: string | undefined;
  auditorPublicKey?: Uint8Array | undefined;
  /** Keys that may sign it (the pinned signer, or the key a signed rotation handed over to). */
  allowedSigners?: Uint8Array[] | undefined;
  signerLabel?: string | undefined;
  previous: PreviousSegment | null;
}

/**
 * Does the header belong where it lies: in this instance's chain, sealed to the auditor's key,
 * signed by an allowed key, and linked to the segment before it? The first problem, or null.
 */
export function checkHeader(
  name: string,
  fault: Fault,
  parsed: ParsedHeader,
  expect: HeaderExpectations,
): VerifyProblem | null {
  const { header } = parsed;
  if (expect.instance !== undefined && header.instance !== expect.instance) {
    return fault(
      'wrong_instance',
      1,
      null,
      `${name} belongs to instance ${header.instance}'s chain, but lies in instance ${expect.instance}'s: it was moved or copied there`,
    );
  }
  if (expect.auditorPublicKey && !parsed.auditorPublicKey.equals(expect.auditorPublicKey)) {
    return fault(
      'wrong_key',
      1,
      null,
      `${name} is sealed to auditor key ${header.auditorPublicKey}, not to the key given`,
    );
  }
  const allowed = expect.allowedSigners;
  if (allowed && !allowed.some((key) => parsed.signingPublicKey.equals(key))) {
    const expected = expect.signerLabel ?? 'the expected signing key';
    const keys = allowed.map((key) => toB64(key)).join(' or ');
    return fault(
      'wrong_signer',
      1,
      null,
      `${name} is signed by key ${header.signingPublicKey}, not by ${expected} (${keys}), and no signed rotation hands over to it`,
    );
  }
  if (!expect.previous) return null;
  return checkLink(name, fault, expect.previous, header.prevSegment, parsed.prevHash, header.firstSeq);
}

/**
 * Does this header (`prevSegment`, `prevHash`, `firstSeq`) follow the segment verified before
 * it: named by it, linked to the hash it really ended with, and numbered on from its last record?
 */
export function checkLink(
  name: string,
  fault: Fault,
  previous: PreviousSegment,
  prevSegment: string | null,
  prevHash: Buffer | null,
  firstSeq: number,
): VerifyProblem | null {
  const prevName = basename(previous.path);
  if (prevSegment !== prevName) {
    const said = prevSegment === null ? 'starts a new chain' : `follows ${prevSegment}`;
    return fault(
      'missing',
      1,
      null,
      `${name} ${said}, but the segment before it here is ${prevName}: a segment is missing or out of order`,
    );
  }
  if (!previous.endHash) {
    return fault('unlinked', 1, null, `${prevName} has no readable header, yet ${name} follows it`);
  }
  if (!prevHash?.equals(previous.endHash)) {
    const why = previous.closed
      ? `${prevName} does not end with the close record ${name} links to: it was replaced or changed`
      : `${prevName} does not end where ${name}'s header says it did: it was truncated, or lines were added after the restart`;
    return fault('unlinked', 1, null, why);
  }
  if (firstSeq <= previous.lastSeq) {
    return fault(
      'reordered',
      1,
      firstSeq,
      `${name} starts at seq ${firstSeq}, not after ${prevName}'s last record (seq ${previous.lastSeq})`,
    );
  }
  if (previous.closed && firstSeq !== previous.lastSeq + 1) {
    return fault(
      'missing',
      1,
      previous.lastSeq + 1,
      `records seq ${previous.lastSeq + 1}–${firstSeq - 1} are missing between ${prevName} and ${name}`,
    );
  }
  return null;
}
