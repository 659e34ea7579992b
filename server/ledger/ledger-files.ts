/** The ledger file's permissions on disk. */
import { chmodSync, existsSync } from 'node:fs';

/**
 * The ledger file and SQLite's -wal and -shm beside it are the owner's alone (0600), whatever the
 * umask they were created under. SQLite gives a new -wal/-shm the main file's mode, so narrowing
 * the main file keeps the later ones narrow too.
 */
export function restrictLedgerFiles(path: string): void {
  if (path === ':memory:' || path === '') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (existsSync(file)) chmodSync(file, 0o600);
    } catch {
      // Not ours to change (a read-only copy): opening it is still fine.
    }
  }
}
