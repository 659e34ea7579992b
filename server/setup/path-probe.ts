import { stat } from 'node:fs/promises';

/** Whether something is at `path`; only "no such file" is a no, any other error is thrown. */
export async function exists(path: string): Promise<boolean> {
  return (await statOrNull(path)) !== null;
}

/** Whether `path` is a directory; missing is a no, any other error is thrown. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory() ?? false;
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
