import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../../protocol/index.js';
import type { AtmIo } from './atm-io.js';
import { OperationFailed, UsageError } from './cli-errors.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerExecCommand } from './commands/exec.js';
import { registerScriptCommand } from './commands/script.js';
import { configureUiAction } from './commands/ui.js';

/**
 * The `atm` program: plain `atm` opens the Ink ATM; `exec`, `script` and `bench` are for
 * testers. Output goes through `io`, and commander never exits the process (exitOverride),
 * so tests run it in-process.
 */
export function buildAtmProgram(io: AtmIo): Command {
  const program = new Command('atm')
    .description('secure-atm terminal ATM (TLS 1.3 + sealed frames to the bank)')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(text),
    });
  configureUiAction(program, io);
  registerExecCommand(program, io);
  registerScriptCommand(program, io);
  registerBenchCommand(program, io);
  return program;
}

/**
 * Runs `atm` with user arguments (no node/script prefix) and returns the exit code. A
 * user's mistake prints one line and returns 2; a refusal from the bank returns 1; nothing
 * prints a stack trace unless ATM_DEBUG is set.
 */
export async function runAtm(argv: readonly string[], io: AtmIo): Promise<number> {
  try {
    await buildAtmProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof OperationFailed) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`error: internal: ${message}\n`);
    if (io.env.ATM_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 1;
  }
}
