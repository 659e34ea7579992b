import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { segmentFileName } from '../segment/segment-files.js';

/**
 * Create the next segment file of a run, never over an existing one (`ax`, 0600): number `n`,
 * or the next free number after it when another file took that name.
 */
export async function createSegmentFile(
  segmentsDir: string,
  run: string,
  n: number,
): Promise<{ file: FileHandle; path: string; number: number }> {
  for (let number = n; ; number++) {
    const path = join(segmentsDir, segmentFileName(run, number));
    try {
      return { file: await open(path, 'ax', 0o600), path, number };
    } catch (err) {
      if (!isErrno(err, 'EEXIST') || number > n + 1000) throw err;
    }
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory; the files in it are synced themselves.
  }
}
