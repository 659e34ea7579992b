import type { LedgerCommandDeps } from './accounts.js';
import { LEDGER_OPTION, type LedgerTargetOptions, type OperatorLedger, withLedger } from './ledger-target.js';

/** The option the list commands take to read a ledger that is not the data dir's. */
export const LEDGER_URL_OPTION = LEDGER_OPTION;

export type ReadOptions = LedgerTargetOptions;
type Reads = Pick<OperatorLedger, 'listAccounts' | 'listTerminals' | 'listAlerts'>;

/**
 * Run `read` on the ledger `--ledger` (or BANK_LEDGER_URL) names, else on the data dir's SQLite
 * file. PostgreSQL is opened read-only, without migrating; the connection is always closed.
 */
export function withLedgerReads<T>(
  opts: ReadOptions,
  deps: LedgerCommandDeps,
  read: (reads: Reads) => Promise<T>,
): Promise<T> {
  return withLedger(opts, deps, read, { readOnly: true });
}
