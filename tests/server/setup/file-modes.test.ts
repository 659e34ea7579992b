import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBank } from '../../helpers/test-bank.js';
import { helloCode } from '../integration/login-kit.js';

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

function allEntries(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out.push(path);
    if (statSync(path).isDirectory()) out.push(...allEntries(path));
  }
  return out;
}

describe('data dir file modes', () => {
  const dirs: string[] = [];
  const umask = process.umask();
  afterEach(() => {
    process.umask(umask);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps ledger.db, -wal, -shm and every other file 0600 (dirs 0700) in a 0755 dir under umask 022', async () => {
    process.umask(0o022);
    const dataDir = mkdtempSync(join(tmpdir(), 'secure-atm-modes-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755);
    // A file restored from a backup with loose modes.
    mkdirSync(join(dataDir, 'audit'), { mode: 0o755 });
    writeFileSync(join(dataDir, 'audit', 'restored.jsonl'), '', { mode: 0o644 });
    const bank = await startTestBank({ dataDir });
    try {
      expect(await helloCode(bank, { user: 'alice', password: 'Correct-Horse-42!', method: 'register' })).toBe(
        'welcome',
      );
      for (const name of ['ledger.db', 'ledger.db-wal', 'ledger.db-shm'])
        expect(modeOf(join(dataDir, name))).toBe(0o600);
      for (const path of allEntries(dataDir)) {
        // Nothing for group or others; directories exactly 0700.
        expect({ path, open: modeOf(path) & 0o077 }).toEqual({ path, open: 0 });
        if (statSync(path).isDirectory()) expect({ path, mode: modeOf(path) }).toEqual({ path, mode: 0o700 });
      }
    } finally {
      await bank.dispose({ keepDir: true });
    }
  });
});
