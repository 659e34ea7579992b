/**
 * Three bank-server processes on one PostgreSQL ledger under load; one is SIGKILLed mid-load. Its
 * clients move to the others and re-send what was not confirmed, with the same ids. Afterwards:
 * every acknowledged request is there exactly once, money is conserved, the ledger verifies,
 * every instance's audit chain verifies (the killed one up to its unclean end, once it restarted
 * and drained its outbox) and every ledger transaction has exactly one audit record.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuditorSecretKey, verifySegments } from '../../audit/index.js';
import { dataDirPaths } from '../../server/data-dir.js';
import { DEFAULT_LEDGER_CONFIG, formatTxId } from '../../server/ledger/index.js';
import { PostgresLedger } from '../../server/ledger/postgres/index.js';
import { issueTerminalCertificate, loadTerminalCa } from '../../server/tls/index.js';
import { type PostgresCluster, startPostgresCluster } from '../helpers/postgres-cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { BIN, runCli, type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import type { TestTerminal } from '../helpers/test-terminal.js';
import { balanceOf, FIRE_PASSWORD, fireSeed, pick, randomInt, seededRandom, sleep } from './fire-kit.js';

const INSTANCES = ['a', 'b', 'c'] as const;
const CLIENTS = 60;
const KILLED = 'b';

type Body =
  | { op: 'deposit'; amountCents: number }
  | { op: 'withdraw'; amountCents: number }
  | { op: 'transfer'; to: string; amountCents: number };

interface Sent {
  id: string;
  user: string;
  body: Body;
  response: Record<string, unknown> | null;
}

let cluster: PostgresCluster;
let url: string;
const dirs = new Map<string, string>();
let terminal: TestTerminal;

const startArgs = (id: string) => [
  '--ledger',
  url,
  '--instance-id',
  id,
  '--allow-registration',
  '--max-failed-logins-per-minute',
  '10000',
];

const spawnInstance = (id: string) => spawnBankServer(startArgs(id), dirs.get(id), { terminal });

/** The folder of an instance's chain: audit/instances/<id>/ where it exists, else audit/. */
async function chainDir(dataDir: string, id: string): Promise<string> {
  const own = join(dataDir, 'audit', 'instances', id);
  return (await stat(own).catch(() => null))?.isDirectory() ? own : join(dataDir, 'audit');
}

beforeAll(async () => {
  cluster = await startPostgresCluster();
  url = await cluster.createDatabase('multi');
  // One data dir made by init, the others by init --from it (one bank, three machines).
  const first = await mkdtemp(join(tmpdir(), 'multi-a-'));
  const init = await runCli(BIN.bankServer, ['init', '--data-dir', first]);
  expect(init.code, init.stderr).toBe(0);
  dirs.set('a', first);
  for (const id of INSTANCES.slice(1)) {
    const dir = await mkdtemp(join(tmpdir(), `multi-${id}-`));
    // The other machines' data dirs: the shared keys and CAs only (`init --from`).
    const from = await runCli(BIN.bankServer, ['init', '--from', first, '--data-dir', dir]);
    expect(from.code, from.stderr).toBe(0);
    dirs.set(id, dir);
  }
  const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 });
  try {
    const issued = await issueTerminalCertificate(await loadTerminalCa(dataDirPaths(first)), {
      id: 'ATM-MULTI-1',
      days: 30,
      now: new Date(),
    });
    await ledger.enrollTerminal({ id: 'ATM-MULTI-1', fingerprint: issued.fingerprint });
    await ledger.moveTerminalCash({ id: 'ATM-MULTI-1', kind: 'load', amountCents: 1_000_000_000 });
    terminal = {
      id: 'ATM-MULTI-1',
      cert: issued.cert,
      key: issued.key as string,
      certPath: '',
      keyPath: '',
      fingerprint: issued.fingerprint,
    };
  } finally {
    await ledger.close();
  }
}, 120_000);

afterAll(async () => {
  cluster?.stop();
  for (const dir of dirs.values()) await rm(dir, { recursive: true, force: true });
});

describe('three instances on one PostgreSQL ledger, one SIGKILLed mid-load', () => {
  const seed = fireSeed();
  const because = (what: string) => `${what} (seed ${seed}; replay with FIRE_SEED=${seed})`;

  it(`loses nothing and records everything once (seed ${seed})`, async () => {
    const servers = new Map<string, SpawnedServer>();
    for (const id of INSTANCES) servers.set(id, await spawnInstance(id));
    const ca = await readFile(join(dirs.get('a') as string, 'tls', 'ca.crt'), 'utf8');
    const users = Array.from({ length: CLIENTS }, (_, i) => `multi${String(i).padStart(3, '0')}`);
    const homeOf = (index: number) => INSTANCES[index % INSTANCES.length] as string;
    // 60 logins at once: SERVER_BUSY (admission, §2.1) is answered as an ATM would, by trying again.
    const connect = async (id: string, user: string, method: 'password' | 'register'): Promise<RawClient> => {
      const server = servers.get(id) as SpawnedServer;
      for (let attempt = 1; ; attempt++) {
        const client = await RawClient.connect({ port: server.port, ca, cert: terminal.cert, key: terminal.key });
        const reply = await client.hello({ user, password: FIRE_PASSWORD, method });
        if (reply.kind === 'welcome') return client;
        client.destroy();
        if (reply.code !== 'SERVER_BUSY' || attempt >= 20) throw new Error(`${user} on ${id}: ${reply.code}`);
        await sleep(100 * attempt);
      }
    };
    const clients = await Promise.all(users.map((user, i) => connect(homeOf(i), user, 'register')));
    const sent: Sent[] = [];
    let counter = 0;
    const nextBody = (rng: () => number, user: string): Body => {
      const roll = rng();
      if (roll < 0.4) return { op: 'deposit', amountCents: randomInt(rng, 100, 20_000) };
      if (roll < 0.7) return { op: 'withdraw', amountCents: randomInt(rng, 100, 5_000) };
      let to = pick(rng, users);
      if (to === user) to = users[(users.indexOf(user) + 1) % users.length] as string;
      return { op: 'transfer', to, amountCents: randomInt(rng, 100, 5_000) };
    };

    // ---- the bench mix on every client until told to stop; a client whose instance dies stops
    let stop = false;
    const loop = async (index: number, client: RawClient, phase: number) => {
      const user = users[index] as string;
      const rng = seededRandom(seed + phase * 1000 + index);
      while (!stop) {
        const body = nextBody(rng, user);
        const op: Sent = { id: `m${phase}-${user}-${counter++}`, user, body, response: null };
        sent.push(op);
        try {
          op.response = await client.call({ id: op.id, ...body });
        } catch (err) {
          if (process.env.MULTI_DEBUG) console.log(op.id, String(err));
          return false; // its connection died with this request in flight
        }
      }
      return true;
    };
    const running = clients.map((client, index) => loop(index, client, 1));
    await sleep(randomInt(seededRandom(seed), 1_500, 2_500));
    await (servers.get(KILLED) as SpawnedServer).stop('SIGKILL');

    // ---- the killed instance's clients move to the others and re-send their unconfirmed request
    const movedTo = new Map<number, RawClient>();
    const moved = users.map(async (user, index) => {
      if (homeOf(index) !== KILLED) return;
      await running[index];
      const target = INSTANCES.filter((id) => id !== KILLED)[index % 2] as string;
      const client = await connect(target, user, 'password');
      for (const op of sent) {
        if (op.user === user && op.response === null) op.response = await client.call({ id: op.id, ...op.body });
      }
      movedTo.set(index, client);
    });
    await Promise.all(moved);
    // ---- load goes on for a moment on the survivors, then stops
    const more = [...movedTo].map(([index, client]) => loop(index, client, 2));
    await sleep(500);
    stop = true;
    await Promise.all([...running, ...more]);
    const live = users.map((_, index) => movedTo.get(index) ?? (clients[index] as RawClient));

    const acknowledged = sent.filter((op) => op.response !== null);
    expect(acknowledged.length, because('load ran')).toBeGreaterThan(CLIENTS);
    expect(
      sent.filter((op) => op.response === null).map((op) => `${op.id} of ${homeOf(users.indexOf(op.user))}`),
      because('every request answered'),
    ).toEqual([]);

    // ---- every acknowledged request exactly once: its id replays with the same outcome
    for (const op of acknowledged) {
      if (op.response?.ok !== true) continue;
      const index = users.indexOf(op.user);
      const again = await (live[index] as RawClient).call({ id: op.id, ...op.body });
      expect(again, because(`re-sending ${op.id}`)).toMatchObject({
        ok: true,
        result: { replayed: true, txId: (op.response.result as { txId: string }).txId },
      });
    }

    // ---- money conserved: each balance is the sum of what was applied to it
    const expected = new Map(users.map((u) => [u, 0]));
    for (const op of acknowledged) {
      if (op.response?.ok !== true) continue;
      const { body } = op;
      const add = (user: string, cents: number) => expected.set(user, (expected.get(user) ?? 0) + cents);
      if (body.op === 'deposit') add(op.user, body.amountCents);
      if (body.op === 'withdraw') add(op.user, -body.amountCents);
      if (body.op === 'transfer') {
        add(op.user, -body.amountCents);
        add(body.to, body.amountCents);
      }
    }
    for (const [index, user] of users.entries()) {
      const balance = balanceOf(await (live[index] as RawClient).call({ op: 'balance' }));
      expect(balance, because(`${user}'s balance`)).toBe(expected.get(user));
    }
    for (const client of live) client.destroy();

    // ---- the killed instance starts again with its id and drains what its outbox still held
    servers.set(KILLED, await spawnInstance(KILLED));
    for (const [id, server] of servers) expect(await server.stop('SIGTERM'), because(`${id} stops cleanly`)).toBe(0);

    const verify = await runCli(BIN.bankServer, ['ledger', 'verify', '--ledger', url]);
    expect(verify.code, because(`ledger verify: ${verify.stdout}${verify.stderr}`)).toBe(0);
    // The operator's own cross-check: every ledger transaction has one audit record across the chains.
    const crossCheck = await runCli(BIN.bankServer, ['ledger', 'verify', '--ledger', url, '--audit', ...dirs.values()]);
    expect(crossCheck.code, because(`ledger verify --audit: ${crossCheck.stdout}${crossCheck.stderr}`)).toBe(0);

    // ---- every chain verifies; only the killed one has an unclean end (one)
    const records = new Map<string, number>();
    for (const id of INSTANCES) {
      const dataDir = dirs.get(id) as string;
      const chain = await chainDir(dataDir, id);
      const segments = (await readdir(join(chain, 'segments')))
        .filter((n) => n.endsWith('.enc'))
        .sort()
        .map((n) => join(chain, 'segments', n));
      // The auditor's secret stays with the first data dir (init --from copies only the public key).
      const key = await readAuditorSecretKey(join(dirs.get('a') as string, 'keys', 'auditor.key'));
      const report = await verifySegments(segments, { auditorSecretKey: key, plaintextLog: join(chain, 'audit.log') });
      key.fill(0);
      expect(report.problem, because(`instance ${id}'s chain: ${report.verdict}`)).toBeNull();
      expect(report.uncleanEnds.length, because(`instance ${id}'s unclean ends`)).toBe(id === KILLED ? 1 : 0);
      for (const line of (await readFile(join(chain, 'audit.log'), 'utf8')).split('\n')) {
        if (!line) continue;
        const event = JSON.parse(line) as {
          kind?: string;
          outcome?: string;
          txId?: string;
          detail?: { replayed?: boolean };
        };
        if (event.kind !== 'request' || typeof event.txId !== 'string' || event.detail?.replayed === true) continue;
        records.set(event.txId, (records.get(event.txId) ?? 0) + 1);
      }
    }

    // ---- and every ledger transaction has exactly one audit record across the three chains
    const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1, readOnly: true });
    try {
      const { rows } = await ledger.pool.query<{ seq: number }>(
        "SELECT seq FROM transactions WHERE kind NOT IN ('load', 'unload') ORDER BY seq",
      );
      const txIds = rows.map((r) => formatTxId(Number(r.seq)));
      expect(txIds.length, because('transactions committed')).toBeGreaterThan(CLIENTS);
      const wrong = txIds.filter((txId) => records.get(txId) !== 1);
      expect(wrong, because('transactions without exactly one audit record')).toEqual([]);
      expect(records.size, because('audit records of transactions the ledger does not hold')).toBe(txIds.length);
    } finally {
      await ledger.close();
    }
  }, 240_000);
});
