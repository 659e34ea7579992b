import type { DecodedLine } from '../segment/segment-format.js';
import type { Fault } from './header-checks.js';
import type { TextLine } from './line-reader.js';
import type { VerifyProblem } from './verify-types.js';

/**
 * The first line whose hash did not fit where it stands. Verification stops there, but the line
 * numbers after it are collected to tell what happened: lines deleted, reordered, duplicated,
 * or one line changed.
 */
export interface Misplaced {
  lineNo: number;
  expected: number;
  found: number;
  line: DecodedLine;
  lastRecordSeq: number;
  following: number[];
}

/** Collect the line number a later line carries. */
export function noteLineNumber(m: Misplaced, line: TextLine): void {
  if (line.torn) return;
  try {
    const value = JSON.parse(line.text) as { i?: unknown };
    if (typeof value.i === 'number') m.following.push(value.i);
  } catch {
    // unreadable lines say nothing about order
  }
}

/** What the line numbers after a misplaced line say happened to the segment. */
export function classifyMisplaced(m: Misplaced, fault: Fault): VerifyProblem {
  const seq = m.line.type === 'record' ? m.line.seq : null;
  if (m.following.includes(m.expected)) {
    return fault(
      'reordered',
      m.lineNo,
      seq,
      `line ${m.lineNo} holds line ${m.found + 1} of the segment; line ${m.expected + 1} comes later: lines were reordered`,
    );
  }
  if (m.following[0] === m.expected + 1) {
    return fault('modified', m.lineNo, seq, `line ${m.lineNo} was changed (its line number and hash disagree)`);
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
    return fault(
      'missing',
      m.lineNo,
      recordsGone ? firstMissingSeq : seq,
      `${what} (${gone} line(s) deleted before line ${m.lineNo})`,
    );
  }
  return fault(
    'reordered',
    m.lineNo,
    seq,
    `line ${m.lineNo} repeats an earlier line: lines were duplicated or reordered`,
  );
}
