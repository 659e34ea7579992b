import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_LEDGER_CONFIG } from '../../../server/ledger/index.js';
import type { MutationTarget } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';
import { BIN } from '../../helpers/spawn-server.js';

/**
 * What the suites of the compiled `bank-server` against a PostgreSQL ledger start from: a
 * throwaway cluster, and in it one migrated database holding alice and the enrolled terminal ATM-1.
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

export interface AliceLedger {
  cluster: PostgresCluster;
  url: string;
  ledger: PostgresLedger;
  /** alice in a session at ATM-1, at time 0. */
  alice: MutationTarget;
}

/** The cluster and `database` before the enclosing block's tests, stopped after them. */
export function pgLedgerWithAlice(database: string): AliceLedger {
  const fixture = {} as AliceLedger;
  beforeAll(async () => {
    fixture.cluster = await startPostgresCluster();
    fixture.url = await fixture.cluster.createDatabase(database);
    fixture.ledger = await PostgresLedger.open(fixture.url, { config: DEFAULT_LEDGER_CONFIG });
    const created = await fixture.ledger.createAccount({ user: 'alice', passwordHash: 'h' });
    if (!created.ok) throw new Error('create');
    const atm = { id: 'ATM-1', fingerprint: 'sha256:aa' };
    await fixture.ledger.enrollTerminal(atm);
    fixture.alice = { accountId: created.account.id, user: 'alice', nowMs: 0, terminal: atm };
  }, 60_000);
  afterAll(async () => {
    await fixture.ledger?.close();
    fixture.cluster?.stop();
  });
  return fixture;
}
