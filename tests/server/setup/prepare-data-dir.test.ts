import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDataKey } from '../../../server/secrets/data-key.js';
import { prepareDataDir } from '../../../server/setup/index.js';
import { mode } from '../file-facts.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prepare-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prepareDataDir', () => {
  it('lays out an empty data dir: 0700 dirs, certificates and the data key', async () => {
    const dataDir = join(dir, 'bank-data');
    const prepared = await prepareDataDir(dataDir);
    expect(prepared.created).toBe(true);
    const { paths } = prepared;
    expect(paths.root).toBe(dataDir);
    for (const d of [paths.root, paths.tlsDir, paths.keysDir, paths.auditDir, paths.segmentsDir]) {
      expect(await mode(d)).toBe(0o700);
    }
    expect(await readFile(paths.caCert, 'utf8')).toBe(prepared.tls.caCert);
    expect(await readFile(paths.serverKey, 'utf8')).toBe(prepared.tls.serverKey);
    expect(new X509Certificate(prepared.tls.serverCert).checkIssued(new X509Certificate(prepared.tls.caCert))).toBe(
      true,
    );
    expect(await mode(paths.dataKey)).toBe(0o600);
    expect(Buffer.from(await readDataKey(paths.dataKey)).equals(Buffer.from(prepared.dataKey))).toBe(true);
  });

  it('loads the same material on a later start', async () => {
    const dataDir = join(dir, 'bank-data');
    const first = await prepareDataDir(dataDir);
    const second = await prepareDataDir(dataDir);
    expect(second.created).toBe(false);
    expect(second.tls).toEqual(first.tls);
    expect(Buffer.from(second.dataKey).equals(Buffer.from(first.dataKey))).toBe(true);
  });

  it('fills in an existing empty directory without changing its mode', async () => {
    const dataDir = join(dir, 'chosen');
    await mkdir(dataDir, { mode: 0o755 });
    const prepared = await prepareDataDir(dataDir);
    expect(prepared.created).toBe(true);
    expect(await mode(dataDir)).toBe(0o755);
    expect(await mode(prepared.paths.keysDir)).toBe(0o700);
  });

  it('recreates only what is missing', async () => {
    const dataDir = join(dir, 'bank-data');
    const first = await prepareDataDir(dataDir);
    await rm(first.paths.dataKey);
    const second = await prepareDataDir(dataDir);
    expect(second.created).toBe(true);
    expect(second.tls).toEqual(first.tls);
    expect(Buffer.from(second.dataKey).equals(Buffer.from(first.dataKey))).toBe(false);
  });
});

describe('a ledger without its data key', () => {
  it('refuses to start rather than make a new key that cannot open sealed data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secure-atm-nokey-'));
    const first = await prepareDataDir(dir);
    await writeFile(first.paths.ledgerDb, '');
    await rm(first.paths.dataKey);
    await expect(prepareDataDir(dir)).rejects.toMatchObject({ code: 'DATA_KEY_MISSING' });
    await rm(dir, { recursive: true, force: true });
  });
});
