import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnBankServer } from '../../helpers/spawn-server.js';

/** `start --ledger sqlite:<file>`: a ledger file outside the data dir serves, locked like the data dir's. */
describe('bank-server start --ledger sqlite:<file>', () => {
  it('serves from that file, and a second server on the same file is refused', async () => {
    const root = await makeTempDir();
    const ledger = `sqlite:${join(root, 'elsewhere.db')}`;
    const first = await spawnBankServer(['--ledger', ledger], join(root, 'a'));
    try {
      await expect(spawnBankServer(['--ledger', ledger], join(root, 'b'))).rejects.toThrow(/LEDGER_LOCKED/);
    } finally {
      await first.stop('SIGTERM');
      await removeTempDir(root);
    }
  });
});
