import type { Fault } from './header-checks.js';
import type { VerifyProblem } from './verify-types.js';

/** Where a segment without a close record stopped. */
export interface SegmentStop {
  name: string;
  /** Its last line is incomplete (a crash mid-write). */
  torn: boolean;
  firstSeq: number;
  lastSignedSeq: number;
  lastRecordSeq: number;
  /** Records after the last signature. */
  unsigned: number;
}

/** The unclean end of a segment that has no close record: how far its signatures vouch for it. */
export function uncleanEnd(fault: Fault, stop: SegmentStop): VerifyProblem {
  const { name, firstSeq, lastSignedSeq, lastRecordSeq, unsigned } = stop;
  const signed =
    lastSignedSeq >= firstSeq
      ? `records seq ${firstSeq}–${lastSignedSeq} verify through the last checkpoint`
      : 'no checkpoint was written';
  const tail =
    unsigned > 0
      ? `; ${unsigned} record(s) after it (seq ${lastRecordSeq - unsigned + 1}–${lastRecordSeq}) are unsigned`
      : '';
  return stop.torn
    ? fault(
        'truncated',
        null,
        null,
        `${name} is truncated: its last line is incomplete and there is no close record (unclean end); ${signed}${tail}`,
      )
    : fault(
        'unclean_end',
        null,
        null,
        `${name} has no close record (unclean end: the server crashed, was killed, or is still running); ${signed}${tail}`,
      );
}
