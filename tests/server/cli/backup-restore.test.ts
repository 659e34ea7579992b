import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { BIN, makeTempDir, removeTempDir, runCli, spawnBankServer } from '../../helpers/spawn-server.js';

const PASSWORD = 'Correct-Horse-42!';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await removeTempDir(dir);
});

async function register(port: number, ca: string, user: string): Promise<void> {
  const client = await RawClient.connect({ port, ca });
  const reply = await client.hello({ user, password: PASSWORD, method: 'register' });
  expect(reply.kind).toBe('welcome');
  client.destroy();
}

async function users(dataDir: string): Promise<string[]> {
  const res = await runCli(BIN.bankServer, ['accounts', 'list', '--data-dir', dataDir, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { user: string }[]).map((a) => a.user).sort();
}

describe('bank-server backup and the README restore procedure', () => {
  it('backs up a running server, refuses to overwrite, and a restore brings back exactly the backed-up state', async () => {
    const server = await spawnBankServer(['--allow-registration']);
    dirs.push(server.dataDir);
    const backups = await makeTempDir('secure-atm-backups-');
    dirs.push(backups);
    const ca = await readFile(server.caPath, 'utf8');
    await register(server.port, ca, 'before');

    // While the server runs (and serves), as README says.
    const file = join(backups, 'ledger-backup.db');
    const backup = await runCli(BIN.bankServer, ['backup', '--data-dir', server.dataDir, '--out', file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/ledger backed up to .*verified/);
    expect(await stat(file)).toBeTruthy();

    const again = await runCli(BIN.bankServer, ['backup', '--data-dir', server.dataDir, '--out', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    await register(server.port, ca, 'after');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await users(server.dataDir)).toEqual(['after', 'before']);

    // README, "Backup and restore": stop the server, put the backup in place of ledger.db
    // (and drop its -wal/-shm), verify, start.
    const ledger = join(server.dataDir, 'ledger.db');
    for (const f of [ledger, `${ledger}-wal`, `${ledger}-shm`]) await rm(f, { force: true });
    await copyFile(file, ledger);
    const verify = await runCli(BIN.bankServer, ['ledger', 'verify', '--data-dir', server.dataDir]);
    expect(verify.code, verify.stderr).toBe(0);
    const restarted = await spawnBankServer(['--allow-registration'], server.dataDir);
    expect(await users(server.dataDir)).toEqual(['before']);
    // The restored customer still logs in (the data dir's keys go with the ledger).
    const client = await RawClient.connect({ port: restarted.port, ca });
    expect((await client.hello({ user: 'before', password: PASSWORD })).kind).toBe('welcome');
    client.destroy();
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });

  it('names a missing ledger in one line', async () => {
    const empty = await makeTempDir('secure-atm-backup-empty-');
    dirs.push(empty);
    const out = join(empty, 'x.db');
    const res = await runCli(BIN.bankServer, ['backup', '--data-dir', empty, '--out', out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no ledger at/);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
