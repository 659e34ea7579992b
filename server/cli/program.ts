import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../../protocol/index.js';
import { openLedger } from '../ledger/index.js';
import { accountsCommand } from './commands/accounts.js';
import { alertsCommand } from './commands/alerts.js';
import { auditCommand } from './commands/audit-keys.js';
import { backupCommand } from './commands/backup.js';
import { initCommand } from './commands/init.js';
import { ledgerCommand } from './commands/ledger.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { terminalsCommand } from './commands/terminals.js';
import { topCommand } from './commands/top.js';
import { CliError, type CliIo, processIo } from './io.js';

/** The `bank-server` program; `exitOverride` so tests can run commands in-process. */
export function buildBankServerProgram(io: CliIo = processIo): Command {
  const program = new Command('bank-server')
    .description('secure-atm bank server: TLS 1.3 ATM sessions, durable SQLite ledger, encrypted audit')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const deps = { openStore: (path: string) => openLedger(path), out: io.out, err: io.err, env: io.env };
  for (const command of [
    initCommand(io),
    startCommand(io),
    statusCommand(io),
    topCommand(io),
    accountsCommand(deps),
    alertsCommand(deps),
    ledgerCommand(deps),
    backupCommand(deps),
    terminalsCommand(deps),
    auditCommand(deps),
  ]) {
    program.addCommand(command.exitOverride().configureOutput(program.configureOutput()));
  }
  return program;
}

/** Run with process.argv; map every failure to one stderr line and an exit code. */
export async function main(argv: string[] = process.argv, io: CliIo = processIo): Promise<number> {
  try {
    await buildBankServerProgram(io).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      io.err(`bank-server: ${err.message}`);
      return err.exitCode;
    }
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? `${e.code}: ` : '';
    io.err(`bank-server: ${code}${String(e.message ?? err)}`);
    if (io.env.DEBUG) io.err(String((err as Error).stack));
    return 1;
  }
}
