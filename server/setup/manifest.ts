import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../tls/write-file-atomic.js';
import { SetupError } from './setup-error.js';

/**
 * `<data-dir>/data-dir.json`: which format the data dir is in, which instances used it, and
 * the files it holds with their SHA-256 fingerprints (null for files that change while the
 * server runs, like the ledger). `start` never recreates a file listed here.
 */
export interface DataDirManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  instances: string[];
  files: ManifestFile[];
}

export interface ManifestFile {
  /** Relative to the data dir, `/`-separated. */
  path: string;
  /** The format version that introduced the file. */
  since: number;
  sha256: string | null;
}

export const MANIFEST_FILE = 'data-dir.json';
export const MANIFEST_FORMAT = 'secure-atm-data-dir';

export async function readManifest(root: string): Promise<DataDirManifest | null> {
  const path = join(root, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const bad = (why: string) =>
    new SetupError(
      'DATA_DIR_MANIFEST_INVALID',
      `${path} is damaged (${why}); restore it from a backup of the data dir`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const m = parsed as Partial<DataDirManifest>;
  if (m.format !== MANIFEST_FORMAT) throw bad(`format is not "${MANIFEST_FORMAT}"`);
  if (!Number.isSafeInteger(m.version) || (m.version as number) < 1) throw bad('no format version');
  if (!Array.isArray(m.instances) || !m.instances.every((i) => typeof i === 'string')) throw bad('bad instances');
  if (
    !Array.isArray(m.files) ||
    !m.files.every(
      (f) =>
        typeof f?.path === 'string' &&
        Number.isSafeInteger(f.since) &&
        (f.sha256 === null || typeof f.sha256 === 'string') &&
        isInside(f.path),
    )
  ) {
    throw bad('bad file list');
  }
  return m as DataDirManifest;
}

/** Writes the manifest only when its content changes (an unchanged data dir stays byte for byte). */
export async function writeManifest(root: string, manifest: DataDirManifest): Promise<boolean> {
  const path = join(root, MANIFEST_FILE);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  try {
    if ((await readFile(path, 'utf8')) === text) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFileAtomic(path, text, 0o600);
  return true;
}

export async function fingerprint(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** A manifest path never leaves the data dir. */
function isInside(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.split('/').includes('..');
}
