import { dirname } from 'node:path';
import { replaceFileAtomic, syncDir } from '../../audit/index.js';

export { syncDir };

/**
 * Writes a file so that readers see the old content or the new, never half of it, with its
 * final mode from the start (audit/'s replaceFileAtomic), and the directory fsynced so the
 * rename survives a crash.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  await replaceFileAtomic(path, data, mode);
  await syncDir(dirname(path));
}
