/**
 * One ledger fixture over both backends, so the behavioural suite is written once: a fresh
 * SQLite file in a temp dir, or a fresh database in a throwaway PostgreSQL cluster (one cluster
 * per test file, started in beforeAll and removed in afterAll).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DEFAULT_LEDGER_CONFIG, type LedgerConfig } from '../../../server/ledger/index.js';
import type { LedgerBackend, MutationTarget } from '../../../server/ledger/ledger-backend.js';
import { SqliteLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';
import { TestClock } from '../ledger/ledger-fixture.js';

export type BackendKind = 'sqlite' | 'postgres';
export const BACKENDS: BackendKind[] = ['sqlite', 'postgres'];

export interface OpenOptions {
  config?: Partial<LedgerConfig>;
  poolSize?: number;
  /** Open a second handle on the same ledger (another instance on PostgreSQL). */
  same?: boolean;
}

export interface BackendEnv {
  kind: BackendKind;
  clock: TestClock;
  /** A fresh, empty ledger (or, with `same`, another handle on the last one). */
  open(options?: OpenOptions): Promise<LedgerBackend>;
  /** Raw SQL on the last ledger opened, for tampering tests (the statements are valid on both). */
  exec(sql: string): Promise<void>;
  /** Rows of a read on the last ledger opened (the statement valid on both). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** The PostgreSQL URL of the last ledger (postgres only). */
  url(): string;
  cluster(): PostgresCluster;
}

/** Register the hooks for one backend and return its environment. Call at describe level. */
export function backendEnv(kind: BackendKind): BackendEnv {
  let cluster: PostgresCluster | undefined;
  const opened: LedgerBackend[] = [];
  const dirs: string[] = [];
  let lastUrl = '';
  let lastPath = '';
  let last: LedgerBackend | undefined;
  const env: BackendEnv = {
    kind,
    clock: new TestClock(),
    async open(options = {}) {
      const config = { ...DEFAULT_LEDGER_CONFIG, ...options.config };
      let ledger: LedgerBackend;
      if (kind === 'sqlite') {
        if (!options.same) {
          const dir = mkdtempSync(join(tmpdir(), 'ledger-backend-'));
          dirs.push(dir);
          lastPath = join(dir, 'ledger.db');
        }
        ledger = SqliteLedgerBackend.open(lastPath, { config, clock: env.clock.read });
      } else {
        if (!cluster) throw new Error('no cluster');
        if (!options.same) lastUrl = await cluster.createDatabase('ledger');
        ledger = await PostgresLedger.open(lastUrl, {
          config,
          clock: env.clock.read,
          poolSize: options.poolSize ?? 10,
        });
      }
      opened.push(ledger);
      last = ledger;
      return ledger;
    },
    async exec(sql) {
      if (last instanceof SqliteLedgerBackend) last.store.database.exec(sql);
      else if (last instanceof PostgresLedger) await last.pool.query(sql);
    },
    async query(sql) {
      if (last instanceof SqliteLedgerBackend)
        return last.store.database.prepare(sql).all() as Record<string, unknown>[];
      if (last instanceof PostgresLedger) return (await last.pool.query(sql)).rows;
      throw new Error('no ledger open');
    },
    url: () => lastUrl,
    cluster() {
      if (!cluster) throw new Error('no cluster');
      return cluster;
    },
  };
  beforeAll(async () => {
    if (kind === 'postgres') cluster = await startPostgresCluster();
  }, 60_000);
  afterEach(async () => {
    for (const ledger of opened.splice(0)) await ledger.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    env.clock.now = new TestClock().now;
  });
  afterAll(() => {
    cluster?.stop();
  });
  return env;
}

/** A customer with a placeholder hash (the ledger never checks it); returns its mutation target. */
export async function customer(ledger: LedgerBackend, env: BackendEnv, user: string): Promise<MutationTarget> {
  const created = await ledger.createAccount({ user, passwordHash: `$2b$04$placeholder-${user}` });
  if (!created.ok) throw new Error(`could not create ${user}`);
  return { accountId: created.account.id, user, nowMs: env.clock.now };
}
