import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_FILES, type DataDirFile } from '../../../server/setup/data-dir-files.js';
import { openDataDir } from '../../../server/setup/open-data-dir.js';
import { acquirePidLock } from '../../../server/setup/pid-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'open-data-dir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function prepare(options: { files?: readonly DataDirFile[] } = {}) {
  const opened = await openDataDir({ dataDir: dir, instanceId: 'main', ...options });
  const commit = await opened.commit();
  await opened.release();
  return { opened, commit };
}

async function manifest(): Promise<{ version: number; instances: string[]; files: { path: string }[] }> {
  return JSON.parse(await readFile(join(dir, 'data-dir.json'), 'utf8'));
}

describe('openDataDir', () => {
  it('an empty data dir gets every registered file and a manifest listing them', async () => {
    const { opened } = await prepare();
    expect(opened.previousVersion).toBeNull();
    expect(opened.created.sort()).toEqual(DATA_DIR_FILES.map((f) => f.path).sort());
    const m = await manifest();
    expect(m.instances).toEqual(['main']);
    expect(m.files.map((f) => f.path).sort()).toEqual(DATA_DIR_FILES.map((f) => f.path).sort());
  });

  it('a later version creates only the file it introduces, once, and raises the format version', async () => {
    await prepare();
    let calls = 0;
    const added: DataDirFile = {
      path: 'keys/new-thing.txt',
      since: 2,
      restore: 'restore it from backup',
      create: async (ctx) => {
        calls++;
        await writeFile(join(ctx.paths.keysDir, 'new-thing.txt'), 'new\n');
      },
    };
    const { opened } = await prepare({ files: [...DATA_DIR_FILES, added] });
    expect(opened.created).toEqual(['keys/new-thing.txt']);
    expect(opened.previousVersion).toBe(1);
    expect(calls).toBe(1);
    expect((await manifest()).version).toBe(2);

    // From now on it is a listed file like any other: missing means refused, not remade.
    await rm(join(dir, 'keys', 'new-thing.txt'));
    await expect(openDataDir({ dataDir: dir, instanceId: 'main', files: [...DATA_DIR_FILES, added] })).rejects.toThrow(
      /new-thing\.txt is missing .*restore it from backup/,
    );
    expect(calls).toBe(1);
  });

  it('refuses a manifest of a newer format', async () => {
    await prepare();
    const m = await manifest();
    await writeFile(join(dir, 'data-dir.json'), JSON.stringify({ ...m, version: 99 }));
    await expect(openDataDir({ dataDir: dir, instanceId: 'main' })).rejects.toMatchObject({ code: 'DATA_DIR_TOO_NEW' });
  });

  it('refuses a damaged manifest, naming it', async () => {
    await prepare();
    await writeFile(join(dir, 'data-dir.json'), '{"format":');
    await expect(openDataDir({ dataDir: dir, instanceId: 'main' })).rejects.toMatchObject({
      code: 'DATA_DIR_MANIFEST_INVALID',
    });
  });

  it('a missing keys/auditor.pub names that file; with --auditor-key it is written from the given key', async () => {
    await prepare();
    const pub = await readFile(join(dir, 'keys', 'auditor.pub'), 'utf8');
    await rm(join(dir, 'keys', 'auditor.pub'));
    await expect(openDataDir({ dataDir: dir, instanceId: 'main' })).rejects.toThrow(/keys\/auditor\.pub is missing/);
    const given = join(dir, 'given.pub');
    await writeFile(given, pub);
    const opened = await openDataDir({ dataDir: dir, instanceId: 'main', auditorKeyFile: given });
    await opened.release();
  });

  it('reports listed files whose content changed since the manifest was written', async () => {
    await prepare();
    const opened = await openDataDir({ dataDir: dir, instanceId: 'main' });
    await writeFile(join(dir, 'keys', 'auditor.pub'), `${await readFile(join(dir, 'keys', 'auditor.pub'), 'utf8')}\n`);
    expect((await opened.commit()).changed).toEqual(['keys/auditor.pub']);
    expect((await opened.commit()).written).toBe(false);
    await opened.release();
  });

  it("refuses a second instance in the same process and in another, and takes a dead pid's lock over", async () => {
    const first = await openDataDir({ dataDir: dir, instanceId: 'main' });
    await expect(openDataDir({ dataDir: dir, instanceId: 'main' })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
    await expect(openDataDir({ dataDir: dir, instanceId: 'other' })).rejects.toMatchObject({ code: 'LEDGER_LOCKED' });
    await first.release();

    // A pid that has exited: a child that ran and is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(join(dir, 'locks', 'main.lock'), `${dead}\n`);
    const again = await openDataDir({ dataDir: dir, instanceId: 'main' });
    expect((await readFile(join(dir, 'locks', 'main.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await again.release();
  });

  it('a live pid in the lock is refused by name', async () => {
    // pid 1 always runs (it may belong to another user: still running).
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(join(dir, 'locks', 'main.lock'), '1\n');
    await expect(openDataDir({ dataDir: dir, instanceId: 'main' })).rejects.toThrow(/pid 1\b/);
    expect(await readFile(join(dir, 'locks', 'main.lock'), 'utf8')).toBe('1\n');
  });

  it('release removes the lock and the locks folder it made', async () => {
    const lock = await acquirePidLock(join(dir, 'locks', 'x.lock'), 'X_LOCKED', 'x');
    await lock.release();
    await expect(readFile(join(dir, 'locks', 'x.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(join(dir, 'locks'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an instance id that is not a safe file name', async () => {
    await expect(openDataDir({ dataDir: dir, instanceId: '../x' })).rejects.toMatchObject({
      code: 'INSTANCE_ID_INVALID',
    });
  });
});
