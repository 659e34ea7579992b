import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import {
  FIRE_PASSWORD,
  fireSeed,
  helloPayload,
  LoopbackPeer,
  percentile,
  pick,
  seededRandom,
  sleep,
} from './fire-kit.js';

const STORM = 100;
const SESSIONS = 20;
const ACCOUNTS = ['teller0', 'teller1', 'teller2', 'teller3'];

interface Sample {
  at: number;
  ms: number;
}

const summary = (samples: Sample[]) => {
  const ms = samples.map((s) => s.ms);
  return `${ms.length} requests, p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;
};

describe('login storm at the default bcrypt cost (12)', () => {
  const seed = fireSeed();
  let server: SpawnedServer | null = null;
  afterAll(async () => {
    await server?.dispose();
  });

  it(`100 concurrent logins do not stall 20 transacting sessions (seed ${seed})`, async () => {
    server = await spawnBankServer(['--allow-registration', '--bcrypt-cost', '12']);
    const { port } = server;
    const ca = await readFile(server.caPath, 'utf8');
    const { cert, key } = server.terminal;
    for (const user of ACCOUNTS) {
      const c = await RawClient.connect({ port, ca, cert, key });
      expect((await c.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      expect((await c.call({ op: 'deposit', amountCents: 1_000_000 })).ok).toBe(true);
      c.destroy();
    }
    // Sessions log in two at a time: bcrypt at cost 12 is the point of this test, not of its setup.
    const sessions: Array<{ user: string; client: RawClient }> = [];
    for (let i = 0; i < SESSIONS; i += 2) {
      const pair = [i, i + 1].map(async (n) => {
        const user = ACCOUNTS[n % ACCOUNTS.length] as string;
        return { user, client: await RawClient.login({ port, ca, cert, key, user, password: FIRE_PASSWORD }) };
      });
      sessions.push(...(await Promise.all(pair)));
    }

    const samples: Sample[] = [];
    let stop = false;
    const t0 = performance.now();
    const traffic = sessions.map(async ({ user, client }, i) => {
      const rng = seededRandom(seed + i);
      while (!stop) {
        const kind = rng();
        const body =
          kind < 0.3
            ? { op: 'deposit', amountCents: 100 }
            : kind < 0.55
              ? { op: 'withdraw', amountCents: 50 }
              : kind < 0.8
                ? {
                    op: 'transfer',
                    to: pick(
                      rng,
                      ACCOUNTS.filter((a) => a !== user),
                    ),
                    amountCents: 25,
                  }
                : { op: 'balance' };
        const started = performance.now();
        const response = await client.call(body);
        samples.push({ at: started - t0, ms: performance.now() - started });
        expect(response.ok, `${body.op} during the storm (seed ${seed})`).toBe(true);
        await sleep(10);
      }
    });

    await sleep(2_000);
    const stormStart = performance.now() - t0;
    const outcomes = await Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const started = performance.now();
        const peer = await LoopbackPeer.open({ port, ca, from: '127.0.0.2' });
        peer.sendFrame(helloPayload({ user: ACCOUNTS[i % ACCOUNTS.length] as string, password: FIRE_PASSWORD }));
        const frame = await peer.firstFrame(30_000);
        peer.destroy();
        const kind = frame?.type === 'welcome' ? 'welcome' : frame ? `error ${String(frame.code)}` : 'closed';
        return { kind, ms: performance.now() - started };
      }),
    );
    const stormEnd = performance.now() - t0;
    await sleep(2_000);
    stop = true;
    await Promise.all(traffic);
    for (const s of sessions) s.client.destroy();

    const welcomed = outcomes.filter((o) => o.kind === 'welcome');
    const kinds = new Map<string, number>();
    for (const o of outcomes) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const before = samples.filter((s) => s.at < stormStart);
    const during = samples.filter((s) => s.at >= stormStart && s.at < stormEnd);
    const after = samples.filter((s) => s.at >= stormEnd);
    const lastWelcome = Math.max(...welcomed.map((o) => o.ms));
    console.log(
      [
        `[login storm] ${STORM} concurrent logins at cost 12: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; storm lasted ${((stormEnd - stormStart) / 1000).toFixed(1)} s`,
        `[login storm] ${welcomed.length} welcomes in ${(lastWelcome / 1000).toFixed(1)} s = ${((welcomed.length * 1000) / lastWelcome).toFixed(1)} logins/s; login latency p50 ${percentile(
          welcomed.map((o) => o.ms),
          50,
        ).toFixed(0)} ms, max ${lastWelcome.toFixed(0)} ms`,
        `[login storm] ${SESSIONS} sessions before: ${summary(before)}`,
        `[login storm] ${SESSIONS} sessions during: ${summary(during)}`,
        `[login storm] ${SESSIONS} sessions after: ${summary(after)}`,
      ].join('\n'),
    );
    expect(welcomed.length, 'logins get through').toBeGreaterThan(0);
    expect(
      outcomes.every((o) => o.kind === 'welcome' || o.kind === 'closed' || o.kind === 'error SERVER_BUSY'),
      'a login the server cannot hash in time is shed or cut, never wrongly refused',
    ).toBe(true);
    expect(during.length, 'sessions kept transacting during the storm').toBeGreaterThan(SESSIONS);
    // A loose sanity bound only: bcrypt on the event loop would stall these for tens of seconds.
    expect(
      percentile(
        during.map((s) => s.ms),
        99,
      ),
      'p99 during the storm',
    ).toBeLessThan(3_000);
  }, 300_000);
});
