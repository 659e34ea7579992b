import { stat } from 'node:fs/promises';

/** What the data-dir, setup and TLS tests check about a path on disk. */

/** The permission bits of `path`, e.g. 0o700. */
export async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Whether anything stands at `path`. */
export function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
