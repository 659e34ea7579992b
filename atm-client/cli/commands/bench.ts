import type { Command } from 'commander';
import type { AtmIo } from '../atm-io.js';
import { OperationFailed } from '../cli-errors.js';
import { addConnectionOptions } from '../connection-options.js';

/**
 * `atm bench`: the load generator (issue 6). A STUB until that work lands: its help is real,
 * its action says it is not implemented and exits 2.
 */
export function registerBenchCommand(program: Command, io: AtmIo): void {
  const command = program
    .command('bench')
    .description(
      'load generator: logged-in sessions doing a deposit/withdraw/transfer/balance mix, against a raw TLS echo baseline (not implemented yet)',
    )
    .option('--clients <n>', 'concurrent connections (e.g. 1, 10, 100)')
    .option('--duration <sec>', 'how long each run lasts')
    .option('--json', 'print the results as JSON');
  addConnectionOptions(command);
  command.action(() => {
    io.stderr('atm bench: not implemented yet\n');
    throw new OperationFailed(2);
  });
}
