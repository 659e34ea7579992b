import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_LEDGER_CONFIG } from '../../../server/ledger/index.js';
import type { MutationTarget } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';
import { BIN } from '../../helpers/spawn-server.js';

/**
 * What the PostgreSQL suites outside the shared backend suite start from: a throwaway cluster with
 * one database, possibly migrated and holding alice and the enrolled terminal ATM-1; and the
 * compiled `bank-server` as an operator runs it against such a ledger.
 */

const run = promisify(execFile);

/** The compiled `bank-server …`, as an operator runs it (no ledger URL from this environment). */
export async function bankServer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN.bankServer, ...args], {
      env: { ...process.env, BANK_LEDGER_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface PgDatabase {
  cluster: PostgresCluster;
  /** The database's connection URL. */
  url: string;
}

/** A cluster and its empty database `database` before the enclosing block's tests, stopped after them. */
export function pgDatabaseFor(database: string): PgDatabase {
  const db = {} as PgDatabase;
  beforeAll(async () => {
    db.cluster = await startPostgresCluster();
    db.url = await db.cluster.createDatabase(database);
  }, 60_000);
  afterAll(() => db.cluster?.stop());
  return db;
}

export interface AliceLedger extends PgDatabase {
  ledger: PostgresLedger;
  /** alice in a session at ATM-1, at time 0. */
  alice: MutationTarget;
}

/** {@link pgDatabaseFor}, the database migrated and holding alice and ATM-1; closed before the cluster stops. */
export function pgLedgerWithAlice(database: string): AliceLedger {
  const fixture = pgDatabaseFor(database) as AliceLedger;
  beforeAll(async () => {
    fixture.ledger = await PostgresLedger.open(fixture.url, { config: DEFAULT_LEDGER_CONFIG });
    const created = await fixture.ledger.createAccount({ user: 'alice', passwordHash: 'h' });
    if (!created.ok) throw new Error('create');
    const atm = { id: 'ATM-1', fingerprint: 'sha256:aa' };
    await fixture.ledger.enrollTerminal(atm);
    fixture.alice = { accountId: created.account.id, user: 'alice', nowMs: 0, terminal: atm };
  });
  // Runs before the cluster's own afterAll: vitest runs after-hooks in reverse order.
  afterAll(() => fixture.ledger?.close());
  return fixture;
}
