import type { Command } from 'commander';
import { type AuditCrossCheck, crossCheckAudit } from '../../ledger/audit-cross-check.js';
import { type VerifyReport, verifyLedgerFile } from '../../ledger/index.js';
import { isPostgresUrl } from '../../ledger/ledger-backend.js';
import { CliError } from '../io.js';
import {
  type DataDirOptions,
  type LedgerCommandDeps,
  ledgerPathOf,
  operatorGroup,
  withCommonOptions,
} from './operator-command.js';

/** `bank-server ledger verify`: read-only invariant check; exit 1 naming the first fault. */
export function ledgerCommand(deps: LedgerCommandDeps): Command {
  const ledger = operatorGroup('ledger', 'inspect the ledger (SQLite or PostgreSQL)', deps);
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
    .option(
      '--audit <data-dir...>',
      "also check every transaction has exactly one record in these data dirs' audit logs",
    )
    .action(async (opts: DataDirOptions & { ledger?: string; audit?: string[] }) => {
      // Read-only on purpose: verifying must not migrate or otherwise touch the ledger it judges.
      const url = opts.ledger ?? (deps.env ?? process.env).BANK_LEDGER_URL;
      const report = await verifyAt(url, opts, deps);
      deps.audit?.record({
        kind: 'operator_action',
        actor: 'operator',
        detail: { action: 'ledger_verify', ...report },
      });
      const audit = opts.audit ? await auditCheck(url, opts, deps, opts.audit) : null;
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

async function verifyAt(url: string | undefined, opts: DataDirOptions, deps: LedgerCommandDeps): Promise<VerifyReport> {
  if (url === undefined || url === '') return verifyLedgerFile(ledgerPathOf(opts, deps));
  if (isPostgresUrl(url)) {
    const { verifyPostgresUrl } = await import('../../ledger/postgres/index.js');
    return verifyPostgresUrl(url);
  }
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return verifyLedgerFile(url.slice('sqlite:'.length));
  throw new CliError('INVALID_OPTION', `--ledger takes sqlite:<file> or postgres://…, not "${url.split(':')[0]}:…"`);
}

/** The cross-check on the ledger verify just judged: a PostgreSQL URL, a `sqlite:` file, or the data dir's. */
async function auditCheck(
  url: string | undefined,
  opts: DataDirOptions,
  deps: LedgerCommandDeps,
  dataDirs: string[],
): Promise<AuditCrossCheck> {
  // The data dir's ledger only when no URL names one: verifying a --ledger URL needs no data dir.
  const sqlitePath = url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  const ledgerPath =
    url !== undefined && url !== '' && isPostgresUrl(url) ? null : (sqlitePath ?? ledgerPathOf(opts, deps));
  try {
    if (ledgerPath !== null) return await crossCheckAudit(ledgerPath, dataDirs);
    const { crossCheckAuditPostgres } = await import('../../ledger/postgres/pg-audit-check.js');
    return await crossCheckAuditPostgres(url as string, dataDirs);
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
