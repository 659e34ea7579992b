import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface ReplaceFileHooks {
  /** Test seam: runs after the new content is on disk under its temp name, before the rename. */
  beforeRename?: () => void;
}

/**
 * Replaces a file so that readers see the old content or the new, never half of it: a temp file
 * beside it made with the final mode (a key is never readable by others, not even briefly),
 * fsynced, then renamed over the target. A failure leaves the old file and no temp file; a crash
 * may leave a stray `.tmp` beside it. The rename is durable once the directory is fsynced
 * ({@link syncDir}), which the caller does: the server's files require it, the auditor's state
 * file does it where the platform can.
 */
export async function replaceFileAtomic(
  path: string,
  data: string,
  mode: number,
  hooks: ReplaceFileHooks = {},
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.chmod(mode); // the umask may have narrowed what open() set
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  hooks.beforeRename?.();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Makes a new directory entry durable (fsync of the directory). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
