/** Why verification failed; stable names the CLI prints and tests match. */
export type VerifyReason =
  /** A line's content does not match its hash (or a decrypted event does not match its record). */
  | 'modified'
  /** Lines, records or a whole segment are gone. */
  | 'missing'
  /** Lines are out of order or duplicated. */
  | 'reordered'
  /** The segment ends in the middle of a line (and so without its close record). */
  | 'truncated'
  /** The segment has no close record: a crash, or a server still running. */
  | 'unclean_end'
  /** A checkpoint or close signature does not verify. */
  | 'bad_signature'
  /** A segment is signed by a key that is neither the pinned signer nor one it handed over to. */
  | 'wrong_signer'
  /** The chain no longer reaches a signed head the auditor's state recorded (deleted, truncated, replaced). */
  | 'rolled_back'
  /** A record cannot be opened with the auditor key, or the segment is sealed to another key. */
  | 'wrong_key'
  /** A segment's header does not name the hash that ended the segment before it. */
  | 'unlinked'
  /** A line is not a valid segment line at all. */
  | 'malformed'
  /** A segment's header names another instance than the chain (folder) it lies in: moved or copied there. */
  | 'wrong_instance'
  /** The plaintext log and the encrypted log tell different stories. */
  | 'plaintext_differs';

export interface VerifyProblem {
  reason: VerifyReason;
  /** The segment path as given (or the plaintext log's path). */
  file: string;
  /** 1-based line in that file, when one line is to blame. */
  line: number | null;
  seq: number | null;
  message: string;
}

export interface SegmentSummary {
  path: string;
  /** The instance its header names (`main` for a header from before instances; null when unreadable). */
  instance: string | null;
  firstSeq: number;
  /** seq of the last record (firstSeq − 1 when none). */
  lastSeq: number;
  records: number;
  checkpoints: number;
  closed: boolean;
  /** Last seq covered by a verified signature (checkpoint or close). */
  lastSignedSeq: number;
  /** Records after the last signature. */
  unsignedRecords: number;
  signingPublicKey: string | null;
  /** The last line whose signature verified: what the auditor's state records as this segment's head. */
  signedHead: { line: number; seq: number; hash: string; sig: string } | null;
  /** The signed head the verifier was asked to look for is in this segment. */
  reachedHead: boolean;
  /** The key a rotating close handed over to. */
  nextSigningPublicKey: string | null;
  auditorPublicKey: string | null;
  /** The chain value after the last good line. */
  endHash: string | null;
}

/** A verified signed line (checkpoint or close): where an auditor's state pins a chain. */
export interface SignedHead {
  segment: string;
  line: number;
  seq: number;
  hash: string;
  sig: string;
  signer: string;
}

export interface VerifyReport {
  /** True only when every check held: no problem and no unclean end. */
  ok: boolean;
  /** One line for people. */
  verdict: string;
  /** The first problem that means tampering or damage, if any. */
  problem: VerifyProblem | null;
  /** Segments that end without a close record (crash, or still being written). */
  uncleanEnds: VerifyProblem[];
  warnings: string[];
  segments: SegmentSummary[];
  records: number;
  /** The signing keys in the order the chain used them (the first, then each signed rotation). */
  signers: string[];
  /** The chain's newest signed line. */
  head: SignedHead | null;
  decrypted: boolean;
  plaintextChecked: boolean;
}
