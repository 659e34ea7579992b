import type { Command } from 'commander';
import { type AuditCrossCheck, crossCheckAudit } from '../../ledger/audit-cross-check.js';
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
  )
    .option(
      '--audit <data-dir...>',
      "also check every transaction has exactly one record in these data dirs' audit logs",
    )
    .action(async (opts: DataDirOptions & { audit?: string[] }) => {
      // Read-only on purpose: verifying must not migrate or otherwise touch the file it judges.
      const report = verifyLedgerFile(ledgerPathOf(opts, deps));
      deps.audit?.record({
        kind: 'operator_action',
        actor: 'operator',
        detail: { action: 'ledger_verify', ...report },
      });
      const audit = opts.audit ? await auditCheck(ledgerPathOf(opts, deps), opts.audit) : null;
      if (opts.json) deps.out(JSON.stringify(audit ? { ...report, audit } : report));
      if (!report.ok) throw new CliError('LEDGER_FAULT', `ledger verify FAILED: ${report.fault}`);
      if (audit && !audit.ok) throw new CliError('LEDGER_AUDIT_MISMATCH', `ledger verify FAILED: ${describe(audit)}`);
      if (!opts.json) deps.out(`ledger OK: ${report.accounts} accounts, ${report.entries} entries, balances sum to 0`);
      if (audit && !opts.json) {
        deps.out(
          `audit OK: each of ${audit.transactions} transactions has exactly one record in ${audit.logs.join(', ')}`,
        );
      }
    });
  return ledger;
}

async function auditCheck(ledgerPath: string, dataDirs: string[]): Promise<AuditCrossCheck> {
  try {
    return await crossCheckAudit(ledgerPath, dataDirs);
  } catch (err) {
    throw new CliError('LEDGER_AUDIT_UNREADABLE', `ledger verify --audit: ${(err as Error).message}`);
  }
}

function describe(check: AuditCrossCheck): string {
  const few = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, … (${ids.length})` : ''}`;
  const parts = [
    check.missing.length > 0 ? `no audit record for ${few(check.missing)}` : '',
    check.repeated.length > 0 ? `more than one audit record for ${few(check.repeated)}` : '',
    check.unknown.length > 0 ? `audit records for transactions the ledger lacks: ${few(check.unknown)}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}
