import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../server/ledger/index.js';
import { PG_SCHEMA_VERSION } from '../../../server/ledger/postgres/index.js';
import { printableLedgerUrl } from '../../../server/setup/init-ledger.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';
import { BIN, makeTempDir, removeTempDir, runCli } from '../../helpers/spawn-server.js';
import { exists } from '../file-facts.js';

function oneLineNoStack(stderr: string): void {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

async function rows<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

let cluster: PostgresCluster;
let scratch: string;
beforeAll(async () => {
  cluster = await startPostgresCluster();
  scratch = await makeTempDir('secure-atm-init-ledger-');
}, 60_000);
afterAll(async () => {
  cluster?.stop();
  await removeTempDir(scratch);
});

describe('bank-server init --ledger <url>', () => {
  it('creates the PostgreSQL schema (and a data dir without ledger.db), then finds it there', async () => {
    const url = await cluster.createDatabase('init');
    const dataDir = join(scratch, 'pg-data');
    const first = await runCli(BIN.bankServer, ['init', '--data-dir', dataDir, '--ledger', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`ledger ${url}: schema created (version ${PG_SCHEMA_VERSION})`);
    expect(await exists(join(dataDir, 'ledger.db'))).toBe(false);
    expect(await exists(join(dataDir, 'keys', 'audit-signing.key'))).toBe(true);
    const manifest = JSON.parse(await readFile(join(dataDir, 'data-dir.json'), 'utf8')) as {
      files: { path: string }[];
    };
    expect(manifest.files.map((f) => f.path)).not.toContain('ledger.db');

    const version = await rows<{ v: number }>(url, 'SELECT MAX(version)::int AS v FROM schema_version');
    expect(version).toEqual([{ v: PG_SCHEMA_VERSION }]);
    const vault = await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM accounts WHERE kind = 'vault'");
    expect(vault).toEqual([{ n: 1 }]);

    // Again, and from a second data dir made with --from: the schema is there already, nothing is redone.
    const again = await runCli(BIN.bankServer, ['init', '--data-dir', dataDir, '--ledger', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`schema already at version ${PG_SCHEMA_VERSION}`);
    const second = join(scratch, 'pg-second');
    const from = await runCli(BIN.bankServer, ['init', '--from', dataDir, '--data-dir', second, '--ledger', url]);
    expect(from.code, from.stderr).toBe(0);
    expect(from.stdout).toContain(`schema already at version ${PG_SCHEMA_VERSION}`);
    expect(await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM accounts WHERE kind = 'vault'")).toEqual([
      { n: 1 },
    ]);
  });

  it('sqlite:<file> makes that file the ledger, as init does with the data dir’s', async () => {
    const dataDir = join(scratch, 'sqlite-data');
    const file = join(scratch, 'elsewhere.db');
    const result = await runCli(BIN.bankServer, ['init', '--data-dir', dataDir, '--ledger', `sqlite:${file}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`ledger sqlite:${file}: schema created (version ${SCHEMA_VERSION})`);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
    expect(await exists(join(dataDir, 'ledger.db'))).toBe(false);
  });

  it('refuses a ledger it cannot use in one line', async () => {
    const bad = await runCli(BIN.bankServer, ['init', '--data-dir', join(scratch, 'bad'), '--ledger', 'mysql://x/y']);
    expect(bad.code).toBe(1);
    oneLineNoStack(bad.stderr);
    expect(bad.stderr).toContain('LEDGER_URL_INVALID');
    expect(await exists(join(scratch, 'bad'))).toBe(false);

    const gone = `postgres://postgres:hunter2@${encodeURIComponent(join(scratch, 'no-socket-here'))}:5999/bank`;
    const unreachable = await runCli(BIN.bankServer, ['init', '--data-dir', join(scratch, 'gone'), '--ledger', gone]);
    expect(unreachable.code).toBe(1);
    oneLineNoStack(unreachable.stderr);
    expect(unreachable.stderr).toContain('LEDGER_UNREACHABLE');
    expect(unreachable.stderr).not.toContain('hunter2');
    // Checked before the data dir is made: nothing is left half done.
    expect(await exists(join(scratch, 'gone'))).toBe(false);
  });

  it('never prints a password from the URL', () => {
    expect(printableLedgerUrl('postgres://bank:s3cret@db.example:5432/ledger')).toBe(
      'postgres://bank:***@db.example:5432/ledger',
    );
    expect(printableLedgerUrl('postgresql://bank@db.example/ledger')).toBe('postgresql://bank@db.example/ledger');
  });
});
