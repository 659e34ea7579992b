import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { BIN, runCli, type SpawnedServer, spawnBankServer } from '../../helpers/spawn-server.js';

describe('bank-server top --once against a running server', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnBankServer(['--allow-registration']);
  });
  afterAll(async () => {
    await server.stop('SIGKILL');
    await rm(server.dataDir, { recursive: true, force: true });
  });

  it('shows the load as requests per second, the ops, and the terminals table', async () => {
    const client = await RawClient.login({
      port: server.port,
      ca: await readFile(server.caPath, 'utf8'),
      user: 'watched',
      password: 'Correct-Horse-42!',
      method: 'register',
    });
    // A little load for as long as top is sampling (its two polls are a second apart).
    let loading = true;
    const load = (async () => {
      let n = 0;
      while (loading) {
        await client.call({ op: n % 2 === 0 ? 'balance' : 'deposit', ...(n % 2 === 0 ? {} : { amountCents: 100 }) });
        n++;
      }
      return n;
    })();
    const top = await runCli(BIN.bankServer, ['top', '--once', '--admin-port', String(server.adminPort)]);
    loading = false;
    expect(await load).toBeGreaterThan(0);
    client.destroy();

    expect(top.stderr).toBe('');
    expect(top.code).toBe(0);
    const lines = top.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    const reqPerSec = Number(/req\/s ([\d.]+)/.exec(lines[1] ?? '')?.[1]);
    expect(reqPerSec).toBeGreaterThan(0);
    expect(top.stdout).toMatch(/sessions 1\b/);
    expect(top.stdout).toMatch(/^balance\s+[\d.]+\s+\d+\s+ok \d+/m);
    expect(top.stdout).toMatch(/^TERMINAL\s+STATUS\s+CASH\s+LAST SEEN/m);
  });

  it('fails with one line when no server answers', async () => {
    const top = await runCli(BIN.bankServer, ['top', '--once', '--admin', 'http://127.0.0.1:9']);
    expect(top.code).toBe(1);
    expect(top.stderr.trim().split('\n')).toHaveLength(1);
    expect(top.stderr).toMatch(/^bank-server: no bank server answering at http:\/\/127\.0\.0\.1:9/);
  });

  it('refuses a live screen without a terminal', async () => {
    const top = await runCli(BIN.bankServer, ['top', '--admin-port', String(server.adminPort)]);
    expect(top.code).toBe(1);
    expect(top.stderr).toContain('needs an interactive terminal; use --once');
  });
});
