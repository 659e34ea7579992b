import { DEFAULT_LEDGER_CONFIG } from '../../ledger/index.js';
import { isPostgresUrl, type LedgerReads, openPostgresReads } from '../../ledger/ledger-backend.js';
import { listTerminals } from '../../ledger/terminal-ledger.js';
import { CliError } from '../io.js';
import { type DataDirOptions, type LedgerCommandDeps, withStore } from './operator-command.js';

/** The option the list commands take to read a ledger that is not the data dir's. */
export const LEDGER_URL_OPTION = [
  '--ledger <url>',
  "read this ledger: postgres://… or sqlite:<file> (default: env BANK_LEDGER_URL, else the data dir's)",
] as const;

export type ReadOptions = DataDirOptions & { ledger?: string };
type Reads = Omit<LedgerReads, 'close'>;

/**
 * Run `read` on the ledger `--ledger` (or BANK_LEDGER_URL) names, else on the data dir's SQLite
 * file. PostgreSQL is opened read-only, without migrating; the connection is always closed.
 */
export async function withLedgerReads<T>(
  opts: ReadOptions,
  deps: LedgerCommandDeps,
  read: (reads: Reads) => Promise<T>,
): Promise<T> {
  const url = opts.ledger ?? (deps.env ?? process.env).BANK_LEDGER_URL;
  if (url !== undefined && url !== '' && isPostgresUrl(url)) {
    const reads = await openPostgresReads(url, DEFAULT_LEDGER_CONFIG);
    try {
      return await read(reads);
    } finally {
      await reads.close();
    }
  }
  if (url !== undefined && url !== '' && !(url.startsWith('sqlite:') && url.length > 'sqlite:'.length)) {
    throw new CliError('INVALID_OPTION', `--ledger takes sqlite:<file> or postgres://…, not "${url.split(':')[0]}:…"`);
  }
  const fromFile = url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  const run = (store: Parameters<Parameters<typeof withStore>[2]>[0]) =>
    read({
      listAccounts: async () => store.listAccounts(),
      listTerminals: async () => listTerminals(store),
      listAlerts: async (options) => store.listAlerts(options),
    });
  if (fromFile === undefined) return withStore(opts, deps, run);
  const store = deps.openStore(fromFile);
  try {
    return await run(store);
  } finally {
    store.close();
  }
}
