import { basename } from 'node:path';
import nacl from 'tweetnacl';
import { AuditError, isErrno } from '../errors.js';
import type { AuditEvent } from '../events/audit-event.js';
import { auditorPublicKeyOf } from '../keys/key-files.js';
import { parseBodyLine, parseHeaderLine } from '../segment/segment-format.js';
import { readLines, type TextLine } from './line-reader.js';
import { openSealedEvent } from './open-record.js';

/**
 * Opens segments line by line with the auditor's secret key. It does not prove anything
 * (that is verifySegments); it refuses what it cannot open, naming the segment and seq.
 * A last line torn by a crash is skipped.
 */
export async function* decryptSegments(paths: string[], auditorSecretKey: Uint8Array): AsyncGenerator<AuditEvent> {
  const auditorPublicKey = auditorPublicKeyOf(auditorSecretKey);
  for (const path of paths) {
    const opener = new SegmentOpener(path, auditorSecretKey, auditorPublicKey);
    try {
      for await (const line of readLines(path)) {
        const event = opener.push(line);
        if (event) yield event;
      }
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new AuditError('AUDIT_SEGMENT_NOT_FOUND', `segment not found: ${path}`);
      throw err;
    } finally {
      opener.wipe();
    }
  }
}

/** All events of the segments, in order (small logs and tests). */
export async function decryptAll(paths: string[], auditorSecretKey: Uint8Array): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of decryptSegments(paths, auditorSecretKey)) events.push(event);
  return events;
}

/** Turns the lines of one segment into events; shared by decrypt and tail. */
export class SegmentOpener {
  private sharedKey: Uint8Array | null = null;
  private readonly name: string;

  constructor(
    path: string,
    private readonly auditorSecretKey: Uint8Array,
    private readonly auditorPublicKey: Uint8Array,
  ) {
    this.name = basename(path);
  }

  push(line: TextLine): AuditEvent | null {
    if (line.torn || line.text.length === 0) return null;
    if (!this.sharedKey) {
      this.openHeader(line);
      return null;
    }
    const body = parseBodyLine(line.text);
    if ('error' in body) {
      throw new AuditError('AUDIT_SEGMENT_INVALID', `${this.name} line ${line.lineNo} is damaged (${body.error})`);
    }
    if (body.type !== 'record') return null;
    const event = openSealedEvent(this.sharedKey, body.nonce, body.box);
    if (event === 'unopenable' || event === 'invalid') {
      throw new AuditError(
        'AUDIT_DECRYPT_FAILED',
        `${this.name} line ${line.lineNo} (seq ${body.seq}) cannot be opened with the auditor key; run bank-audit verify`,
      );
    }
    return event;
  }

  wipe(): void {
    this.sharedKey?.fill(0);
  }

  private openHeader(line: TextLine): void {
    const parsed = parseHeaderLine(line.text);
    if ('error' in parsed) throw new AuditError('AUDIT_SEGMENT_INVALID', `${this.name}: ${parsed.error}`);
    if (!parsed.auditorPublicKey.equals(this.auditorPublicKey)) {
      throw new AuditError(
        'AUDIT_KEY_MISMATCH',
        `${this.name} is sealed to auditor key ${parsed.header.auditorPublicKey}, not to the key given`,
      );
    }
    this.sharedKey = nacl.box.before(parsed.segmentPublicKey, this.auditorSecretKey);
  }
}
