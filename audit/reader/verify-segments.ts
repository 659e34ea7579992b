import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AuditError, isErrno } from '../errors.js';
import { auditorPublicKeyOf } from '../keys/key-files.js';
import { readLines, type TextLine } from './line-reader.js';
import { PlaintextMatcher } from './plaintext-matcher.js';
import { type PreviousSegment, SegmentVerifier } from './segment-verifier.js';
import type { SegmentSummary, SignedHead, VerifyProblem, VerifyReport } from './verify-types.js';

export interface VerifyOptions {
  /** Also open every record (and prove the plaintext log matches, with `plaintextLog`). */
  auditorSecretKey?: Uint8Array;
  /** Path of audit.log; needs `auditorSecretKey`. */
  plaintextLog?: string;
  /**
   * Pin the server's Ed25519 public key: the first segment must be signed by it, and every
   * later one by the same key or by the key a signed rotation (a rotating close) handed over
   * to. Without it (and without `trustedSigners`) the first segment's key is taken as given;
   * the CLI never does that.
   */
  signingPublicKey?: Uint8Array;
  /** Keys the auditor's state trusts (the pinned one and its signed rotations): any may sign the first segment. */
  trustedSigners?: Uint8Array[];
  /** The instance whose chain this is: every header must name it (a header from before instances names `main`). */
  instance?: string;
  /** The last signed head the auditor's state recorded: the chain must still reach it, or ROLLED_BACK. */
  mustReach?: { segment: string; seq: number; hash: string } | null;
  /**
   * The segments are the whole log (e.g. a whole folder): plaintext events after the last
   * closed segment are then a problem rather than a warning.
   */
  complete?: boolean;
}

/**
 * Verify segments in the order given (name order is writing order): every chain hash,
 * every signature, seq continuity, the links between segments and a signed close; with
 * the key, every record opens; with the plaintext log, both logs tell the same story.
 */
export async function verifySegments(paths: string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  if (paths.length === 0) throw new AuditError('AUDIT_USAGE', 'no segment files given');
  if (options.plaintextLog !== undefined && !options.auditorSecretKey) {
    throw new AuditError('AUDIT_USAGE', 'comparing with the plaintext log needs the auditor secret key');
  }
  for (const path of paths) await assertFile(path, 'AUDIT_SEGMENT_NOT_FOUND', 'segment');
  if (options.plaintextLog !== undefined) await assertFile(options.plaintextLog, 'AUDIT_USAGE', 'plaintext log');

  const secret = options.auditorSecretKey;
  const auditorPublicKey = secret ? auditorPublicKeyOf(secret) : undefined;
  const plainLines = options.plaintextLog ? readLines(options.plaintextLog) : null;
  const matcher = plainLines && options.plaintextLog ? new PlaintextMatcher(options.plaintextLog, plainLines) : null;

  const segments: SegmentSummary[] = [];
  const uncleanEnds: VerifyProblem[] = [];
  const warnings: string[] = [];
  let problem: VerifyProblem | null = null;
  let previous: PreviousSegment | null = null;
  const signers: string[] = [];
  let allowed: Uint8Array[] | undefined = options.signingPublicKey
    ? [options.signingPublicKey]
    : options.trustedSigners && options.trustedSigners.length > 0
      ? options.trustedSigners
      : undefined;
  let label = options.signingPublicKey || options.trustedSigners ? 'the pinned signer' : 'the first segment’s signer';
  let reached = false;
  try {
    for (const path of paths) {
      const verifier = new SegmentVerifier({
        path,
        previous,
        auditorSecretKey: secret,
        auditorPublicKey,
        allowedSigners: allowed,
        signerLabel: label,
        instance: options.instance,
        head: options.mustReach ?? null,
      });
      let began = false;
      for await (const line of readLines(path)) {
        const event = verifier.push(line);
        if (matcher && !began && line.lineNo === 1 && !verifier.failed) {
          matcher.beginSegment(firstSeqOf(line), segments.at(-1) ?? null);
          began = true;
        }
        if (event && matcher) {
          problem = await matcher.match(event, path, line.lineNo);
          if (problem) break;
        }
      }
      const outcome = verifier.finish();
      segments.push(outcome.summary);
      problem ??= outcome.problem ?? (matcher && began ? matcher.endSegment(outcome.summary) : null);
      if (problem) break;
      if (outcome.unclean) uncleanEnds.push(outcome.unclean);
      reached ||= outcome.summary.reachedHead;
      const key = outcome.summary.signingPublicKey;
      if (key && signers.at(-1) !== key) signers.push(key);
      // The next segment must be signed by this one's key, or by the key its signed close handed over to.
      const next = outcome.summary.nextSigningPublicKey;
      if (next) {
        label = `the key the signed rotation in ${basename(path)} handed over to`;
      }
      const nextKey = next ?? key;
      if (nextKey) allowed = [Buffer.from(nextKey, 'base64')];
      previous = outcome.end;
    }
    if (!problem && options.mustReach && !reached) problem = rolledBack(options.mustReach, segments);
    if (!problem && matcher) {
      const end = await matcher.finish(segments.at(-1) ?? null, options.complete ?? false);
      problem = end.problem;
      if (end.warning) warnings.push(end.warning);
      const damaged = matcher.damagedLines;
      if (damaged.length > 0) {
        warnings.push(
          `audit.log has ${damaged.length} line(s) that are not events (torn by a crash?), first at line ${damaged[0]}`,
        );
      }
    }
  } finally {
    await plainLines?.return(undefined);
  }

  const records = segments.reduce((sum, s) => sum + s.records, 0);
  const report: VerifyReport = {
    ok: !problem && uncleanEnds.length === 0,
    verdict: '',
    problem,
    uncleanEnds,
    warnings,
    segments,
    records,
    signers,
    head: lastSignedHead(segments),
    decrypted: Boolean(secret),
    plaintextChecked: Boolean(matcher),
  };
  report.verdict = verdictOf(report, matcher?.tolerated ?? 0);
  return report;
}

/** The chain's newest signed line: what `--state` records and a later verify must reach. */
function lastSignedHead(segments: SegmentSummary[]): SignedHead | null {
  for (let k = segments.length - 1; k >= 0; k--) {
    const s = segments[k];
    if (s?.signedHead && s.signingPublicKey) {
      return { segment: basename(s.path), ...s.signedHead, signer: s.signingPublicKey };
    }
  }
  return null;
}

function rolledBack(head: { segment: string; seq: number; hash: string }, segments: SegmentSummary[]): VerifyProblem {
  const same = segments.find((s) => basename(s.path) === head.segment);
  const where = same
    ? `${head.segment} no longer holds it (it ends at seq ${same.lastSeq}, last signed seq ${same.lastSignedSeq}): truncated or replaced`
    : `${head.segment} is not among the segments given: deleted or replaced`;
  return {
    reason: 'rolled_back',
    file: same?.path ?? head.segment,
    line: null,
    seq: head.seq,
    message: `the chain no longer reaches the signed head seq ${head.seq} of ${head.segment} recorded in the state; ${where}`,
  };
}

function firstSeqOf(line: TextLine): number {
  try {
    const header = JSON.parse(line.text) as { firstSeq?: unknown };
    return typeof header.firstSeq === 'number' ? header.firstSeq : 0;
  } catch {
    return 0;
  }
}

async function assertFile(path: string, code: 'AUDIT_SEGMENT_NOT_FOUND' | 'AUDIT_USAGE', what: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AuditError(code, `${what} is not a file: ${path}`);
  } catch (err) {
    if (err instanceof AuditError) throw err;
    if (isErrno(err, 'ENOENT')) throw new AuditError(code, `${what} not found: ${path}`);
    throw err;
  }
}

function verdictOf(report: VerifyReport, tolerated: number): string {
  const { problem, segments } = report;
  if (problem) {
    const where = [basename(problem.file), problem.line === null ? null : `line ${problem.line}`]
      .filter(Boolean)
      .join(' ');
    const seq = problem.seq === null ? '' : ` (seq ${problem.seq})`;
    return `FAILED: ${where}${seq}: ${problem.reason.replaceAll('_', ' ')}: ${problem.message}`;
  }
  const first = segments[0];
  const last = segments.at(-1);
  const range = first && last && report.records > 0 ? `seq ${first.firstSeq}–${last.lastSeq}` : 'no records';
  const checkpoints = segments.reduce((sum, s) => sum + s.checkpoints, 0);
  const closes = segments.filter((s) => s.closed).length;
  const parts = [
    `${segments.length} segment(s), ${report.records} record(s), ${range}`,
    `chain, ${checkpoints} checkpoint(s) and ${closes} close signature(s) verify`,
    ...(report.signers.length > 1 ? [`${report.signers.length - 1} signed key rotation(s)`] : []),
    report.decrypted ? 'every record opens with the auditor key' : 'records not opened (no --key)',
  ];
  if (report.plaintextChecked)
    parts.push(
      tolerated > 0 ? `audit.log matches (${tolerated} crash-tail difference(s) allowed)` : 'audit.log matches',
    );
  if (report.warnings.length > 0) parts.push(`${report.warnings.length} warning(s): ${report.warnings.join('; ')}`);
  if (report.uncleanEnds.length > 0) {
    const all = report.uncleanEnds.map((u) => u.message).join('; ');
    const count = report.uncleanEnds.length > 1 ? `${report.uncleanEnds.length} unclean segments: ` : '';
    return `UNCLEAN END: ${count}${all}; otherwise ${parts.join('; ')}`;
  }
  return `OK: ${parts.join('; ')}`;
}
