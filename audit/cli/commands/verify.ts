import { Command } from 'commander';
import { AuditError } from '../../errors.js';
import { readAuditorSecretKey } from '../../keys/key-files.js';
import { expandSegmentArgs, instanceOfSegment } from '../../reader/segment-paths.js';
import { verifySegments } from '../../reader/verify-segments.js';
import type { VerifyReport } from '../../reader/verify-types.js';
import { type AuditState, type ChainState, readAuditState, writeAuditState } from '../../state/audit-state.js';
import { CliError, type CliIo } from '../cli-io.js';
import { parseSignerArgs } from '../signer-args.js';

interface VerifyCliOptions {
  key?: string;
  plaintext?: string;
  signer: string[];
  state?: string;
  json?: boolean;
}

/**
 * Exit codes (DESIGN.md "Audit anchoring"): 0 all holds; 1 tampered, damaged or rolled
 * back; 2 only unclean ends (a crash, or a live segment); 3 a usage or key mistake (bad
 * flags, no pinned signer, a --signer the state does not know, a --key that opens nothing).
 */
export const VERIFY_EXIT = { ok: 0, failed: 1, unclean: 2, usage: 3 } as const;

const NO_SIGNER =
  'no pinned signer: give --signer <keys/audit-signing.pub or its base64 key> (check its fingerprint against the one `bank-server init` printed) or a --state file that pins one';

/** `bank-audit verify <segment...> --signer|--state [--key] [--plaintext]`: a one-line verdict per chain. */
export function verifyCommand(io: CliIo): Command {
  return new Command('verify')
    .description(
      'check chain hashes, signatures, the pinned signer and its signed rotations, seq continuity, segment links and close records; exit 0 all holds, 1 tampered/damaged/rolled back, 2 unclean end, 3 usage or key mistake',
    )
    .argument('<segment...>', 'segment files in writing order, or a folder (data dir, audit dir or segments dir)')
    .option(
      '--signer <[instance=]key>',
      "the server's signing PUBLIC key, pinned: keys/audit-signing.pub or the base64 key (repeatable: instance=key)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--state <file>',
      "the auditor's state: pins signers, the last signed head must still be reached, updated on success",
    )
    .option('--key <file>', "the auditor's SECRET key file: also open every record")
    .option('--plaintext <file>', 'the plaintext audit.log: prove both logs tell the same story (needs --key)')
    .option('--json', 'print the whole report as JSON')
    .action(async (segmentArgs: string[], opts: VerifyCliOptions) => {
      if (opts.plaintext !== undefined && opts.key === undefined) {
        throw new CliError('AUDIT_USAGE', '--plaintext needs --key: comparing the logs opens every record', 3);
      }
      const pinned = await parseSignerArgs(opts.signer);
      const state = opts.state === undefined ? null : await readAuditState(opts.state);
      const chains = await chainsOf(segmentArgs, state, io.out);
      const plans = chains.map(({ instance, paths, complete }) => ({
        instance,
        paths,
        complete,
        chain: planChain(instance, pinned.get(instance), state?.chains[instance]),
      }));
      for (const instance of pinned.keys()) {
        if (!chains.some((c) => c.instance === instance)) {
          throw new CliError('AUDIT_USAGE', `--signer names instance ${instance}, but no segments of it were given`, 3);
        }
      }
      if (opts.plaintext !== undefined && plans.length > 1) {
        throw new CliError('AUDIT_USAGE', '--plaintext compares one chain: give the segments of one instance', 3);
      }
      const secret = opts.key === undefined ? undefined : await readAuditorSecretKey(opts.key);
      const reports: Array<{ instance: string; report: VerifyReport }> = [];
      try {
        for (const plan of plans) {
          const report = await verifySegments(plan.paths, {
            instance: plan.instance,
            complete: plan.complete,
            ...(secret ? { auditorSecretKey: secret } : {}),
            ...(opts.plaintext === undefined ? {} : { plaintextLog: opts.plaintext }),
            trustedSigners: plan.chain.trusted.map((k) => Buffer.from(k, 'base64')),
            mustReach: plan.chain.head,
          });
          reports.push({ instance: plan.instance, report });
        }
      } finally {
        secret?.fill(0);
      }
      const label = (instance: string) => (reports.length > 1 ? `${instance}: ` : '');
      if (opts.json) {
        io.out(JSON.stringify(reports.length === 1 ? reports[0]?.report : reports, null, 2));
      } else {
        for (const { instance, report } of reports) io.out(`${label(instance)}${report.verdict}`);
      }
      const unopened = reports.find(({ report }) => report.problem?.reason === 'wrong_key' && report.records === 0);
      if (unopened && secret) {
        throw new CliError(
          'AUDIT_KEY_MISMATCH',
          `--key ${opts.key} opens no record: the segments are sealed to another auditor key`,
          VERIFY_EXIT.usage,
        );
      }
      if (reports.some(({ report }) => report.problem)) {
        throw new CliError('AUDIT_VERIFY_FAILED', 'verification failed', VERIFY_EXIT.failed, true);
      }
      if (opts.state !== undefined && state) await writeAuditState(opts.state, nextState(state, reports, plans));
      if (reports.some(({ report }) => !report.ok)) {
        throw new CliError('AUDIT_UNCLEAN_END', 'unclean end', VERIFY_EXIT.unclean, true);
      }
    });
}

interface ChainPlan {
  /** Keys that may sign the first segment given: the pinned one, or the state's signers. */
  trusted: string[];
  head: { segment: string; seq: number; hash: string } | null;
}

function planChain(instance: string, pinned: string | undefined, known: ChainState | undefined): ChainPlan {
  const signers = known?.signers ?? [];
  if (pinned && signers.length > 0 && !signers.includes(pinned)) {
    throw new CliError(
      'AUDIT_USAGE',
      `--signer ${pinned} is neither the signer the state pins for instance ${instance} nor one it rotated to (${signers.join(', ')})`,
      3,
    );
  }
  const trusted = signers.length > 0 ? signers : pinned ? [pinned] : [];
  if (trusted.length === 0) throw new CliError('AUDIT_USAGE', `instance ${instance}: ${NO_SIGNER}`, 3);
  return { trusted, head: known?.head ?? null };
}

/** Segments grouped by instance, in the order given; a chain the state knows but that is gone is rolled back. */
async function chainsOf(args: string[], state: AuditState | null, out: (line: string) => void) {
  let expanded: { paths: string[]; complete: boolean };
  try {
    expanded = await expandSegmentArgs(args);
  } catch (err) {
    const known = Object.entries(state?.chains ?? {}).filter(([, c]) => c.head);
    if (err instanceof AuditError && err.code === 'AUDIT_SEGMENT_NOT_FOUND' && known.length > 0) {
      const [instance, chain] = known[0] as [string, ChainState];
      const verdict = `FAILED: rolled back: ${err.message}, but the state recorded instance ${instance}'s signed head seq ${chain.head?.seq} in ${chain.head?.segment}`;
      out(verdict);
      throw new CliError('AUDIT_ROLLED_BACK', verdict, VERIFY_EXIT.failed, true);
    }
    throw err;
  }
  const groups = new Map<string, string[]>();
  for (const path of expanded.paths) {
    const instance = await instanceOfSegment(path);
    groups.set(instance, [...(groups.get(instance) ?? []), path]);
  }
  return [...groups].map(([instance, paths]) => ({ instance, paths, complete: expanded.complete }));
}

/** The state after a verify with no problem: signers extended by the rotations seen, the newest signed head. */
function nextState(
  state: AuditState,
  reports: Array<{ instance: string; report: VerifyReport }>,
  plans: Array<{ instance: string; chain: ChainPlan }>,
): AuditState {
  const chains = { ...state.chains };
  for (const { instance, report } of reports) {
    const plan = plans.find((p) => p.instance === instance);
    const signers = [...(chains[instance]?.signers ?? plan?.chain.trusted ?? [])];
    for (const key of report.signers) if (!signers.includes(key)) signers.push(key);
    const head = report.head
      ? {
          segment: report.head.segment,
          seq: report.head.seq,
          hash: report.head.hash,
          signature: report.head.sig,
          signer: report.head.signer,
          at: new Date().toISOString(),
        }
      : (chains[instance]?.head ?? null);
    chains[instance] = { signers, head };
  }
  return { ...state, chains };
}
