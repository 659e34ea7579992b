import { writeSync } from 'node:fs';
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

/**
 * Append `text` to a file opened for appending, synchronously. A write into the page cache is a
 * few µs; sent to the threadpool it costs the event loop more than it saves: 6 KB appends measured
 * 11.5–13 µs of main-thread CPU each through `FileHandle.write` (request, wake-up, promise) against
 * 5.0 µs for `writeSync`, and the audit writer's two appends per batch were 5% of the server's main
 * thread at C=100. The fsyncs, the slow part, stay asynchronous. Throws as `write(2)` fails (EBADF on
 * a closed handle, ENOSPC, EIO).
 */
export function appendSync(file: FileHandle, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) at += writeSync(file.fd, bytes, at, bytes.length - at, null);
}
