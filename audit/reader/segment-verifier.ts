import { basename } from 'node:path';
import nacl from 'tweetnacl';
import { toB64 } from '../../protocol/index.js';
import type { AuditEvent } from '../events/audit-event.js';
import { verifyEd25519 } from '../keys/ed25519.js';
import {
  bodyLineHash,
  checkpointMessage,
  closeMessage,
  type DecodedLine,
  headerHash,
  parseBodyLine,
  parseHeaderLine,
} from '../segment/segment-format.js';
import { checkHeader, type PreviousSegment } from './header-checks.js';
import { classifyMisplaced, type Misplaced, noteLineNumber } from './line-order.js';
import type { TextLine } from './line-reader.js';
import { openSealedEvent } from './open-record.js';
import { uncleanEnd } from './unclean-end.js';
import type { SegmentSummary, VerifyProblem, VerifyReason } from './verify-types.js';

export type { PreviousSegment } from './header-checks.js';

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
      noteLineNumber(this.misplaced, line);
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
    if (this.misplaced) this.problem = classifyMisplaced(this.misplaced, this.fault.bind(this));
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
    const unclean = uncleanEnd(this.fault.bind(this), {
      name: this.name,
      torn: this.torn,
      firstSeq: this.firstSeq,
      lastSignedSeq: this.lastSignedSeq,
      lastRecordSeq: this.lastRecordSeq,
      unsigned: this.unsigned,
    });
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
    this.problem = checkHeader(this.name, this.fault.bind(this), parsed, this.options);
    const { auditorSecretKey } = this.options;
    if (auditorSecretKey && !this.problem) this.sharedKey = nacl.box.before(parsed.segmentPublicKey, auditorSecretKey);
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
    const computed = bodyLineHash(head, body);
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
    return bodyLineHash(head, { ...body, seq: expected }).equals(body.hash) ? expected : null;
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

  private fault(reason: VerifyReason, line: number | null, seq: number | null, message: string): VerifyProblem {
    return { reason, file: this.options.path, line, seq, message };
  }
}
