import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { BIN, runCli, type SpawnedServer, spawnBankServer } from '../../helpers/spawn-server.js';

describe('bank-server as a process', () => {
  let server: SpawnedServer;
  let ca: string;
  beforeAll(async () => {
    server = await spawnBankServer(['--allow-registration']);
    ca = await readFile(server.caPath, 'utf8');
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('prints a pino "listening" line with the bound ports and creates the data dir layout', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.adminPort).toBeGreaterThan(0);
    for (const file of ['tls/ca.crt', 'tls/server.crt', 'keys/data.key', 'keys/audit-signing.key', 'ledger.db']) {
      await expect(stat(join(server.dataDir, file))).resolves.toBeTruthy();
    }
    for (const secret of ['tls/ca.key', 'tls/server.key', 'keys/data.key', 'keys/audit-signing.key']) {
      expect((await stat(join(server.dataDir, secret))).mode & 0o777).toBe(0o600);
    }
  });

  it('serves a client and reports it in `bank-server status`', async () => {
    const { cert, key } = server.terminal;
    const client = await RawClient.connect({ port: server.port, ca, cert, key });
    const reply = await client.hello({ user: 'procuser', password: 'Correct-Horse-42!', method: 'register' });
    expect(reply.kind).toBe('welcome');
    expect((await client.call({ op: 'deposit', amountCents: 100 })).ok).toBe(true);
    const status = await runCli(BIN.bankServer, ['status', '--admin-port', String(server.adminPort), '--json']);
    expect(status.code).toBe(0);
    const body = JSON.parse(status.stdout) as { sessions: number; requestsServed: number };
    expect(body.sessions).toBe(1);
    expect(body.requestsServed).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`http://127.0.0.1:${server.adminPort}/metrics`)).text();
    expect(metrics).toContain('bank_requests_total{op="deposit",outcome="ok"} 1');
    expect((await fetch(`http://127.0.0.1:${server.adminPort}/healthz`)).status).toBe(200);
    client.destroy();
  });

  it('on SIGTERM tells sessions SERVER_SHUTDOWN and exits 0', async () => {
    const own = await spawnBankServer(['--allow-registration']);
    const client = await RawClient.connect({ port: own.port, ca: await readFile(own.caPath, 'utf8') });
    await client.hello({ user: 'leaver', password: 'Correct-Horse-42!', method: 'register' });
    const exit = own.stop('SIGTERM');
    expect(await client.receive()).toMatchObject({ notice: 'SERVER_SHUTDOWN' });
    expect(await exit).toBe(0);
    await own.dispose();
  });
});

describe('bank-server usage errors', () => {
  it('prints help', async () => {
    const help = await runCli(BIN.bankServer, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/start/);
    const startHelp = await runCli(BIN.bankServer, ['start', '--help']);
    for (const option of ['--data-dir', '--allow-registration', '--idle-timeout', '--fraud-action', '--auditor-key']) {
      expect(startHelp.stdout).toContain(option);
    }
  });

  it('a bad option value is one line on stderr and a non-zero exit, no stack trace', async () => {
    const bad = await runCli(BIN.bankServer, ['start', '--port', 'lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--port/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('status with no server running says so in one line', async () => {
    const res = await runCli(BIN.bankServer, ['status', '--admin-port', '1']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/no bank server answering/);
  });
});
