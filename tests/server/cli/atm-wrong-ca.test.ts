import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  makeTempDir,
  removeTempDir,
  runCli,
  type SpawnedServer,
  spawnBankServer,
} from '../../helpers/spawn-server.js';

describe('atm with the wrong --ca', () => {
  let server: SpawnedServer;
  let other: string;
  beforeAll(async () => {
    server = await spawnBankServer();
    other = await makeTempDir('secure-atm-other-bank-');
    expect((await runCli(BIN.bankServer, ['init', '--data-dir', other])).code).toBe(0);
  });
  afterAll(async () => {
    await server.dispose();
    await removeTempDir(other);
  });

  it('says in one line that the server certificate is not signed by that file', async () => {
    const wrongCa = join(other, 'tls', 'ca.crt');
    const res = await runCli(BIN.atm, [
      'exec',
      'ping',
      '--port',
      String(server.port),
      '--ca',
      wrongCa,
      '--user',
      'nobody',
      '--password',
      'Correct-Horse-42!',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
    expect(res.stderr).toContain(`the server's certificate is not signed by ${wrongCa}: check --ca`);
  });
});
