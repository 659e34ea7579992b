import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import nacl from 'tweetnacl';
import type { AuditEvent } from '../../audit/index.js';
import { ed25519Signer } from '../../audit/keys/ed25519.js';
import { SegmentChain } from '../../audit/segment/segment-chain.js';
import { readSegmentEnd } from '../../audit/segment/segment-files.js';
import type { SegmentHeader } from '../../audit/segment/segment-format.js';

/**
 * What an attacker who can write the data dir (but has no pinned key) can do with the
 * project's own chain code: re-seal events to the public auditor key and sign them with a
 * fresh key of their own, linked exactly like the genuine writer links segments.
 */
export interface Forgery {
  /** The file to overwrite (its header supplies run, segment number, created time and firstSeq). */
  path: string;
  /** The segment before it as it is on disk (null for a first segment). */
  previousPath: string | null;
  auditorPublicKey: Uint8Array;
  events: AuditEvent[];
  /** The forger's Ed25519 secret; a fresh one when not given. */
  signingSecretKey?: Uint8Array;
  /** Hand over to this key in the close record (a rotation signed by `signingSecretKey`). */
  next?: Uint8Array;
}

export function attackerKey(): Uint8Array {
  return nacl.sign.keyPair().secretKey;
}

/** Rewrite `path` as a well-formed, closed segment signed by the forger. */
export async function forgeSegment(f: Forgery): Promise<void> {
  const original = JSON.parse((await readFile(f.path, 'utf8')).split('\n')[0] ?? '') as SegmentHeader;
  const previous = f.previousPath ? await readSegmentEnd(f.previousPath) : null;
  const chain = new SegmentChain({
    instance: original.instance ?? 'main',
    created: original.created,
    run: original.run,
    segment: original.segment,
    firstSeq: original.firstSeq,
    auditorPublicKey: f.auditorPublicKey,
    signer: ed25519Signer(f.signingSecretKey ?? attackerKey()),
    prevSegment: previous ? basename(f.previousPath ?? '') : null,
    prevHash: previous ? previous.hash : null,
  });
  let text = chain.headerLine;
  for (const event of f.events) text += chain.appendRecord(event.seq, JSON.stringify(event));
  text += chain.checkpoint() ?? '';
  text += chain.close(f.next ?? null);
  await writeFile(f.path, text);
}

/** The plaintext log rewritten from events, as the server writes it (pino: level first). */
export async function rewritePlaintext(path: string, events: AuditEvent[]): Promise<void> {
  await writeFile(path, events.map((e) => `${JSON.stringify({ level: 30, ...e })}\n`).join(''));
}
