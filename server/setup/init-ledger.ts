import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_LEDGER_CONFIG, openLedger, SCHEMA_VERSION } from '../ledger/index.js';
import { isPostgresUrl } from '../ledger/ledger-backend.js';
import { SetupError } from './setup-error.js';

/** What `bank-server init --ledger <url>` did to the ledger it names. */
export interface LedgerInitResult {
  kind: 'sqlite' | 'postgres';
  /** The ledger as it may be printed (a password in a URL is masked). */
  where: string;
  /** The schema version found (null: no schema yet, a new ledger). */
  before: number | null;
  after: number;
}

/** A `--ledger` value init accepts: `sqlite:<file>` or a PostgreSQL URL; anything else is a mistake. */
export function checkLedgerUrl(url: string): void {
  if (isPostgresUrl(url)) return;
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return;
  throw new SetupError('LEDGER_URL_INVALID', `--ledger takes sqlite:<file> or postgres://…, not "${url}"`);
}

/** The URL with any password replaced, for output. */
export function printableLedgerUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^/:@]*):[^@/]*@/i, '$1:***@');
}

/**
 * Creates the ledger's schema, or brings it up to this version: PostgreSQL through the same
 * migration a start runs (one transaction under the migration advisory lock, so it is safe while
 * instances start); a SQLite file as a start would make it. Reports the version before and after.
 */
export async function initLedger(url: string, clock: () => number = Date.now): Promise<LedgerInitResult> {
  checkLedgerUrl(url);
  const where = printableLedgerUrl(url);
  if (!isPostgresUrl(url)) {
    const file = resolve(url.slice('sqlite:'.length));
    const before = existsSync(file) ? sqliteVersion(file) : null;
    try {
      openLedger(file, { clock }).close();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SetupError('LEDGER_UNREACHABLE', `cannot prepare the ledger sqlite:${file}: ${message}`);
    }
    return { kind: 'sqlite', where: `sqlite:${file}`, before, after: SCHEMA_VERSION };
  }
  const { PostgresLedger, PG_SCHEMA_VERSION } = await import('../ledger/postgres/index.js');
  try {
    const before = await postgresVersion(url);
    const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 });
    await ledger.close();
    return { kind: 'postgres', where, before, after: PG_SCHEMA_VERSION };
  } catch (error) {
    if (error instanceof SetupError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new SetupError('LEDGER_UNREACHABLE', `cannot prepare the ledger ${where}: ${message}`);
  }
}

/** What the data dir's ledger looks like in init's output: "created", "migrated from N", "already at N". */
export function describeLedgerInit(result: LedgerInitResult): string {
  const state =
    result.before === null || result.before === 0
      ? `schema created (version ${result.after})`
      : result.before === result.after
        ? `schema already at version ${result.after}`
        : `schema migrated from version ${result.before} to ${result.after}`;
  return `${result.where}: ${state}`;
}

/** PRAGMA user_version of an existing file, read without migrating (null when it is not a ledger). */
function sqliteVersion(file: string): number | null {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma('user_version', { simple: true }) as number;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/** The schema version a PostgreSQL ledger holds now (null: no schema_version table, a new database). */
async function postgresVersion(url: string): Promise<number | null> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const present = await client.query<{ p: boolean }>(`SELECT to_regclass('schema_version') IS NOT NULL AS p`);
    if (!present.rows[0]?.p) return null;
    const { rows } = await client.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_version',
    );
    return rows[0]?.v ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
