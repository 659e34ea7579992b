import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamFrameLink } from '../../atm-client/client/frame-link.js';
import { createConnector, type Dialer } from '../../atm-client/client/index.js';
import { classifySocketError } from '../../atm-client/client/tls-dial.js';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { fund } from '../server/integration/login-kit.js';
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

/**
 * Logins under attack and under load at the default bcrypt cost (protocol/README.md §2.1). Figures are
 * printed, not asserted as times: what is asserted is behaviour (every hello answered before the
 * deadline with welcome or SERVER_BUSY, every client in with retries, no session request failing).
 */

const STORM = 100;
const SESSIONS = 20;
const FLOOD = 60;
const ACCOUNTS = ['storm0', 'storm1', 'storm2', 'storm3'];

interface Sample {
  at: number;
  ms: number;
}

const summary = (samples: Sample[]) => {
  const ms = samples.map((s) => s.ms);
  if (ms.length === 0) return 'no requests';
  return `${ms.length} requests, p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;
};

/** The n-th address of a /16 inside 127.0.0.0/8: 100 ATMs come from 100 machines. */
const addressOf = (net: number, n: number) => `127.${net}.${Math.floor(n / 250)}.${(n % 250) + 1}`;

/** The client library's dialer, bound to a source address. */
function dialFrom(localAddress: string, ca: string): Dialer {
  return (target) =>
    new Promise((resolve) => {
      const tcp = netConnect({ host: target.host, port: target.port, localAddress });
      tcp.on('error', () => {});
      const socket = tlsConnect({ socket: tcp, ca, servername: 'localhost', minVersion: 'TLSv1.3' });
      const onError = (error: Error) => resolve({ ok: false, error: classifySocketError(error, 'tls') });
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        resolve({ ok: true, value: new StreamFrameLink(socket, (e) => classifySocketError(e, 'open')) });
      });
    });
}

async function rawHello(port: number, ca: string, from: string, user: string, hangUp = false) {
  const started = performance.now();
  const peer = await LoopbackPeer.open({ port, ca, from });
  peer.sendFrame(helloPayload({ user, password: FIRE_PASSWORD }));
  if (hangUp) {
    peer.destroy();
    return { kind: 'hung-up', ms: performance.now() - started, retryAfterMs: undefined };
  }
  const frame = await peer.firstFrame(30_000);
  peer.destroy();
  const kind = frame?.type === 'welcome' ? 'welcome' : frame ? String(frame.code) : 'closed';
  return { kind, ms: performance.now() - started, retryAfterMs: frame?.retryAfterMs as number | undefined };
}

describe('logins at the default bcrypt cost (12)', () => {
  const seed = fireSeed();
  let server: SpawnedServer;
  let port: number;
  let ca: string;
  beforeAll(async () => {
    server = await spawnBankServer(['--allow-registration', '--bcrypt-cost', '12']);
    port = server.port;
    ca = await readFile(server.caPath, 'utf8');
    for (const user of ACCOUNTS) {
      const c = await RawClient.connect({ port, ca });
      expect((await c.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      c.destroy();
      fund({ dataDir: server.dataDir }, user, 1_000_000);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it(`a flood of ${FLOOD} hung-up hellos does not hold back a real login`, async () => {
    const baseline = await rawHello(port, ca, '127.9.0.1', 'storm0');
    expect(baseline.kind).toBe('welcome');
    await Promise.all(Array.from({ length: FLOOD }, (_, i) => rawHello(port, ca, addressOf(2, i), 'storm1', true)));
    const real = await rawHello(port, ca, '127.9.0.2', 'storm0');
    console.log(
      `[login flood] ${FLOOD} hung-up hellos at cost 12, then a real login: ${real.kind} in ${real.ms.toFixed(0)} ms (alone: ${baseline.ms.toFixed(0)} ms)`,
    );
    expect(real.kind).toBe('welcome');
  }, 120_000);

  it(`${STORM} concurrent logins from ${STORM} addresses: each answered in time, all in with retries, sessions keep going (seed ${seed})`, async () => {
    // Sessions log in two at a time: bcrypt at cost 12 is the point of this test, not of its setup.
    const sessions: Array<{ user: string; client: RawClient }> = [];
    for (let i = 0; i < SESSIONS; i += 2) {
      const pair = [i, i + 1].map(async (n) => {
        const user = ACCOUNTS[n % ACCOUNTS.length] as string;
        return { user, client: await RawClient.login({ port, ca, user, password: FIRE_PASSWORD }) };
      });
      sessions.push(...(await Promise.all(pair)));
    }
    const samples: Sample[] = [];
    const failures: string[] = [];
    let stop = false;
    const t0 = performance.now();
    const traffic = sessions.map(async ({ user, client }, i) => {
      const rng = seededRandom(seed + i);
      while (!stop) {
        const body =
          rng() < 0.6
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
        if (response.ok !== true) failures.push(`${body.op}: ${JSON.stringify(response.error)}`);
        await sleep(10);
      }
    });
    await sleep(2_000);

    // Phase 1: raw hellos, no retry: each gets welcome or SERVER_BUSY before its deadline.
    const rawStart = performance.now() - t0;
    const raw = await Promise.all(
      Array.from({ length: STORM }, (_, i) => rawHello(port, ca, addressOf(1, i), ACCOUNTS[i % 4] as string)),
    );
    const rawEnd = performance.now() - t0;
    await sleep(3_000);

    // Phase 2: the client library, which waits about retryAfterMs (jittered) and tries again.
    const libStart = performance.now() - t0;
    const logins = await Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const started = performance.now();
        const connector = createConnector(
          { host: '127.0.0.1', port, ca, timeoutMs: 15_000 },
          { dial: dialFrom(addressOf(3, i), ca) },
        );
        const outcome = await connector.login({ user: ACCOUNTS[i % 4] as string, password: FIRE_PASSWORD });
        const ms = performance.now() - started;
        if (outcome.ok) outcome.value.close();
        return { ok: outcome.ok, code: outcome.ok ? 'welcome' : outcome.error.code, ms };
      }),
    );
    const libEnd = performance.now() - t0;
    await sleep(1_000);
    stop = true;
    await Promise.all(traffic);
    for (const s of sessions) s.client.destroy();

    const count = (kinds: string[]) => {
      const m = new Map<string, number>();
      for (const k of kinds) m.set(k, (m.get(k) ?? 0) + 1);
      return [...m].map(([k, n]) => `${n} ${k}`).join(', ');
    };
    const rawMax = Math.max(...raw.map((o) => o.ms));
    const allIn = Math.max(...logins.map((o) => o.ms));
    const inWindow = (a: number, b: number) => samples.filter((s) => s.at >= a && s.at < b);
    const welcomedRaw = raw.filter((o) => o.kind === 'welcome');
    console.log(
      [
        `[login storm] phase 1, ${STORM} raw hellos at cost 12 from ${STORM} addresses: ${count(raw.map((o) => o.kind))}; slowest answer ${rawMax.toFixed(0)} ms; retryAfterMs ${count(
          raw
            .filter((o) => o.retryAfterMs !== undefined)
            .map((o) => String(Math.round((o.retryAfterMs as number) / 1000)))
            .map((s) => `${s}s`),
        )}`,
        `[login storm] phase 1: ${welcomedRaw.length} welcomes in ${((rawEnd - rawStart) / 1000).toFixed(1)} s = ${((welcomedRaw.length * 1000) / (rawEnd - rawStart)).toFixed(2)} logins/s`,
        `[login storm] phase 2, ${STORM} client-library logins with retry: ${count(logins.map((o) => o.code))}; ${logins.filter((o) => o.ok && o.ms <= 60_000).length} in within 60 s; all in after ${(allIn / 1000).toFixed(1)} s = ${((STORM * 1000) / allIn).toFixed(2)} logins/s; p50 ${percentile(
          logins.map((o) => o.ms),
          50,
        ).toFixed(0)} ms`,
        `[login storm] ${SESSIONS} sessions before: ${summary(inWindow(0, rawStart))}`,
        `[login storm] ${SESSIONS} sessions during phase 1: ${summary(inWindow(rawStart, rawEnd))}`,
        `[login storm] ${SESSIONS} sessions during phase 2: ${summary(inWindow(libStart, libEnd))}`,
      ].join('\n'),
    );
    expect(
      raw.filter((o) => o.kind !== 'welcome' && o.kind !== 'SERVER_BUSY'),
      'every hello answered before the deadline with welcome or SERVER_BUSY',
    ).toEqual([]);
    expect(
      raw.filter((o) => o.kind === 'SERVER_BUSY').every((o) => typeof o.retryAfterMs === 'number'),
      'SERVER_BUSY says how long to wait',
    ).toBe(true);
    expect(
      logins.filter((o) => !o.ok),
      'with retries, every client logs in',
    ).toEqual([]);
    expect(failures, 'no session request failed during the storm').toEqual([]);
    expect(inWindow(libStart, libEnd).length, 'sessions kept transacting').toBeGreaterThan(SESSIONS);
  }, 300_000);
});
