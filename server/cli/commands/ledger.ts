import type { Command } from 'commander';
import { type VerifyReport, verifyLedgerFile } from '../../ledger/index.js';
import { isPostgresUrl } from '../../ledger/ledger-backend.js';
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
  )
    .option(
      '--ledger <url>',
      "the ledger to check: sqlite:<file> or postgres://… (default: env BANK_LEDGER_URL, else the data dir's)",
    )
    .action(async (opts: DataDirOptions & { ledger?: string }) => {
      // Read-only on purpose: verifying must not migrate or otherwise touch the ledger it judges.
      const report = await verifyAt(opts.ledger ?? (deps.env ?? process.env).BANK_LEDGER_URL, opts, deps);
      deps.audit?.record({
        kind: 'operator_action',
        actor: 'operator',
        detail: { action: 'ledger_verify', ...report },
      });
      if (opts.json) deps.out(JSON.stringify(report));
      if (!report.ok) throw new CliError('LEDGER_FAULT', `ledger verify FAILED: ${report.fault}`);
      if (!opts.json) deps.out(`ledger OK: ${report.accounts} accounts, ${report.entries} entries, balances sum to 0`);
    });
  return ledger;
}

async function verifyAt(url: string | undefined, opts: DataDirOptions, deps: LedgerCommandDeps): Promise<VerifyReport> {
  if (url === undefined || url === '') return verifyLedgerFile(ledgerPathOf(opts, deps));
  if (isPostgresUrl(url)) {
    const { verifyPostgresUrl } = await import('../../ledger/postgres/index.js');
    return verifyPostgresUrl(url);
  }
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return verifyLedgerFile(url.slice('sqlite:'.length));
  throw new CliError('INVALID_OPTION', `--ledger takes sqlite:<file> or postgres://…, not "${url.split(':')[0]}:…"`);
}
