import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent, decryptAll, readAuditorSecretKey, verifySegments } from '../../audit/index.js';
import { FIRE_PASSWORD, segmentPaths, sleep } from '../fire/fire-kit.js';
import { RawClient } from '../helpers/raw-client.js';
import { BIN, runCli, type SpawnedServer, spawnBankServer, verifyAuditOf } from '../helpers/spawn-server.js';

// The real server (needs `npm run build`), SIGKILLed under load on a busy machine: every
// deposit a client was told succeeded must have exactly one audit record in each log.
const CLIENTS = 60;
const KILLS = 3;
const LOAD_MS = 2500;

/**
 * Busy loops on every core, and the server at the lowest priority: it is descheduled at
 * random points between answering and writing, as on a loaded host.
 */
function burnCpu(): ChildProcess[] {
  return Array.from({ length: Math.min(availableParallelism(), 8) * 3 }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

const previousDelay = process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS;
beforeAll(() => {
  // The writer's test seam: audit batches are held back, as a slow disk would hold them.
  process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS = '40';
});
afterAll(() => {
  if (previousDelay === undefined) delete process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS;
  else process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS = previousDelay;
});

async function login(server: SpawnedServer, users: string[], method: 'register' | 'password') {
  const ca = await readFile(server.caPath, 'utf8');
  return Promise.all(
    users.map(async (user) => {
      // 60 checks at once from one address on a loaded machine: admission may answer SERVER_BUSY
      // with a retryAfterMs (§2.1), and a client comes back then, as a real one would.
      for (let attempt = 1; ; attempt++) {
        // Deposits are cash: the clients are the spawned bank's enrolled test terminal.
        const client = await RawClient.connect({
          port: server.port,
          ca,
          cert: server.terminal.cert,
          key: server.terminal.key,
        });
        const reply = await client.hello({ user, password: FIRE_PASSWORD, method });
        if (reply.kind === 'welcome') return client;
        client.destroy();
        if (reply.code !== 'SERVER_BUSY' || attempt === 10) throw new Error(`${user}: ${reply.code}`);
        await sleep(reply.retryAfterMs ?? 250);
      }
    }),
  );
}

describe('nothing acknowledged goes unaudited', () => {
  it('SIGKILL under load, three times: each acknowledged deposit has exactly one record in each log', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-outbox-'));
    const users = Array.from({ length: CLIENTS }, (_, i) => `outbox${String(i).padStart(3, '0')}`);
    const acknowledged = new Map<string, string>(); // request id -> txId
    let server: SpawnedServer | null = null;
    let burners: ChildProcess[] = [];
    let clients: RawClient[] = [];
    let counter = 0;
    let leftByCrashes = 0;
    try {
      // 60 clients log in at once from one address: each attempt holds a failed-login slot while it runs.
      server = await spawnBankServer(['--allow-registration', '--max-failed-logins-per-minute', '1000'], dataDir);
      clients = await login(server, users, 'register');
      for (let cycle = 1; cycle <= KILLS; cycle++) {
        let stop = false;
        const loops = clients.map(async (client, index) => {
          while (!stop) {
            const id = `k${cycle}-${index}-${counter++}`;
            try {
              const reply = await client.call({ id, op: 'deposit', amountCents: 100 + (counter % 900) });
              const txId = (reply.result as { txId?: unknown } | undefined)?.txId;
              if (reply.ok === true && typeof txId === 'string') acknowledged.set(id, txId);
            } catch {
              return; // the kill cut this one off: its outcome is unknown, and not counted
            }
          }
        });
        burners = burnCpu();
        spawn('renice', ['-n', '19', '-p', String(server.proc.pid)], { stdio: 'ignore' }).on('error', () => {});
        await sleep(LOAD_MS);
        await server.stop('SIGKILL');
        stop = true;
        for (const b of burners) b.kill('SIGKILL');
        burners = [];
        await Promise.allSettled(loops);
        for (const c of clients) c.destroy();
        server = await spawnBankServer(['--allow-registration', '--max-failed-logins-per-minute', '1000'], dataDir);
        for (const line of server.stdout) {
          const o = JSON.parse(line) as { msg?: string; alreadyLogged?: number; pending?: number };
          if (o.msg === 'audit outbox: rows left by the last run')
            leftByCrashes += (o.alreadyLogged ?? 0) + (o.pending ?? 0);
        }
        clients = cycle < KILLS ? await login(server, users, 'password') : [];
      }
      // The last start must be past its signal handlers before it is asked to stop.
      await login(server, users.slice(0, 1), 'password').then((c) => c[0]?.destroy());
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(acknowledged.size).toBeGreaterThan(CLIENTS);

      const key = await readAuditorSecretKey(join(dataDir, 'keys', 'auditor.key'));
      const segments = await segmentPaths(dataDir);
      const sealed = await decryptAll(segments, key);
      const plain = (await readFile(join(dataDir, 'audit', 'audit.log'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditEvent);
      for (const [name, events] of [
        ['encrypted segments', sealed],
        ['audit.log', plain],
      ] as const) {
        const count = new Map<string, number>();
        for (const e of events) {
          if (e.kind === 'request' && e.op === 'deposit' && e.requestId) {
            count.set(e.requestId, (count.get(e.requestId) ?? 0) + 1);
          }
        }
        const missing = [...acknowledged.keys()].filter((id) => !count.has(id));
        const repeated = [...count].filter(([, n]) => n > 1).map(([id]) => id);
        expect(missing, `${name}: acknowledged deposits with no audit record`).toEqual([]);
        expect(repeated, `${name}: deposits audited more than once`).toEqual([]);
        for (const e of events) {
          if (e.requestId && acknowledged.has(e.requestId) && e.kind === 'request') {
            expect(e.txId).toBe(acknowledged.get(e.requestId));
          }
        }
      }

      // The kills did find audit events only the outbox held: the restarts drained them.
      expect(leftByCrashes).toBeGreaterThan(0);

      // Both logs still tell one story, and the chain holds (the kills are unclean ends).
      const report = await verifySegments(segments, {
        auditorSecretKey: key,
        plaintextLog: join(dataDir, 'audit', 'audit.log'),
      });
      key.fill(0);
      expect(report.problem, report.verdict).toBeNull();
      const cli = await verifyAuditOf(dataDir);
      expect(cli.code, cli.stdout + cli.stderr).toBe(2);

      // The operator's cross-check says the same from the ledger's side, and names a record removed.
      const cross = await runCli(BIN.bankServer, ['ledger', 'verify', '--data-dir', dataDir, '--audit', dataDir]);
      expect(cross.code, cross.stdout + cross.stderr).toBe(0);
      expect(cross.stdout).toMatch(/audit OK: each of \d+ transactions has exactly one record/);
      const logPath = join(dataDir, 'audit', 'audit.log');
      const [victim, txId] = [...acknowledged][0] ?? ['', ''];
      const lines = (await readFile(logPath, 'utf8')).split('\n');
      await writeFile(logPath, lines.filter((l) => !l.includes(`"requestId":"${victim}"`)).join('\n'));
      const broken = await runCli(BIN.bankServer, ['ledger', 'verify', '--data-dir', dataDir, '--audit', dataDir]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain(`no audit record for ${txId}`);
    } finally {
      for (const b of burners) b.kill('SIGKILL');
      for (const c of clients) c.destroy();
      await server?.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
