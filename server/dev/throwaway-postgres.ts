/**
 * A throwaway PostgreSQL cluster (tests, `npm run cluster:dev`): initdb into a temp dir, start it on a unix socket in
 * that dir (no TCP listener) and a free port number, hand out one fresh database per suite, and
 * stop and remove everything after — also when the suite fails or the worker exits early.
 *
 * As root the server must run as the `postgres` OS user (PostgreSQL refuses root), so the temp dir
 * is handed to that user and every binary runs under `runuser -u postgres --`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian's postgresql-15 puts its binaries (.ci/run installs it when absent); env PG_BIN_DIR elsewhere. */
export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** The socket directory (the `host` of a unix-socket connection). */
  socketDir: string;
  port: number;
  /** A new empty database; returns a `postgres://` URL for it (socket, trust auth, user postgres). */
  createDatabase(prefix?: string): Promise<string>;
  /** Stop the server (fast shutdown) and remove its directory. Idempotent. */
  stop(): void;
}

export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN_DIR, 'initdb')) && existsSync(join(PG_BIN_DIR, 'pg_ctl'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = userInfo().uid === 0;

/** Run a PostgreSQL binary, as the postgres user when we are root. */
function run(binary: string, args: string[]): void {
  const file = join(PG_BIN_DIR, binary);
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

let nextDb = 0;

/** Start a cluster. Throws with the server's own words if initdb or pg_ctl fails. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (!postgresAvailable()) throw new Error(`PostgreSQL 15 binaries not found in ${PG_BIN_DIR} (see .ci/run)`);
  const root = mkdtempSync(join(tmpdir(), 'pgtest-'));
  const dataDir = join(root, 'data');
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(root, uid, gid);
    chmodSync(root, 0o700);
  }
  const port = await freePort();
  let running = false;
  const stop = (): void => {
    if (running) {
      running = false;
      spawnSync(
        asRoot ? 'runuser' : join(PG_BIN_DIR, 'pg_ctl'),
        [
          ...(asRoot ? ['-u', 'postgres', '--', join(PG_BIN_DIR, 'pg_ctl')] : []),
          '-D',
          dataDir,
          '-m',
          'immediate',
          '-w',
          'stop',
        ],
        { stdio: 'ignore', timeout: 30_000 },
      );
    }
    rmSync(root, { recursive: true, force: true });
    process.off('exit', stop);
  };
  // A process (or test worker) that dies early still takes its cluster down with it.
  process.on('exit', stop);
  try {
    run('initdb', ['-D', dataDir, '-A', 'trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C']);
    const options = [
      `-k ${root}`,
      `-p ${port}`,
      "-c listen_addresses=''",
      // Durability on (the ledger acknowledges after COMMIT); the cluster is thrown away anyway.
      '-c fsync=on',
      '-c synchronous_commit=on',
      '-c max_connections=200',
      '-c shared_buffers=32MB',
    ].join(' ');
    run('pg_ctl', ['-D', dataDir, '-w', '-t', '30', '-l', join(root, 'server.log'), '-o', options, 'start']);
    running = true;
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim();
    stop();
    throw new Error(`could not start PostgreSQL: ${detail || String(error)}`);
  }
  const adminUrl = `postgres://postgres@${encodeURIComponent(root)}:${port}/postgres`;
  return {
    socketDir: root,
    port,
    async createDatabase(prefix = 'suite') {
      nextDb += 1;
      const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${nextDb}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@${encodeURIComponent(root)}:${port}/${name}`;
    },
    stop,
  };
}
