import type { Command } from 'commander';
import { verifyLedgerFile } from '../../ledger/index.js';
import { CliError } from '../io.js';
import {
  type DataDirOptions,
  type LedgerCommandDeps,
  ledgerPathOf,
  operatorGroup,
  withCommonOptions,
} from './accounts.js';

/** `bank-server ledger verify`: read-only invariant check; exit 1 naming the first fault. */
export function ledgerCommand(deps: LedgerCommandDeps): Command {
  const ledger = operatorGroup('ledger', 'inspect the SQLite ledger', deps);
  withCommonOptions(
    ledger
      .command('verify')
      .description(
        'check that every balance equals the sum of its entries, balance_after chains hold and all balances sum to 0',
      ),
  ).action((opts: DataDirOptions) => {
    // Read-only on purpose: verifying must not migrate or otherwise touch the file it judges.
    const report = verifyLedgerFile(ledgerPathOf(opts, deps));
    deps.audit?.record({ kind: 'operator_action', actor: 'operator', detail: { action: 'ledger_verify', ...report } });
    if (opts.json) deps.out(JSON.stringify(report));
    if (!report.ok) throw new CliError('LEDGER_FAULT', `ledger verify FAILED: ${report.fault}`);
    if (!opts.json) deps.out(`ledger OK: ${report.accounts} accounts, ${report.entries} entries, balances sum to 0`);
  });
  return ledger;
}
