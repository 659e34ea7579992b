import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataKeyError, ensureDataKey, loadOrCreateDataKey, readDataKey } from '../../../server/secrets/data-key.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';

let dir: string;
let keyPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-key-test-'));
  keyPath = join(dir, 'keys', 'data.key');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureDataKey', () => {
  it('creates 32 random bytes as one base64 line, mode 0600, in a 0700 keys dir', async () => {
    const key = await ensureDataKey(keyPath);
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key.length).toBe(32);
    const text = await readFile(keyPath, 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(text.trim(), 'base64').equals(Buffer.from(key))).toBe(true);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'keys'))).toEqual(['data.key']); // no temp file left behind
    expect(() => new PiiBox(key)).not.toThrow();
  });

  it('returns the same key on the next call and reports who created it', async () => {
    const first = await loadOrCreateDataKey(keyPath);
    const second = await loadOrCreateDataKey(keyPath);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(Buffer.from(second.key).equals(Buffer.from(first.key))).toBe(true);
    expect(Buffer.from(await ensureDataKey(keyPath)).equals(Buffer.from(first.key))).toBe(true);
  });

  it('agrees on one key when called concurrently', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDataKey(keyPath)));
    const onDisk = await readDataKey(keyPath);
    for (const r of results) expect(Buffer.from(r.key).equals(Buffer.from(onDisk))).toBe(true);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('makes a different key for a different data dir', async () => {
    const a = await ensureDataKey(keyPath);
    const b = await ensureDataKey(join(dir, 'other', 'data.key'));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('narrows a loose mode and does not replace a bad file', async () => {
    await ensureDataKey(keyPath);
    await chmod(keyPath, 0o644);
    await ensureDataKey(keyPath);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    await writeFile(keyPath, 'oops\n');
    await expect(ensureDataKey(keyPath)).rejects.toMatchObject({ code: 'DATA_KEY_INVALID' });
    expect(await readFile(keyPath, 'utf8')).toBe('oops\n');
  });
});

describe('readDataKey', () => {
  it('reads a key with or without the trailing newline', async () => {
    const raw = Buffer.alloc(32, 7);
    const bare = join(dir, 'bare.key');
    await writeFile(bare, raw.toString('base64'));
    expect(Buffer.from(await readDataKey(bare)).equals(raw)).toBe(true);
    await writeFile(bare, `${raw.toString('base64')}\n`);
    expect(Buffer.from(await readDataKey(bare)).equals(raw)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['16 bytes', `${Buffer.alloc(16).toString('base64')}\n`],
    ['33 bytes', `${Buffer.alloc(33).toString('base64')}\n`],
    ['not base64', `${'!'.repeat(43)}=\n`],
    ['two lines', `${Buffer.alloc(32).toString('base64')}\n\n`],
    ['spaces', ` ${Buffer.alloc(32).toString('base64')}\n`],
    ['non-canonical last char', `${Buffer.alloc(32).toString('base64').slice(0, 42)}B=\n`],
  ])('refuses %s with DATA_KEY_INVALID', async (_name, content) => {
    const path = join(dir, 'bad.key');
    await writeFile(path, content);
    const error = await readDataKey(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataKeyError);
    expect(error).toMatchObject({ code: 'DATA_KEY_INVALID' });
  });

  it('passes ENOENT through for a missing file', async () => {
    await expect(readDataKey(join(dir, 'missing.key'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
