import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ServerError } from '../server-error.js';
import { syncDir } from '../tls/write-file-atomic.js';

/** secretbox keys are 32 bytes. */
export const DATA_KEY_BYTES = 32;
const KEY_MODE = 0o600;

export type DataKeyErrorCode = 'DATA_KEY_INVALID' | 'DATA_KEY_MISSING';

/** The data key's refusals: the server's one error class with one of these codes. */
export const DataKeyError = ServerError<DataKeyErrorCode>;
export type DataKeyError = ServerError<DataKeyErrorCode>;

const CANONICAL_B64 = /^[A-Za-z0-9+/]{43}=$/;

/** keys/data.key: 32 random bytes, base64 in one line. Throws DataKeyError DATA_KEY_INVALID on a bad file. */
export async function readDataKey(path: string): Promise<Uint8Array> {
  const text = await readFile(path, 'utf8');
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  const key = CANONICAL_B64.test(line) ? Buffer.from(line, 'base64') : null;
  // The round trip refuses non-canonical spellings (stray low bits in the last character).
  if (!key || key.length !== DATA_KEY_BYTES || key.toString('base64') !== line) {
    throw new DataKeyError('DATA_KEY_INVALID', `${path} is not a data key (one line of base64 holding 32 bytes)`);
  }
  return new Uint8Array(key);
}

/**
 * Loads keys/data.key, creating it (32 random bytes, mode 0600) when missing. `created` tells
 * the caller whether this call made it.
 *
 * The new key is linked into place, which fails if the file appeared meanwhile: two processes
 * starting together agree on one key instead of the later one replacing a key that may already
 * have sealed data.
 */
export async function loadOrCreateDataKey(path: string): Promise<{ key: Uint8Array; created: boolean }> {
  try {
    const key = await readDataKey(path);
    await tightenMode(path);
    return { key, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(DATA_KEY_BYTES);
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', KEY_MODE);
  try {
    await handle.writeFile(`${key.toString('base64')}\n`, 'utf8');
    await handle.chmod(KEY_MODE);
    await handle.sync();
    await handle.close();
    await link(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: await readDataKey(path), created: false };
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
  // The new directory entry must be durable before anything is sealed with the key.
  await syncDir(dirname(path));
  return { key: new Uint8Array(key), created: true };
}

/** keys/data.key: 32 random bytes, base64 in one line, mode 0600; created if missing. */
export async function ensureDataKey(path: string): Promise<Uint8Array> {
  return (await loadOrCreateDataKey(path)).key;
}

async function tightenMode(path: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) await chmod(path, KEY_MODE);
}
