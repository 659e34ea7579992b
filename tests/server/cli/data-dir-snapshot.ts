import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every entry under `root`: directories as `dir`, files as the SHA-256 of their bytes. */
export async function snapshotDir(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, prefix: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        out[`${rel}/`] = 'dir';
        await walk(path, rel);
      } else {
        out[rel] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      }
    }
  };
  await walk(root, '');
  return out;
}

/** The segment files of a data dir's audit log, in writing order. */
export async function segmentFiles(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'audit', 'segments');
  return (await readdir(dir))
    .filter((n) => n.endsWith('.enc'))
    .sort()
    .map((n) => join(dir, n));
}

/** The `type` of a segment's last line: `close` when the run that wrote it shut down in order. */
export async function lastLineType(segment: string): Promise<string> {
  const lines = (await readFile(segment, 'utf8')).trimEnd().split('\n');
  return (JSON.parse(lines.at(-1) ?? '{}') as { type?: string }).type ?? 'none';
}
