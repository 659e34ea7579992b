import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Owner-only modes for everything the bank keeps: files 0600, directories 0700. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Narrow every file under the data dir to 0600 and every subdirectory to 0700, whatever the
 * umask or the modes they were created or restored with (a backup copied in with 0644, SQLite's
 * -wal/-shm made under a loose umask). Symlinks are left alone. The data dir itself keeps its
 * mode (it may be a directory the operator chose); nothing in it is readable by others.
 * Returns how many entries were changed.
 */
export async function narrowDataDirModes(root: string): Promise<number> {
  let changed = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const info = await lstat(path).catch(() => null);
      if (!info || info.isSymbolicLink()) continue;
      if (info.isDirectory()) {
        if ((info.mode & 0o777) !== PRIVATE_DIR_MODE) {
          await chmod(path, PRIVATE_DIR_MODE);
          changed++;
        }
        await walk(path);
      } else if (info.isFile() && (info.mode & 0o077) !== 0) {
        await chmod(path, info.mode & 0o700 & PRIVATE_FILE_MODE);
        changed++;
      }
    }
  };
  await walk(root);
  return changed;
}
