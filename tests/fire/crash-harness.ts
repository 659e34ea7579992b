import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { verifyLedgerFile } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import {
  balanceOf,
  FIRE_PASSWORD,
  fullHistory,
  historyFault,
  ledgerVerifyCli,
  pick,
  randomInt,
  seededRandom,
  sleep,
  verifyAuditTrail,
} from './fire-kit.js';

type OpBody =
  | { op: 'deposit'; amountCents: number }
  | { op: 'withdraw'; amountCents: number }
  | { op: 'transfer'; to: string; amountCents: number }
  | { op: 'reverse'; txId: string; reason: 'NOT_DISPENSED' };

/** One request a client sent, and what (if anything) it heard back. */
interface SentOp {
  id: string;
  user: string;
  body: OpBody;
  cycle: number;
  /** The response, once one was received (before the kill, or on the re-send after it). */
  response: Record<string, unknown> | null;
}

export interface CrashScenario {
  clients: number;
  kills: number;
  /** How long load runs before each SIGKILL: a seeded pick in [min, max] ms. */
  loadMs: [number, number];
  seed: number;
  log: (line: string) => void;
}

export interface CrashSummary {
  acknowledged: number;
  unacknowledgedAtKills: number[];
  appliedBeforeKill: number[];
  auditVerdict: string;
}

// Every client logs in at once from one address after each restart, and each attempt holds a
// failed-login slot while its password check runs (protocol/README.md §2.1): lift that limit here.
const START_ARGS = ['--allow-registration', '--max-failed-logins-per-minute', '1000'];

function succeeded(op: SentOp): boolean {
  return op.response?.ok === true;
}

function txIdOf(op: SentOp): string {
  const txId = (op.response?.result as { txId?: unknown } | undefined)?.txId;
  if (typeof txId !== 'string') throw new Error(`${op.id} has no txId`);
  return txId;
}

/** What a successful op did to each balance; a reversal gives back its withdrawal's amount. */
function effects(op: SentOp, withdrawalAmount: Map<string, number>): Array<[string, number]> {
  const { body } = op;
  switch (body.op) {
    case 'deposit':
      return [[op.user, body.amountCents]];
    case 'withdraw':
      return [[op.user, -body.amountCents]];
    case 'transfer':
      return [
        [op.user, -body.amountCents],
        [body.to, body.amountCents],
      ];
    case 'reverse':
      return [[op.user, withdrawalAmount.get(body.txId) ?? Number.NaN]];
  }
}

/**
 * Crash recovery against a real server process: clients do random deposits, withdrawals,
 * transfers and reversals; the server is SIGKILLed mid-load and restarted on the same data
 * dir, `kills` times. After each restart every acknowledged change is there exactly once
 * (its id replays with the same txId, its entry is in the history once), an unacknowledged
 * one is either wholly applied or not at all, balances equal the sum of what was applied,
 * and `ledger verify` is clean. At the end the audit trail verifies up to the unclean ends.
 */
export async function runCrashScenario(scenario: CrashScenario): Promise<CrashSummary> {
  const { seed, log } = scenario;
  const because = (what: string) => `${what} (seed ${seed}; replay with FIRE_SEED=${seed})`;
  const random = seededRandom(seed);
  const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-crash-'));
  const users = Array.from({ length: scenario.clients }, (_, i) => `crash${String(i).padStart(3, '0')}`);
  const ops: SentOp[] = [];
  const withdrawalAmount = new Map<string, number>();
  const reversed = new Set<string>();
  const summary: CrashSummary = { acknowledged: 0, unacknowledgedAtKills: [], appliedBeforeKill: [], auditVerdict: '' };
  let server: SpawnedServer | null = null;
  let clients: RawClient[] = [];
  let opCounter = 0;

  const login = async (s: SpawnedServer, method: 'password' | 'register') => {
    const ca = await readFile(s.caPath, 'utf8');
    return Promise.all(
      users.map(async (user) => {
        const client = await RawClient.connect({ port: s.port, ca, cert: s.terminal.cert, key: s.terminal.key });
        const reply = await client.hello({ user, password: FIRE_PASSWORD, method });
        if (reply.kind !== 'welcome') throw new Error(`${user}: ${reply.code}`);
        return client;
      }),
    );
  };

  const nextBody = (rng: () => number, user: string): OpBody => {
    const roll = rng();
    const mine = ops.filter(
      (o) => o.user === user && o.body.op === 'withdraw' && succeeded(o) && !reversed.has(txIdOf(o)),
    );
    if (roll < 0.15 && mine.length > 0) {
      const txId = txIdOf(pick(rng, mine));
      reversed.add(txId);
      return { op: 'reverse', txId, reason: 'NOT_DISPENSED' };
    }
    if (roll < 0.45) return { op: 'deposit', amountCents: randomInt(rng, 100, 20_000) };
    if (roll < 0.75) return { op: 'withdraw', amountCents: randomInt(rng, 100, 5_000) };
    let to = pick(rng, users);
    if (to === user) to = users[(users.indexOf(user) + 1) % users.length] as string;
    return { op: 'transfer', to, amountCents: randomInt(rng, 100, 5_000) };
  };

  const record = (op: SentOp): void => {
    const result = op.response?.result as { txId?: string } | undefined;
    if (op.body.op === 'withdraw' && succeeded(op) && result?.txId)
      withdrawalAmount.set(result.txId, op.body.amountCents);
  };

  try {
    server = await spawnBankServer(START_ARGS, dataDir);
    clients = await login(server, 'register');

    for (let cycle = 1; cycle <= scenario.kills; cycle++) {
      // ---- load, then SIGKILL at a seeded moment
      let stop = false;
      const loops = clients.map(async (client, index) => {
        const user = users[index] as string;
        const rng = seededRandom(seed + cycle * 1000 + index);
        while (!stop) {
          const body = nextBody(rng, user);
          const op: SentOp = { id: `c${cycle}-${user}-${opCounter++}`, user, body, cycle, response: null };
          ops.push(op);
          try {
            op.response = await client.call({ id: op.id, ...body });
            record(op);
          } catch {
            return; // the connection died with this request in flight: its outcome is unknown
          }
          if (body.op === 'reverse' && !succeeded(op)) reversed.delete(body.txId);
        }
      });
      const loadMs = randomInt(random, scenario.loadMs[0], scenario.loadMs[1]);
      await sleep(loadMs);
      const killed = server;
      await killed.stop('SIGKILL');
      stop = true;
      await Promise.allSettled(loops);
      for (const c of clients) c.destroy();
      const unacked = ops.filter((o) => o.response === null);
      summary.unacknowledgedAtKills.push(unacked.length);
      log(
        `cycle ${cycle}: killed after ${loadMs} ms, ${ops.filter((o) => o.cycle === cycle && o.response).length} acknowledged, ${unacked.length} in flight`,
      );

      // ---- the crash image itself must verify, before anything touches it
      const crashImage = await ledgerVerifyCli(dataDir);
      expect(crashImage.code, because(`ledger verify on the crash image: ${crashImage.output}`)).toBe(0);

      // ---- restart on the same data dir
      server = await spawnBankServer(START_ARGS, dataDir);
      clients = await login(server, 'password');
      const byUser = new Map(users.map((u, i) => [u, clients[i] as RawClient]));
      const balancesAfterCrash = new Map<string, number>();
      for (const [user, client] of byUser)
        balancesAfterCrash.set(user, balanceOf(await client.call({ op: 'balance' })));

      // ---- each unacknowledged request: re-send its id; `replayed` says it was applied before the kill
      const appliedBeforeKill: SentOp[] = [];
      for (const op of unacked) {
        const client = byUser.get(op.user) as RawClient;
        op.response = await client.call({ id: op.id, ...op.body });
        record(op);
        if ((op.response.result as { replayed?: boolean } | undefined)?.replayed === true) appliedBeforeKill.push(op);
        if (op.body.op === 'reverse' && !succeeded(op)) reversed.delete(op.body.txId);
      }
      summary.appliedBeforeKill.push(appliedBeforeKill.length);

      // ---- balances right after the restart = everything acknowledged + the in-flight ones that had committed
      const expected = new Map(users.map((u) => [u, 0]));
      const beforeKill = new Set(appliedBeforeKill);
      for (const op of ops) {
        if (!succeeded(op)) continue;
        if (unacked.includes(op) && !beforeKill.has(op)) continue;
        for (const [user, delta] of effects(op, withdrawalAmount))
          expected.set(user, (expected.get(user) ?? 0) + delta);
      }
      for (const user of users) {
        expect(balancesAfterCrash.get(user), because(`${user}'s balance after crash ${cycle}`)).toBe(
          expected.get(user),
        );
      }

      // ---- every acknowledged change of this cycle is there exactly once: its id replays with the same txId
      for (const op of ops) {
        if (op.cycle !== cycle || !succeeded(op) || unacked.includes(op)) continue;
        const client = byUser.get(op.user) as RawClient;
        const again = await client.call({ id: op.id, ...op.body });
        expect(again, because(`re-sending acknowledged ${op.body.op} ${op.id}`)).toMatchObject({
          ok: true,
          result: { replayed: true, txId: txIdOf(op) },
        });
      }

      // ---- and in the history once; histories chain; balances equal the sum of everything applied
      const finalBalance = new Map(users.map((u) => [u, 0]));
      const entriesExpected = new Map(users.map((u) => [u, 0]));
      for (const op of ops) {
        if (!succeeded(op)) continue;
        for (const [user, delta] of effects(op, withdrawalAmount)) {
          finalBalance.set(user, (finalBalance.get(user) ?? 0) + delta);
          entriesExpected.set(user, (entriesExpected.get(user) ?? 0) + 1);
        }
      }
      let total = 0;
      for (const [user, client] of byUser) {
        const balance = balanceOf(await client.call({ op: 'balance' }));
        total += balance;
        expect(balance, because(`${user}'s balance`)).toBe(finalBalance.get(user));
        const history = await fullHistory(client);
        expect(historyFault(history, balance), because(`${user}'s history`)).toBeNull();
        expect(history.length, because(`${user}'s history length`)).toBe(entriesExpected.get(user));
        const txIds = new Set(history.map((e) => e.txId));
        for (const op of ops) {
          if (op.user === user && succeeded(op)) {
            expect(txIds.has(txIdOf(op)), because(`${op.id} (${txIdOf(op)}) in ${user}'s history`)).toBe(true);
          }
        }
      }
      const deposited = ops.filter((o) => succeeded(o) && o.body.op === 'deposit');
      const withdrawn = ops.filter((o) => succeeded(o) && o.body.op === 'withdraw');
      const given = ops.filter((o) => succeeded(o) && o.body.op === 'reverse');
      const sum = (list: SentOp[], amount: (o: SentOp) => number) => list.reduce((s, o) => s + amount(o), 0);
      const money =
        sum(deposited, (o) => (o.body as { amountCents: number }).amountCents) -
        sum(withdrawn, (o) => (o.body as { amountCents: number }).amountCents) +
        sum(given, (o) => withdrawalAmount.get((o.body as { txId: string }).txId) ?? Number.NaN);
      expect(total, because('money conserved: balances = deposits − withdrawals + reversals')).toBe(money);
      expect(verifyLedgerFile(join(dataDir, 'ledger.db')), because('ledger verify after restart')).toMatchObject({
        ok: true,
      });
    }

    summary.acknowledged = ops.filter((o) => o.response !== null).length;
    for (const c of clients) c.destroy();
    const code = await server.stop('SIGTERM');
    expect(code, because('a clean stop after the last restart')).toBe(0);
    const finalVerify = await ledgerVerifyCli(dataDir);
    expect(finalVerify.code, because(`final ledger verify: ${finalVerify.output}`)).toBe(0);

    // ---- the audit trail: intact up to one unclean end per kill
    const audit = await verifyAuditTrail(dataDir);
    summary.auditVerdict = audit.verdict;
    expect(audit.problem, because(`audit verify: ${audit.verdict}`)).toBeNull();
    expect(audit.uncleanEnds.length, because(`one unclean end per kill: ${audit.verdict}`)).toBe(scenario.kills);
    expect(audit.segments.at(-1)?.closed, because('the last run closed its segment')).toBe(true);
    return summary;
  } finally {
    for (const c of clients) c.destroy();
    await server?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The scenario with its progress on the console, each line tagged with the seed that replays it. */
export function runLoggedCrashScenario(
  seed: number,
  scenario: Omit<CrashScenario, 'seed' | 'log'>,
): Promise<CrashSummary> {
  return runCrashScenario({ ...scenario, seed, log: (line) => console.log(`[crash seed ${seed}] ${line}`) });
}
