/** Driver settings, options and error classes shared by the PostgreSQL ledger modules. */
import pg from 'pg';
import type { LedgerConfig } from '../ledger-config.js';

/** BIGINT columns come back as JavaScript numbers: every amount is bounded to safe integers by CHECK. */
export const PG_TYPES = new pg.TypeOverrides();
PG_TYPES.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface PostgresLedgerOptions {
  config: LedgerConfig;
  /** Same key as every other instance's, so request fingerprints match across instances. */
  requestHashKey?: Uint8Array;
  /**
   * A test clock (ms since the epoch). Without it every time the ledger stores or compares (daily
   * limits, reversal window, velocity, retention) is the database's clock, never the instance's.
   */
  clock?: () => number;
  poolSize?: number;
  /** The instance whose audit chain this ledger's outbox rows feed (default `main`). */
  instanceId?: string;
  /**
   * For operator reads (`accounts list --ledger …`): no migration, every transaction read-only,
   * and a schema that is not the one this program knows is refused.
   */
  readOnly?: boolean;
  /**
   * For operator writes (`accounts lock --ledger …`): check the schema version instead of
   * migrating, so an operator's command never changes the schema or the functions under running
   * instances; a database without the schema is refused (`bank-server init --ledger` creates it).
   */
  checkSchemaOnly?: boolean;
  /** What failed inside a call that rejected with INTERNAL/SERVER_BUSY; for logging. */
  onError?: (error: unknown) => void;
}

/** Errors after which the whole transaction rolled back and a retry with the same id is safe. */
export const RETRYABLE = new Set(['40001', '40P01']);
/** Load or an unreachable database rather than a bug: the client may retry later. */
export const BUSY = new Set([
  '53300',
  '57P01',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
]);

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
