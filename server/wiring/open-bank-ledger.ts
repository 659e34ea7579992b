import { resolve } from 'node:path';
import { CURRENCY, type ServerConfig } from '../config.js';
import { DEFAULT_LEDGER_CONFIG, type LedgerConfig, type LedgerWriterOptions, openLedger } from '../ledger/index.js';
import { isPostgresUrl } from '../ledger/ledger-backend.js';
import { SetupError } from '../setup/setup-error.js';
import type { BankLedger } from './bank-ledger.js';
import { openSqliteBankLedger } from './sqlite-bank-ledger.js';

/** The ledger rules a server's options set (limits, reversal window, fraud rules). */
export function ledgerConfigOf(config: ServerConfig): LedgerConfig {
  return {
    ...DEFAULT_LEDGER_CONFIG,
    dailyWithdrawalLimitCents: config.dailyWithdrawalLimitCents,
    maxAmountCents: config.maxAmountCents,
    reversalWindowSec: config.reversalWindowSec,
    currency: CURRENCY,
    fraudAction: config.fraudAction,
    fraud: {
      largeAmountCents: config.fraudLargeAmountCents,
      velocityCount: config.fraudVelocityCount,
      velocityWindowSec: config.fraudVelocityWindowSec,
    },
  };
}

export interface OpenBankLedgerOptions {
  /** `--ledger`: `sqlite:<file>` or `postgres://…`; undefined means the data dir's ledger.db. */
  url: string | undefined;
  dataDirLedger: string;
  instanceId: string;
  requestHashKey: Uint8Array;
  config: LedgerConfig;
  worker: boolean;
  poolSize?: number;
  lockout: { threshold: number; lockoutMs: number };
  clock: () => number;
  /** Give `clock` to PostgreSQL too (tests); otherwise the database's clock rules there. */
  passClock: boolean;
  hooks: Pick<LedgerWriterOptions, 'onBatch' | 'onJobError'>;
  onError: (err: unknown) => void;
}

/**
 * The ledger `--ledger` names (DESIGN.md "Ledger backends and instances"). PostgreSQL is loaded
 * only when asked for. Locks are taken before this (the data dir's, the SQLite file's, the
 * PostgreSQL instance id's: setup/open-instance.ts).
 */
export async function openBankLedger(options: OpenBankLedgerOptions): Promise<BankLedger> {
  const url = options.url ?? `sqlite:${options.dataDirLedger}`;
  if (isPostgresUrl(url)) return openPostgres(url, options);
  if (!url.startsWith('sqlite:')) {
    throw new SetupError(
      'LEDGER_URL_INVALID',
      `--ledger ${JSON.stringify(url.split(':')[0])}: unsupported scheme (use sqlite:<file> or postgres://user@host:port/db)`,
    );
  }
  // Locked, whichever file it is, when the data dir was opened (setup/open-data-dir.ts).
  const file = url.slice('sqlite:'.length);
  const path = file === '' ? options.dataDirLedger : resolve(file);
  const store = openLedger(path, { clock: options.clock, requestHashKey: options.requestHashKey });
  try {
    return await openSqliteBankLedger({ ...options, store, path });
  } catch (err) {
    store.close();
    throw err;
  }
}

async function openPostgres(url: string, options: OpenBankLedgerOptions): Promise<BankLedger> {
  // The instance id's advisory lock is already held (setup/open-instance.ts, before the data dir opened).
  const [{ PostgresLedger }, { openPostgresBankLedger }] = await Promise.all([
    import('../ledger/postgres/postgres-ledger.js'),
    import('./postgres-bank-ledger.js'),
  ]);
  const ledger = await PostgresLedger.open(url, {
    config: options.config,
    requestHashKey: options.requestHashKey,
    instanceId: options.instanceId,
    poolSize: options.poolSize ?? 16,
    ...(options.passClock ? { clock: options.clock } : {}),
    onError: options.onError,
  });
  const bank = await openPostgresBankLedger({
    ledger,
    requestHashKey: options.requestHashKey,
    lockout: options.lockout,
    ...(options.passClock ? { clock: options.clock } : {}),
    onError: options.onError,
  }).catch(async (err: unknown) => {
    await ledger.close();
    throw err;
  });
  return bank;
}
