import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  makeTempDir,
  removeTempDir,
  runCli,
  type SpawnedServer,
  spawnBankServer,
} from '../../helpers/spawn-server.js';
import { exists } from '../file-facts.js';
import { lastLineType, segmentFiles, snapshotDir } from './data-dir-snapshot.js';

const START = ['start', '--port', '0', '--admin-port', '0', '--bcrypt-cost', '4'];

function oneLineNoStack(stderr: string): void {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** A data dir that one server has started on and stopped in order (so it holds audit segments). */
let template: string;
const dirs: string[] = [];
async function copyOfTemplate(): Promise<string> {
  const dir = await makeTempDir('secure-atm-guard-');
  dirs.push(dir);
  await cp(template, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  const first = await spawnBankServer();
  template = first.dataDir;
  expect(await first.stop('SIGTERM')).toBe(0);
});
afterAll(async () => {
  for (const dir of [template, ...dirs]) await removeTempDir(dir);
});

describe('a second bank-server on a live data dir', () => {
  let live: SpawnedServer;
  beforeAll(async () => {
    live = await spawnBankServer([], await copyOfTemplate());
  });
  afterAll(async () => {
    await live.stop('SIGKILL');
  });

  it('refuses before touching any file, naming the pid, on the same ports and on others', async () => {
    const pid = live.proc.pid as number;
    // Frozen, the live server writes nothing: any change now would be the second start's.
    process.kill(pid, 'SIGSTOP');
    try {
      const before = await snapshotDir(live.dataDir);
      for (const ports of [
        ['--port', String(live.port), '--admin-port', String(live.adminPort)],
        ['--port', '0', '--admin-port', '0'],
      ]) {
        const second = await runCli(BIN.bankServer, [...START, '--data-dir', live.dataDir, ...ports]);
        expect(second.code).toBe(1);
        oneLineNoStack(second.stderr);
        expect(second.stderr).toContain(`pid ${pid}`);
        expect(second.stderr).toContain('DATA_DIR_LOCKED');
        expect(await snapshotDir(live.dataDir)).toEqual(before);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The live server is unharmed and still closes its own segment in order.
    expect(await live.stop('SIGTERM')).toBe(0);
    const segments = await segmentFiles(live.dataDir);
    expect(await lastLineType(segments.at(-1) as string)).toBe('close');
    expect(await exists(join(live.dataDir, 'locks', 'main.lock'))).toBe(false);
  });

  it('a second instance id on the same SQLite ledger is refused too', async () => {
    const dir = await copyOfTemplate();
    const one = await spawnBankServer([], dir);
    try {
      const other = await runCli(BIN.bankServer, [...START, '--data-dir', dir, '--instance-id', 'second']);
      expect(other.code).toBe(1);
      oneLineNoStack(other.stderr);
      expect(other.stderr).toContain('LEDGER_LOCKED');
      expect(other.stderr).toContain(`pid ${one.proc.pid}`);
    } finally {
      await one.stop('SIGTERM');
    }
  });
});

describe('a restart right after SIGKILL', () => {
  it('takes the stale lock over', async () => {
    const dir = await copyOfTemplate();
    const killed = await spawnBankServer([], dir);
    await killed.stop('SIGKILL');
    expect((await readFile(join(dir, 'locks', 'main.lock'), 'utf8')).trim()).toBe(String(killed.proc.pid));
    const again = await spawnBankServer([], dir);
    expect((await readFile(join(dir, 'locks', 'main.lock'), 'utf8')).trim()).toBe(String(again.proc.pid));
    expect(await again.stop('SIGTERM')).toBe(0);
  });
});

describe('a start that fails', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    busyPort = await new Promise<number>((res) =>
      busy.listen(0, '127.0.0.1', () => res((busy.address() as { port: number }).port)),
    );
  });
  afterAll(() => new Promise<void>((res) => busy.close(() => res())));

  it.each([
    ['--port', 'ATM'],
    ['--admin-port', 'admin'],
  ])('on a port in use (%s) says so in one line and leaves the data dir byte for byte', async (option) => {
    const dir = await copyOfTemplate();
    const before = await snapshotDir(dir);
    const res = await runCli(BIN.bankServer, [...START, '--data-dir', dir, option, String(busyPort)]);
    expect(res.code).toBe(1);
    oneLineNoStack(res.stderr);
    expect(res.stderr).toContain(`port ${busyPort} is in use — is another bank-server running? use ${option}`);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('names a file given as the data dir', async () => {
    const dir = await copyOfTemplate();
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const res = await runCli(BIN.bankServer, [...START, '--data-dir', file]);
    expect(res.code).toBe(1);
    oneLineNoStack(res.stderr);
    expect(res.stderr).toContain(`${file} is a file, not a directory`);
  });
});

describe('a file the manifest lists is missing', () => {
  it.each([
    'tls/server.key',
    'tls/ca.crt',
    'tls/ca.key',
    'keys/audit-signing.key',
    'keys/auditor.pub',
    'keys/data.key',
  ])('%s: start refuses, names the file and how to restore it, and recreates nothing', async (file) => {
    const dir = await copyOfTemplate();
    await rm(join(dir, file));
    const before = await snapshotDir(dir);
    const res = await runCli(BIN.bankServer, [...START, '--data-dir', dir]);
    expect(res.code).toBe(1);
    oneLineNoStack(res.stderr);
    expect(res.stderr).toContain(`${join(dir, file)} is missing`);
    expect(res.stderr).toMatch(/restore/);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('init refuses the same way', async () => {
    const dir = await copyOfTemplate();
    await rm(join(dir, 'tls', 'ca.crt'));
    const res = await runCli(BIN.bankServer, ['init', '--data-dir', dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${join(dir, 'tls', 'ca.crt')} is missing`);
    expect(await exists(join(dir, 'tls', 'ca.crt'))).toBe(false);
  });
});

describe('the manifest', () => {
  it('lists the files with fingerprints and the instance', async () => {
    const manifest = JSON.parse(await readFile(join(template, 'data-dir.json'), 'utf8')) as {
      version: number;
      instances: string[];
      files: { path: string; sha256: string | null }[];
    };
    expect(manifest.version).toBeGreaterThanOrEqual(1);
    expect(manifest.instances).toEqual(['main']);
    const caCert = manifest.files.find((f) => f.path === 'tls/ca.crt');
    expect(caCert?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.files.find((f) => f.path === 'ledger.db')?.sha256).toBeNull();
  });

  it('a data dir of the previous version (no manifest) starts and gets one', async () => {
    const dir = await copyOfTemplate();
    await rm(join(dir, 'data-dir.json'));
    const server = await spawnBankServer([], dir);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'data-dir.json'), 'utf8'))).toMatchObject({ instances: ['main'] });
  });
});

describe('a closed stdout', () => {
  it('(start | tee, then Ctrl-C) never crashes the server and still writes the close record', async () => {
    const server = await spawnBankServer([], await copyOfTemplate());
    // The reader goes away, as tee does on Ctrl-C; the server's next log lines hit EPIPE.
    server.proc.stdout?.destroy();
    const code = await server.stop('SIGINT');
    expect(code, `signal ${server.proc.signalCode} stderr ${server.stderr.join('')}`).toBe(0);
    expect(server.stderr.join('')).not.toMatch(/EPIPE|\n\s+at /);
    const segments = await segmentFiles(server.dataDir);
    expect(await lastLineType(segments.at(-1) as string)).toBe('close');
  });
});
