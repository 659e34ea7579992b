// Longer than the house's ~350 lines on purpose: one segment's line-by-line state machine (header,
// records, checkpoints, close, rotation) reads best as one class; its helpers live in segment-format.ts.
import { basename } from 'node:path';
import nacl from 'tweetnacl';
import { toB64 } from '../../protocol/index.js';
import type { AuditEvent } from '../events/audit-event.js';
import { verifyEd25519 } from '../keys/ed25519.js';
import {
  checkpointHash,
  checkpointMessage,
  closeHash,
  closeMessage,
  type DecodedLine,
  headerHash,
  parseBodyLine,
  parseHeaderLine,
  recordHash,
} from '../segment/segment-format.js';
import type { TextLine } from './line-reader.js';
import { openSealedEvent } from './open-record.js';
import type { SegmentSummary, VerifyProblem, VerifyReason } from './verify-types.js';

/** Where the segment before this one ended, as verified. */
export interface PreviousSegment {
  path: string;
  /** null when it had no readable header: nothing can follow it. */
  endHash: Buffer | null;
  lastSeq: number;
  closed: boolean;
}

export interface SegmentVerifierOptions {
  path: string;
  /** The segment verified just before this one in the same run of `verify`, if any. */
  previous: PreviousSegment | null;
  /** With the auditor's secret every record is also opened. */
  auditorSecretKey?: Uint8Array | undefined;
  auditorPublicKey?: Uint8Array | undefined;
  /** When set, a segment signed by any other key fails (the pinned signer, or the key it rotated to). */
  allowedSigners?: Uint8Array[] | undefined;
  /** How to name the expected key in a failure ("the pinned signer"). */
  signerLabel?: string | undefined;
  /** The chain being verified: a header naming another instance is a problem (wrong_instance). */
  instance?: string | undefined;
  /** A signed head (from the auditor's state) to look for: `reachedHead` says whether it was found. */
  head?: { segment: string; seq: number; hash: string } | null | undefined;
}

export interface SegmentOutcome {
  summary: SegmentSummary;
  /** Tampering or damage: the first one found in this segment. */
  problem: VerifyProblem | null;
  /** No close record (only when there is no problem). */
  unclean: VerifyProblem | null;
  end: PreviousSegment;
}

interface Misplaced {
  lineNo: number;
  expected: number;
  found: number;
  line: DecodedLine;
  lastRecordSeq: number;
  following: number[];
}

/**
 * Checks one segment line by line, as pure code: fed the lines in file order, it follows
 * the chain, checks every signature and (with the key) opens every record. It stops at
 * the first problem, but keeps reading line numbers to tell "missing" from "reordered".
 */
export class SegmentVerifier {
  private readonly name: string;
  private head: Buffer | null = null;
  private headerSeen = false;
  private firstSeq = 0;
  private expectedLine = 1;
  private lastRecordSeq = 0;
  private lastSignedSeq = 0;
  private records = 0;
  private checkpoints = 0;
  private unsigned = 0;
  private closed = false;
  private torn = false;
  private signingKey: Buffer | null = null;
  private nextSigner: Buffer | null = null;
  private signedHead: { line: number; seq: number; hash: string; sig: string } | null = null;
  private reached = false;
  private auditorKeyText: string | null = null;
  private instance: string | null = null;
  private sharedKey: Uint8Array | null = null;
  private problem: VerifyProblem | null = null;
  private misplaced: Misplaced | null = null;

  constructor(private readonly options: SegmentVerifierOptions) {
    this.name = basename(options.path);
  }

  /** True once a problem was found; further lines only serve to classify it. */
  get failed(): boolean {
    return this.problem !== null || this.misplaced !== null;
  }

  /** Feed the next line; returns the opened event of a good record when a key was given. */
  push(line: TextLine): AuditEvent | null {
    if (this.misplaced) {
      this.collectLineNumber(line);
      return null;
    }
    if (this.problem) return null;
    if (line.torn) {
      this.torn = true;
      return null;
    }
    if (!this.headerSeen) {
      this.readHeader(line);
      return null;
    }
    return this.readBody(line);
  }

  finish(): SegmentOutcome {
    if (this.misplaced) this.problem = this.classify(this.misplaced);
    const summary: SegmentSummary = {
      path: this.options.path,
      instance: this.instance,
      firstSeq: this.firstSeq,
      lastSeq: this.lastRecordSeq,
      records: this.records,
      checkpoints: this.checkpoints,
      closed: this.closed,
      lastSignedSeq: this.lastSignedSeq,
      unsignedRecords: this.unsigned,
      signingPublicKey: this.signingKey ? toB64(this.signingKey) : null,
      signedHead: this.signedHead,
      reachedHead: this.reached,
      nextSigningPublicKey: this.nextSigner ? toB64(this.nextSigner) : null,
      auditorPublicKey: this.auditorKeyText,
      endHash: this.head ? toB64(this.head) : null,
    };
    this.sharedKey?.fill(0);
    const end = { path: this.options.path, endHash: this.head, lastSeq: this.lastRecordSeq, closed: this.closed };
    if (this.problem) return { summary, problem: this.problem, unclean: null, end };
    if (!this.headerSeen) {
      const unclean = this.fault(
        'truncated',
        1,
        null,
        `${this.name} is truncated: it ends before its header is complete (unclean end)`,
      );
      return { summary, problem: null, unclean, end };
    }
    if (this.closed) return { summary, problem: null, unclean: null, end };
    const signed =
      this.lastSignedSeq >= this.firstSeq
        ? `records seq ${this.firstSeq}–${this.lastSignedSeq} verify through the last checkpoint`
        : 'no checkpoint was written';
    const tail =
      this.unsigned > 0
        ? `; ${this.unsigned} record(s) after it (seq ${this.lastRecordSeq - this.unsigned + 1}–${this.lastRecordSeq}) are unsigned`
        : '';
    const unclean = this.torn
      ? this.fault(
          'truncated',
          null,
          null,
          `${this.name} is truncated: its last line is incomplete and there is no close record (unclean end); ${signed}${tail}`,
        )
      : this.fault(
          'unclean_end',
          null,
          null,
          `${this.name} has no close record (unclean end: the server crashed, was killed, or is still running); ${signed}${tail}`,
        );
    return { summary, problem: null, unclean, end };
  }

  private readHeader(line: TextLine): void {
    this.headerSeen = true;
    const parsed = parseHeaderLine(line.text);
    if ('error' in parsed) {
      this.problem = this.fault('malformed', line.lineNo, null, `${this.name} is not a valid segment: ${parsed.error}`);
      return;
    }
    const { header } = parsed;
    this.head = headerHash(line.text);
    this.firstSeq = header.firstSeq;
    this.lastRecordSeq = header.firstSeq - 1;
    this.lastSignedSeq = header.firstSeq - 1;
    this.signingKey = parsed.signingPublicKey;
    this.auditorKeyText = header.auditorPublicKey;
    this.instance = header.instance;
    const { auditorPublicKey, auditorSecretKey, allowedSigners, previous } = this.options;
    if (this.options.instance !== undefined && header.instance !== this.options.instance) {
      this.problem = this.fault(
        'wrong_instance',
        line.lineNo,
        null,
        `${this.name} belongs to instance ${header.instance}'s chain, but lies in instance ${this.options.instance}'s: it was moved or copied there`,
      );
      return;
    }
    if (auditorPublicKey && !parsed.auditorPublicKey.equals(auditorPublicKey)) {
      this.problem = this.fault(
        'wrong_key',
        line.lineNo,
        null,
        `${this.name} is sealed to auditor key ${header.auditorPublicKey}, not to the key given`,
      );
      return;
    }
    if (allowedSigners && !allowedSigners.some((key) => parsed.signingPublicKey.equals(key))) {
      const expected = this.options.signerLabel ?? 'the expected signing key';
      const keys = allowedSigners.map((key) => toB64(key)).join(' or ');
      this.problem = this.fault(
        'wrong_signer',
        line.lineNo,
        null,
        `${this.name} is signed by key ${header.signingPublicKey}, not by ${expected} (${keys}), and no signed rotation hands over to it`,
      );
      return;
    }
    if (previous) this.problem = this.checkLink(previous, header.prevSegment, parsed.prevHash, header.firstSeq);
    if (auditorSecretKey && !this.problem) this.sharedKey = nacl.box.before(parsed.segmentPublicKey, auditorSecretKey);
  }

  private checkLink(
    previous: PreviousSegment,
    prevSegment: string | null,
    prevHash: Buffer | null,
    firstSeq: number,
  ): VerifyProblem | null {
    const prevName = basename(previous.path);
    if (prevSegment !== prevName) {
      const said = prevSegment === null ? 'starts a new chain' : `follows ${prevSegment}`;
      return this.fault(
        'missing',
        1,
        null,
        `${this.name} ${said}, but the segment before it here is ${prevName}: a segment is missing or out of order`,
      );
    }
    if (!previous.endHash) {
      return this.fault('unlinked', 1, null, `${prevName} has no readable header, yet ${this.name} follows it`);
    }
    if (!prevHash?.equals(previous.endHash)) {
      const why = previous.closed
        ? `${prevName} does not end with the close record ${this.name} links to: it was replaced or changed`
        : `${prevName} does not end where ${this.name}'s header says it did: it was truncated, or lines were added after the restart`;
      return this.fault('unlinked', 1, null, why);
    }
    if (firstSeq <= previous.lastSeq) {
      return this.fault(
        'reordered',
        1,
        firstSeq,
        `${this.name} starts at seq ${firstSeq}, not after ${prevName}'s last record (seq ${previous.lastSeq})`,
      );
    }
    if (previous.closed && firstSeq !== previous.lastSeq + 1) {
      return this.fault(
        'missing',
        1,
        previous.lastSeq + 1,
        `records seq ${previous.lastSeq + 1}–${firstSeq - 1} are missing between ${prevName} and ${this.name}`,
      );
    }
    return null;
  }

  private readBody(line: TextLine): AuditEvent | null {
    const head = this.head;
    if (!head) return null;
    if (this.closed) {
      this.problem = this.fault(
        'modified',
        line.lineNo,
        null,
        `line ${line.lineNo} follows the close record: lines were appended`,
      );
      return null;
    }
    const body = parseBodyLine(line.text);
    if ('error' in body) {
      this.problem = this.fault('modified', line.lineNo, null, `line ${line.lineNo} is damaged (${body.error})`);
      return null;
    }
    const computed = hashOf(head, body);
    if (!computed.equals(body.hash)) {
      const seqEdit = this.seqEdit(head, body);
      if (body.i === this.expectedLine && seqEdit !== null) {
        this.problem = this.fault(
          'modified',
          line.lineNo,
          seqEdit,
          `seq mismatch: line ${line.lineNo} says seq ${body.seq}, but its hash was made for seq ${seqEdit}: the seq was edited`,
        );
      } else if (body.i === this.expectedLine) {
        const what = body.type === 'record' ? `record seq ${body.seq}` : `${body.type} record`;
        const before = body.i === 1 ? 'the segment header' : 'the line before it';
        this.problem = this.fault(
          'modified',
          line.lineNo,
          body.type === 'record' ? body.seq : null,
          `${what} does not match its hash: it (or ${before}) was changed`,
        );
      } else {
        this.misplaced = {
          lineNo: line.lineNo,
          expected: this.expectedLine,
          found: body.i,
          line: body,
          lastRecordSeq: this.lastRecordSeq,
          following: [],
        };
      }
      return null;
    }
    if (body.i !== this.expectedLine) {
      this.problem = this.fault('malformed', line.lineNo, null, `line ${line.lineNo} carries line number ${body.i}`);
      return null;
    }
    this.expectedLine++;
    this.head = computed;
    switch (body.type) {
      case 'record':
        return this.acceptRecord(body, line.lineNo);
      case 'checkpoint':
        this.acceptSignature(body.seq, checkpointMessage(head, body.i, body.seq), body.sig, line.lineNo, 'checkpoint');
        if (!this.problem) this.checkpoints++;
        return null;
      case 'close':
        if (!this.problem && body.records !== this.records) {
          this.problem = this.fault(
            'modified',
            line.lineNo,
            null,
            `close record counts ${body.records} records, the segment holds ${this.records}`,
          );
          return null;
        }
        this.acceptSignature(
          body.seq,
          closeMessage(head, body.i, body.seq, body.records, body.next),
          body.sig,
          line.lineNo,
          'close',
        );
        if (!this.problem) {
          this.closed = true;
          this.nextSigner = body.next;
        }
        return null;
    }
  }

  /** The seq a line's hash was made for, when only its seq was changed; null otherwise. */
  private seqEdit(head: Buffer, body: DecodedLine): number | null {
    const expected = body.type === 'record' ? this.lastRecordSeq + 1 : this.lastRecordSeq;
    if (body.seq === expected || body.i !== this.expectedLine) return null;
    return hashOf(head, { ...body, seq: expected }).equals(body.hash) ? expected : null;
  }

  private acceptRecord(body: Extract<DecodedLine, { type: 'record' }>, lineNo: number): AuditEvent | null {
    if (body.seq !== this.lastRecordSeq + 1) {
      this.problem = this.fault(
        body.seq > this.lastRecordSeq ? 'missing' : 'reordered',
        lineNo,
        body.seq,
        `record seq ${body.seq} follows seq ${this.lastRecordSeq}`,
      );
      return null;
    }
    let event: AuditEvent | null = null;
    if (this.sharedKey) {
      const opened = openSealedEvent(this.sharedKey, body.nonce, body.box);
      if (opened === 'unopenable') {
        this.problem = this.fault(
          'wrong_key',
          lineNo,
          body.seq,
          `record seq ${body.seq} cannot be opened with the auditor key: it was sealed with another segment key`,
        );
        return null;
      }
      if (opened === 'invalid' || opened.seq !== body.seq) {
        this.problem = this.fault('modified', lineNo, body.seq, `record seq ${body.seq} holds a different event`);
        return null;
      }
      event = opened;
    }
    this.lastRecordSeq = body.seq;
    this.records++;
    this.unsigned++;
    return event;
  }

  private acceptSignature(seq: number, message: Buffer, sig: Buffer, lineNo: number, kind: string): void {
    if (seq !== this.lastRecordSeq) {
      this.problem = this.fault(
        'modified',
        lineNo,
        null,
        `${kind} record names seq ${seq}, the last record is seq ${this.lastRecordSeq}`,
      );
      return;
    }
    if (!this.signingKey || !verifyEd25519(this.signingKey, message, sig)) {
      this.problem = this.fault(
        'bad_signature',
        lineNo,
        seq,
        `${kind} signature at seq ${seq} does not verify: forged, or the chain before it was rewritten`,
      );
      return;
    }
    this.lastSignedSeq = seq;
    this.unsigned = 0;
    const hash = this.head ? toB64(this.head) : '';
    this.signedHead = { line: lineNo, seq, hash, sig: toB64(sig) };
    const want = this.options.head;
    if (want && want.segment === this.name && want.seq === seq && want.hash === hash) this.reached = true;
  }

  private collectLineNumber(line: TextLine): void {
    if (line.torn || !this.misplaced) return;
    try {
      const value = JSON.parse(line.text) as { i?: unknown };
      if (typeof value.i === 'number') this.misplaced.following.push(value.i);
    } catch {
      // unreadable lines say nothing about order
    }
  }

  private classify(m: Misplaced): VerifyProblem {
    const seq = m.line.type === 'record' ? m.line.seq : null;
    if (m.following.includes(m.expected)) {
      return this.fault(
        'reordered',
        m.lineNo,
        seq,
        `line ${m.lineNo} holds line ${m.found + 1} of the segment; line ${m.expected + 1} comes later: lines were reordered`,
      );
    }
    if (m.following[0] === m.expected + 1) {
      return this.fault('modified', m.lineNo, seq, `line ${m.lineNo} was changed (its line number and hash disagree)`);
    }
    if (m.found > m.expected) {
      const gone = m.found - m.expected;
      const firstMissingSeq = m.lastRecordSeq + 1;
      // A record line names its own seq; a checkpoint or close names the last record before it.
      const lastMissingSeq = m.line.type === 'record' ? m.line.seq - 1 : m.line.seq;
      const recordsGone = lastMissingSeq >= firstMissingSeq;
      const range = `${firstMissingSeq}${lastMissingSeq > firstMissingSeq ? `–${lastMissingSeq}` : ''}`;
      const what = recordsGone
        ? `record seq ${range} ${lastMissingSeq > firstMissingSeq ? 'are' : 'is'} missing`
        : 'a checkpoint line is missing';
      return this.fault(
        'missing',
        m.lineNo,
        recordsGone ? firstMissingSeq : seq,
        `${what} (${gone} line(s) deleted before line ${m.lineNo})`,
      );
    }
    return this.fault(
      'reordered',
      m.lineNo,
      seq,
      `line ${m.lineNo} repeats an earlier line: lines were duplicated or reordered`,
    );
  }

  private fault(reason: VerifyReason, line: number | null, seq: number | null, message: string): VerifyProblem {
    return { reason, file: this.options.path, line, seq, message };
  }
}

function hashOf(head: Buffer, body: DecodedLine): Buffer {
  switch (body.type) {
    case 'record':
      return recordHash(head, body.i, body.seq, body.nonce, body.box);
    case 'checkpoint':
      return checkpointHash(head, body.i, body.seq, body.sig);
    case 'close':
      return closeHash(head, body.i, body.seq, body.records, body.sig, body.next);
  }
}
