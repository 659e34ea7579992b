/**
 * Several bank-server instances on one PostgreSQL ledger (DESIGN.md "Ledger backends and
 * instances"): what one instance commits, refuses or locks holds on every other; an id runs once;
 * every committed transaction reaches exactly one instance's audit log.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirPaths } from '../../../server/data-dir.js';
import { DEFAULT_SERVER_CONFIG, type RunningBank, type ServerConfig, startBank } from '../../../server/index.js';
import { DEFAULT_LEDGER_CONFIG } from '../../../server/ledger/index.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { issueTerminalCertificate, loadTerminalCa } from '../../../server/tls/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';
import { RawClient } from '../../helpers/raw-client.js';

let cluster: PostgresCluster;
let url: string;
let dirA: string;
let dirB: string;
let a: RunningBank;
let b: RunningBank;
let operatorLedger: PostgresLedger;
let terminal: { cert: string; key: string };

function configFor(dataDir: string, instanceId: string): ServerConfig {
  return {
    ...DEFAULT_SERVER_CONFIG,
    dataDir,
    port: 0,
    adminPort: 0,
    bcryptCost: 4,
    allowRegistration: true,
    maxRegistrationsPerHour: 10_000,
    maxFailedLoginsPerMinute: 1_000,
    ledgerUrl: url,
    instanceId,
  };
}

const start = (dataDir: string, id: string) => startBank(configFor(dataDir, id), { logger: pino({ level: 'silent' }) });

async function at(bank: RunningBank, user: string, password: string, method: 'password' | 'register' = 'password') {
  return RawClient.login({ port: bank.port, ca: bank.caCert, ...terminal, user, password, method });
}

beforeAll(async () => {
  cluster = await startPostgresCluster();
  url = await cluster.createDatabase('instances');
  dirA = await mkdtemp(join(tmpdir(), 'instance-a-'));
  a = await start(dirA, 'a');
  // Instance b on another "machine": the same keys and CAs (what `init --from` copies).
  await a.stop();
  dirB = await mkdtemp(join(tmpdir(), 'instance-b-'));
  await cp(dirA, dirB, { recursive: true });
  await rm(join(dirB, 'locks'), { recursive: true, force: true });
  operatorLedger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 2 });
  const paths = dataDirPaths(dirA);
  const issued = await issueTerminalCertificate(await loadTerminalCa(paths), {
    id: 'ATM-PG-1',
    days: 30,
    now: new Date(),
  });
  await operatorLedger.enrollTerminal({ id: 'ATM-PG-1', fingerprint: issued.fingerprint });
  await operatorLedger.moveTerminalCash({ id: 'ATM-PG-1', kind: 'load', amountCents: 10_000_000 });
  terminal = { cert: issued.cert, key: issued.key as string };
  a = await start(dirA, 'a');
  b = await start(dirB, 'b');
}, 120_000);

afterAll(async () => {
  await a?.stop().catch(() => {});
  await b?.stop().catch(() => {});
  await operatorLedger?.close().catch(() => {});
  cluster?.stop();
  for (const dir of [dirA, dirB]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('instances on one PostgreSQL ledger', () => {
  const txIds: string[] = [];

  it('a deposit on one instance is the balance on the other, and a retry there replays it', async () => {
    const onA = await at(a, 'pgalice', 'Vq8-tumble-Orchid-41', 'register');
    const deposit = await onA.call({ op: 'deposit', id: 'dep-1', amountCents: 50_000 });
    expect(deposit.ok).toBe(true);
    txIds.push((deposit.result as { txId: string }).txId);
    const onB = await at(b, 'pgalice', 'Vq8-tumble-Orchid-41');
    const balance = await onB.call({ op: 'balance' });
    expect((balance.result as { balanceCents: number }).balanceCents).toBe(50_000);
    const withdraw = { op: 'withdraw', id: 'wd-1', amountCents: 20_000 };
    const first = await onA.call(withdraw);
    expect(first.ok).toBe(true);
    txIds.push((first.result as { txId: string }).txId);
    // The same id again, on the other instance (an ATM that lost the answer and reconnected there).
    const again = await onB.call(withdraw);
    expect(again.result).toMatchObject({ replayed: true, txId: (first.result as { txId: string }).txId });
    expect(((await onB.call({ op: 'balance' })).result as { balanceCents: number }).balanceCents).toBe(30_000);
    const conflict = await onB.call({ ...withdraw, amountCents: 1 });
    expect((conflict.error as { code: string }).code).toBe('IDEMPOTENCY_CONFLICT');
    onA.destroy();
    onB.destroy();
  });

  it('failed logins on one instance lock the name on the other', async () => {
    const setup = await at(a, 'pgbob', 'Rk3-pebble-Lantern-77', 'register');
    setup.destroy();
    for (let k = 0; k < DEFAULT_SERVER_CONFIG.lockoutThreshold; k++) {
      const client = await RawClient.connect({ port: a.port, ca: a.caCert, ...terminal });
      const reply = await client.hello({ user: 'pgbob', password: 'wrong password here' });
      expect(reply.kind).toBe('error');
      client.destroy();
    }
    const client = await RawClient.connect({ port: b.port, ca: b.caCert, ...terminal });
    const reply = await client.hello({ user: 'pgbob', password: 'Rk3-pebble-Lantern-77' });
    expect(reply).toMatchObject({ kind: 'error', code: 'ACCOUNT_LOCKED' });
    client.destroy();
  });

  it("an operator's lock ends the account's session on every instance within 2 s", async () => {
    const onB = await at(b, 'pgalice', 'Vq8-tumble-Orchid-41');
    const lockedAt = Date.now();
    expect(await operatorLedger.setLocked('pgalice', true)).toBe(true);
    await operatorLedger.enqueueOperatorAction({ action: 'lock', user: 'pgalice' });
    // The session ends (a notice may come first): the connection closes.
    while ((await onB.nextFrame(4_000)) !== null && Date.now() - lockedAt < 4_000);
    expect(onB.closed).toBe(true);
    expect(Date.now() - lockedAt).toBeLessThan(2_000);
    await operatorLedger.setLocked('pgalice', false);
    await operatorLedger.enqueueOperatorAction({ action: 'unlock', user: 'pgalice' });
  });

  it('names its instance and ledger in /status and labels its metrics', async () => {
    const status = (await (await fetch(`http://127.0.0.1:${b.adminPort}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'serving', instance: 'b', ledger: 'postgres' });
    const metrics = await (await fetch(`http://127.0.0.1:${b.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/^bank_requests_total\{[^}]*instance="b"[^}]*\} \d+$/m);
  });

  it('refuses a second instance with an id that is running', async () => {
    const dirC = await mkdtemp(join(tmpdir(), 'instance-c-'));
    try {
      await expect(start(dirC, 'a')).rejects.toMatchObject({ code: 'INSTANCE_ID_IN_USE' });
    } finally {
      await rm(dirC, { recursive: true, force: true });
    }
  });

  it('every transaction and operator action is in exactly one instance audit log', async () => {
    await a.stop();
    await b.stop();
    const logs = await Promise.all(
      [
        [dirA, 'a'],
        [dirB, 'b'],
      ].map(async ([dir, id]) =>
        // Each instance's own chain (an instance other than main writes audit/instances/<id>/).
        (await readFile(join(dir as string, 'audit', 'instances', id as string, 'audit.log'), 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { kind?: string; txId?: string; detail?: Record<string, unknown> }),
      ),
    );
    for (const txId of txIds) {
      // A replay repeats the original txId, marked replayed: it is not a second record of the transaction.
      const holders = logs.filter((events) =>
        events.some((e) => e.kind === 'request' && e.txId === txId && e.detail?.replayed !== true),
      );
      expect(holders, txId).toHaveLength(1);
    }
    const actions = logs.flat().filter((e) => e.kind === 'operator_action' && e.detail?.via === 'cli');
    expect(actions.map((e) => e.detail?.action).sort()).toEqual(['lock', 'unlock']);
    const { rows } = await operatorLedger.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_outbox');
    expect(rows[0]?.n).toBe(0);
  });
});

describe('per-address allowances across instances', () => {
  it('an address gets the failed-login allowance once across instances, not once per instance', async () => {
    const slotsUrl = await cluster.createDatabase('slots');
    const dirs = await Promise.all(['c', 'd'].map((id) => mkdtemp(join(tmpdir(), `instance-${id}-`))));
    const limited = (dataDir: string, instanceId: string) =>
      startBank(
        { ...configFor(dataDir, instanceId), ledgerUrl: slotsUrl, maxFailedLoginsPerMinute: 4 },
        { logger: pino({ level: 'silent' }) },
      );
    const c = await limited(dirs[0] as string, 'c');
    const d = await limited(dirs[1] as string, 'd');
    let tries = 0;
    // A new name each time: the per-name lockout (3) must not be what refuses.
    const attempt = async (bank: RunningBank) => {
      const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
      const reply = await client.hello({ user: `nobody-${tries++}`, password: 'Not-The-Password-9' });
      client.destroy();
      return reply.kind === 'error' ? reply.code : 'welcome';
    };
    try {
      const codes = [await attempt(c), await attempt(c), await attempt(d), await attempt(d)];
      expect(codes).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
      // Each instance saw only two failures from this address; together they saw the four allowed.
      expect(await attempt(c)).toBe('RATE_LIMITED');
      expect(await attempt(d)).toBe('RATE_LIMITED');
    } finally {
      await c.stop();
      await d.stop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  });
});
