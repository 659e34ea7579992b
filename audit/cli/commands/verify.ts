import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { fromB64 } from '../../../protocol/index.js';
import { readAuditorSecretKey, readKeyFile } from '../../keys/key-files.js';
import { expandSegmentArgs } from '../../reader/segment-paths.js';
import { verifySegments } from '../../reader/verify-segments.js';
import { CliError, type CliIo } from '../cli-io.js';

interface VerifyCliOptions {
  key?: string;
  plaintext?: string;
  signer?: string;
  json?: boolean;
}

/** Exit codes: 0 all holds; 1 tampering, damage or a wrong key; 2 only unclean ends (crash, or a live segment). */
export const VERIFY_EXIT = { ok: 0, failed: 1, unclean: 2 } as const;

/** `bank-audit verify <segment...> [--key] [--plaintext]`: a one-line verdict and an exit code. */
export function verifyCommand(io: CliIo): Command {
  return new Command('verify')
    .description(
      'check chain hashes, signatures, seq continuity, segment links and close records; exit 0 only if all holds (1: tampered or damaged, 2: unclean end)',
    )
    .argument('<segment...>', 'segment files in writing order, or a folder (data dir, audit dir or segments dir)')
    .option('--key <file>', "the auditor's SECRET key file: also open every record")
    .option('--plaintext <file>', 'the plaintext audit.log: prove both logs tell the same story (needs --key)')
    .option('--signer <key>', "the server's signing key: its audit-signing.key file or the base64 public key")
    .option('--json', 'print the whole report as JSON')
    .action(async (segments: string[], opts: VerifyCliOptions) => {
      if (opts.plaintext !== undefined && opts.key === undefined) {
        throw new CliError('AUDIT_USAGE', '--plaintext needs --key: comparing the logs opens every record');
      }
      const { paths, complete } = await expandSegmentArgs(segments);
      const secret = opts.key === undefined ? undefined : await readAuditorSecretKey(opts.key);
      const signer = opts.signer === undefined ? undefined : await signerKey(opts.signer);
      try {
        const report = await verifySegments(paths, {
          complete,
          ...(secret ? { auditorSecretKey: secret } : {}),
          ...(opts.plaintext === undefined ? {} : { plaintextLog: opts.plaintext }),
          ...(signer ? { signingPublicKey: signer } : {}),
        });
        io.out(opts.json ? JSON.stringify(report, null, 2) : report.verdict);
        if (report.problem) throw new CliError('AUDIT_VERIFY_FAILED', report.verdict, VERIFY_EXIT.failed, true);
        if (!report.ok) throw new CliError('AUDIT_UNCLEAN_END', report.verdict, VERIFY_EXIT.unclean, true);
      } finally {
        secret?.fill(0);
      }
    });
}

async function signerKey(value: string): Promise<Uint8Array> {
  const isFile = await stat(value).then(
    (info) => info.isFile(),
    () => false,
  );
  if (isFile) {
    const secret = await readKeyFile('signingSecret', value);
    const publicKey = Uint8Array.from(secret.subarray(32));
    secret.fill(0);
    return publicKey;
  }
  const key = fromB64(value.trim(), 32);
  if (!key)
    throw new CliError('AUDIT_USAGE', `--signer: not a signing key file nor a base64 Ed25519 public key: ${value}`);
  return key;
}
