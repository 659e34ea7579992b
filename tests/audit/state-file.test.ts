import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditState, readAuditState, writeAuditState } from '../../audit/index.js';
import { REPO_ROOT } from '../helpers/spawn-server.js';
import { removeTempDirs, tempDir } from './audit-fixtures.js';

afterEach(removeTempDirs);

const KEY = Buffer.alloc(32, 7).toString('base64');
const HASH = Buffer.alloc(32, 9).toString('base64');

function stateAt(seq: number): AuditState {
  return {
    format: 'secure-atm-audit-state/1',
    chains: {
      main: {
        signers: [KEY],
        head: { segment: 'x-0001.enc', seq, hash: HASH, signature: 'sig', signer: KEY, at: '2025-01-01T00:00:00Z' },
      },
    },
  };
}

describe('the auditor state file', () => {
  it('round-trips', async () => {
    const file = join(await tempDir('audit-state-'), 'state.json');
    await writeAuditState(file, stateAt(5));
    expect(await readAuditState(file)).toEqual(stateAt(5));
  });

  it('a process killed in the middle of replacing it leaves the old state intact (needs npm run build)', async () => {
    const dir = await tempDir('audit-state-');
    const file = join(dir, 'state.json');
    await writeAuditState(file, stateAt(5));
    const module = pathToFileURL(join(REPO_ROOT, 'dist', 'audit', 'state', 'audit-state.js')).href;
    // The child writes the new state completely under its temp name, then dies before the rename.
    const script = `import { writeAuditState } from ${JSON.stringify(module)};
      await writeAuditState(${JSON.stringify(file)}, ${JSON.stringify(stateAt(99))}, {
        beforeRename: () => process.kill(process.pid, 'SIGKILL'),
      });`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(await readAuditState(file)).toEqual(stateAt(5));
    // The torn attempt is only a stray temp file beside it; the next write replaces the state.
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(true);
    await writeAuditState(file, stateAt(6));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(stateAt(6));
  });
});
