import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../../protocol/index.js';
import { AuditError, type AuditErrorCode } from '../errors.js';
import { CliError, type CliIo, processIo } from './cli-io.js';
import { decryptCommand } from './commands/decrypt.js';
import { keygenCommand } from './commands/keygen.js';
import { tailCommand } from './commands/tail.js';
import { verifyCommand } from './commands/verify.js';
import { witnessCommand } from './commands/witness.js';

/** Exit 3: the caller's mistake (flags, files, keys), so a script can tell it from tampering (exit 1). */
const USAGE_EXIT = 3;
const MISTAKES = new Set<AuditErrorCode>([
  'AUDIT_USAGE',
  'AUDIT_KEY_NOT_FOUND',
  'AUDIT_KEY_INVALID',
  'AUDIT_KEY_WRONG_TYPE',
  'AUDIT_KEY_EXISTS',
  'AUDIT_KEY_MISMATCH',
  'AUDIT_SEGMENT_NOT_FOUND',
]);

/** The `bank-audit` program; `exitOverride` so tests can run commands in-process. */
export function buildBankAuditProgram(io: CliIo = processIo): Command {
  const output = {
    writeOut: (s: string) => io.out(s.trimEnd()),
    writeErr: (s: string) => io.err(s.trimEnd()),
  };
  const program = new Command('bank-audit')
    .description('secure-atm auditor tools: keys, decrypting and verifying the encrypted audit segments')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .configureOutput(output)
    .exitOverride();
  for (const command of [
    keygenCommand(io),
    decryptCommand(io),
    verifyCommand(io),
    tailCommand(io),
    witnessCommand(io),
  ]) {
    program.addCommand(command.exitOverride().configureOutput(output));
  }
  return program;
}

/**
 * Run `bank-audit` on `args` (without node and script); every failure becomes one stderr
 * line and an exit code, never a stack trace (set DEBUG to see one).
 */
export async function runBankAudit(args: string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildBankAuditProgram(io).parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    // --help and --version exit 0; any other commander error is a usage mistake.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    if (err instanceof CliError) {
      if (!err.printed) io.err(`bank-audit: ${err.message}`);
      return err.code === 'AUDIT_USAGE' ? USAGE_EXIT : err.exitCode;
    }
    if (err instanceof AuditError) {
      io.err(`bank-audit: ${err.code}: ${err.message}`);
      return MISTAKES.has(err.code) ? USAGE_EXIT : 1;
    }
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? `${e.code}: ` : '';
    io.err(`bank-audit: ${code}${String(e.message ?? err)}`);
    if (io.env.DEBUG) io.err(String((err as Error).stack));
    return 1;
  }
}
