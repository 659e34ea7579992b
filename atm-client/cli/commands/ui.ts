import type { Command } from 'commander';
import { createConnector } from '../../client/connector.js';
import { loadTerminalIdentity } from '../../client/terminal-identity.js';
import type { AtmIo, RunAtmUi } from '../atm-io.js';
import { UsageError } from '../cli-errors.js';
import { addConnectionOptions, collectOptions, resolveConnection } from '../connection-options.js';

/** Loaded only when the screens are wanted, so `atm exec` and `atm script` never pay for React and Ink. */
async function loadUi(): Promise<RunAtmUi> {
  // Ink decides once, when it is first imported, whether it runs "in CI" (CI or
  // CONTINUOUS_INTEGRATION set), and then draws only the last frame. A customer at a real terminal
  // must see every screen, whatever the shell exported.
  if (process.stdin.isTTY && process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  const { runAtmUi } = await import('../../ui/run.js');
  return runAtmUi;
}

/** Plain `atm`: the Ink ATM on this terminal. */
export function configureUiAction(program: Command, io: AtmIo): void {
  addConnectionOptions(program);
  program
    .option('--simulate-dispense-failure', 'demo: the cash dispenser fails, so the ATM reverses the withdrawal')
    .action(async (_options: unknown, self: Command) => {
      const opts = collectOptions(self);
      const connection = resolveConnection(opts, io);
      // The screens show the terminal id of the certificate (none: a remote session).
      const terminal = loadTerminalIdentity(connection.terminalCert, connection.terminalKey);
      if (!terminal.ok) throw new UsageError(terminal.message);
      const runUi = io.runUi ?? (await loadUi());
      try {
        await runUi({
          connector: createConnector(connection),
          ...(terminal.identity ? { terminal: terminal.identity.id } : {}),
          ...(opts.simulateDispenseFailure === true ? { simulateDispenseFailure: true } : {}),
        });
      } catch (error) {
        // The screens refuse to start with a coded error (e.g. NOT_A_TERMINAL): one line, not a trace.
        if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
          throw new UsageError(error.message);
        }
        throw error;
      }
    });
}
