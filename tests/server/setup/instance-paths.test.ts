import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareAuditKeys } from '../../../audit/index.js';
import { dataDirPaths } from '../../../server/data-dir.js';
import { instancePaths, prepareDataDir } from '../../../server/setup/index.js';
import { openDataDir } from '../../../server/setup/open-data-dir.js';
import { exists, mode } from '../file-facts.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'instance-paths-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyLine = async (file: string) =>
  (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '' && !line.startsWith('#'));

async function manifest(): Promise<{ instances: string[]; files: { path: string; sha256: string | null }[] }> {
  return JSON.parse(await readFile(join(dir, 'data-dir.json'), 'utf8'));
}

async function open(instanceId: string, ledgerUrl?: string) {
  const opened = await openDataDir({ dataDir: dir, instanceId, ...(ledgerUrl ? { ledgerUrl } : {}) });
  await opened.commit();
  await opened.release();
  return opened;
}

describe('instancePaths', () => {
  it('main keeps audit/ and keys/audit-signing.key; any other id gets its own folders', () => {
    const paths = dataDirPaths(dir);
    expect(instancePaths(paths, 'main')).toMatchObject({
      auditDir: join(dir, 'audit'),
      segmentsDir: join(dir, 'audit', 'segments'),
      signingKeyPath: join(dir, 'keys', 'audit-signing.key'),
      signingPubPath: join(dir, 'keys', 'audit-signing.pub'),
    });
    expect(instancePaths(paths, 'east')).toMatchObject({
      auditDir: join(dir, 'audit', 'instances', 'east'),
      auditLog: join(dir, 'audit', 'instances', 'east', 'audit.log'),
      segmentsDir: join(dir, 'audit', 'instances', 'east', 'segments'),
      signingKeysDir: join(dir, 'keys', 'instances', 'east'),
      signingKeyPath: join(dir, 'keys', 'instances', 'east', 'audit-signing.key'),
      signingPubPath: join(dir, 'keys', 'instances', 'east', 'audit-signing.pub'),
      signingKeyFile: 'keys/instances/east/audit-signing.key',
    });
  });

  it('refuses an id that could leave its folder', () => {
    for (const bad of ['../main', 'a/b', '', 'East', '.x']) {
      expect(() => instancePaths(dataDirPaths(dir), bad)).toThrow(
        expect.objectContaining({ code: 'INSTANCE_ID_INVALID' }),
      );
    }
  });
});

describe('a second instance on a data dir', () => {
  it('gets its own signing key (0600, .pub beside it) on its first start; main keeps its own', async () => {
    await open('main');
    const mainKey = await readFile(join(dir, 'keys', 'audit-signing.key'), 'utf8');
    const opened = await open('east', 'postgres://bank@db.example/ledger');
    const east = instancePaths(dataDirPaths(dir), 'east');
    expect(opened.created).toEqual(['keys/instances/east/audit-signing.key']);
    expect(opened.instance.signingKeyPath).toBe(east.signingKeyPath);
    expect(await mode(east.signingKeyPath)).toBe(0o600);
    expect(await mode(east.signingKeysDir)).toBe(0o700);
    expect(await mode(join(dir, 'keys', 'instances'))).toBe(0o700);
    const [pubLine] = await keyLine(east.signingPubPath);
    const [mainPubLine] = await keyLine(join(dir, 'keys', 'audit-signing.pub'));
    expect(pubLine).toMatch(/^audit-signing-ed25519-public:[A-Za-z0-9+/]{43}=$/);
    expect(pubLine).not.toBe(mainPubLine);
    expect(await readFile(join(dir, 'keys', 'audit-signing.key'), 'utf8')).toBe(mainKey);

    const m = await manifest();
    expect(m.instances).toEqual(['main', 'east']);
    expect(m.files.find((f) => f.path === 'keys/instances/east/audit-signing.key')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Listed from now on: a lost instance key is refused by name, never silently remade.
    await rm(east.signingKeyPath);
    await expect(open('east', 'postgres://bank@db.example/ledger')).rejects.toThrow(
      /keys\/instances\/east\/audit-signing\.key is missing/,
    );
    // ... but that is east's to answer for: main, which never signs with it, still starts.
    await open('main');
    await rm(join(dir, 'keys', 'audit-signing.key'));
    await expect(open('main')).rejects.toThrow(/keys\/audit-signing\.key is missing/);
  });

  it('on PostgreSQL takes no SQLite ledger lock, so it runs beside main on one data dir', async () => {
    await open('main');
    const main = await openDataDir({ dataDir: dir, instanceId: 'main' });
    try {
      await expect(openDataDir({ dataDir: dir, instanceId: 'east' })).rejects.toMatchObject({ code: 'LEDGER_LOCKED' });
      const east = await openDataDir({ dataDir: dir, instanceId: 'east', ledgerUrl: 'postgres://db.example/ledger' });
      expect(await exists(`${join(dir, 'ledger.db')}.lock`)).toBe(true);
      await east.release();
      // The same id twice on one data dir is still refused.
      const again = await openDataDir({ dataDir: dir, instanceId: 'west', ledgerUrl: 'postgres://db.example/ledger' });
      await expect(
        openDataDir({ dataDir: dir, instanceId: 'west', ledgerUrl: 'postgres://db.example/ledger' }),
      ).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
      await again.release();
    } finally {
      await main.release();
    }
  });

  it('a new data dir on PostgreSQL holds no ledger.db and no main signing key', async () => {
    const opened = await open('east', 'postgres://db.example/ledger');
    expect(opened.created).not.toContain('ledger.db');
    expect(opened.created).not.toContain('keys/audit-signing.key');
    expect(await exists(join(dir, 'ledger.db'))).toBe(false);
    expect(await exists(join(dir, 'keys', 'audit-signing.key'))).toBe(false);
    expect(await exists(join(dir, 'keys', 'instances', 'east', 'audit-signing.key'))).toBe(true);
    // The next start of that instance finds everything it listed.
    await open('east', 'postgres://db.example/ledger');
  });

  it('prepareDataDir makes the instance folders 0700; prepareAuditKeys signs with the instance key', async () => {
    const prepared = await prepareDataDir(dir, { instanceId: 'east' });
    for (const d of [prepared.instance.auditDir, prepared.instance.segmentsDir, prepared.instance.signingKeysDir]) {
      expect(await mode(d)).toBe(0o700);
    }
    const keys = await prepareAuditKeys({
      keysDir: prepared.paths.keysDir,
      signingKeyPath: prepared.instance.signingKeyPath,
    });
    expect(keys.signingPublicKeyPath).toBe(prepared.instance.signingPubPath);
    const [line] = await keyLine(prepared.instance.signingPubPath);
    expect(line).toBe(`audit-signing-ed25519-public:${Buffer.from(keys.signingPublicKey).toString('base64')}`);
    expect(await exists(join(dir, 'keys', 'audit-signing.key'))).toBe(false);
    await expect(
      prepareAuditKeys({ keysDir: prepared.paths.keysDir, signingKeyPath: join(dir, 'keys', 'other.key') }),
    ).rejects.toMatchObject({ code: 'AUDIT_USAGE' });
  });
});
