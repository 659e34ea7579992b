import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../protocol/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { atTerminal, startTestBank, type TestBank, withLedger } from '../helpers/test-bank.js';
import {
  adminStatus,
  errorCodeOf,
  FIRE_PASSWORD,
  helloPayload,
  LoopbackPeer,
  mib,
  percentile,
  rssOf,
  sleep,
} from './fire-kit.js';

const HANDSHAKE_TIMEOUT_MS = 2_000;
const IDLE_TIMEOUT_SEC = 2;
const MAX_CONNECTIONS_PER_ADDRESS = 30;
/**
 * Every login takes a slot of this limit while it runs (protocol/README.md §2.1), so it must cover the
 * 20 logins the vanishing-clients test makes at once from 127.0.0.1.
 */
const MAX_FAILED_LOGINS = 25;

/**
 * A control client keeps transacting while an attack runs: every request must complete, and
 * the latencies are printed (not asserted: machines here are shared and noisy).
 */
async function controlTraffic(bank: TestBank, user: string, requests: number, gapMs: number): Promise<number[]> {
  const client = await RawClient.login({ ...atTerminal(bank), user, password: FIRE_PASSWORD });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const response = await client.call({ op: 'deposit', amountCents: 100 });
      latencies.push(performance.now() - started);
      expect(response.ok, `control request ${i} during the attack`).toBe(true);
      await sleep(gapMs);
    }
  } finally {
    client.destroy();
  }
  return latencies;
}

/** Awaited later: until then a failure must not surface as an unhandled rejection. */
function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const describeLatency = (latencies: number[]) =>
  `${latencies.length} requests, p50 ${percentile(latencies, 50).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`;

describe('hostile clients: the server keeps serving others', () => {
  let bank: TestBank;

  beforeAll(async () => {
    bank = await startTestBank({
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      idleTimeoutSec: IDLE_TIMEOUT_SEC,
      maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS,
      maxFailedLoginsPerMinute: MAX_FAILED_LOGINS,
      lockoutThreshold: 3,
    });
    for (const user of ['control', 'victim']) {
      const c = await RawClient.connect(atTerminal(bank));
      expect((await c.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      c.destroy();
    }
  });
  afterAll(async () => {
    await bank?.dispose();
  });

  it('slowloris: stalled and trickled handshakes are cut at the handshake timeout, a silent session at the idle timeout', async () => {
    const start = performance.now();
    const hello = encodeFrame(helloPayload({ user: 'control', password: FIRE_PASSWORD }));
    const tricklers = await Promise.all(
      Array.from({ length: 5 }, () => LoopbackPeer.open({ port: bank.port, ca: bank.caCert, from: '127.0.0.2' })),
    );
    const silent = await Promise.all(
      Array.from({ length: 3 }, () => LoopbackPeer.open({ port: bank.port, ca: bank.caCert, from: '127.0.0.2' })),
    );
    // One byte a second of a perfectly valid hello: it would take minutes to arrive.
    let offset = 0;
    const trickle = setInterval(() => {
      for (const peer of tricklers) if (!peer.closed) peer.socket.write(hello.subarray(offset, offset + 1));
      offset++;
    }, 1_000);
    // A logged-in session that starts a frame and then stalls: the idle timer must still fire.
    const staller = await RawClient.login({
      ...atTerminal(bank),
      user: 'victim',
      password: FIRE_PASSWORD,
    });
    staller.sendBytes(Buffer.from([0, 0]));
    const stallTrickle = setInterval(() => {
      if (!staller.closed) staller.sendBytes(Buffer.from([1]));
    }, 1_000);
    try {
      const control = started(controlTraffic(bank, 'control', 25, 100));
      const cut = await Promise.all(
        [...tricklers, ...silent].map((peer) => peer.closesWithin(HANDSHAKE_TIMEOUT_MS + 3_000)),
      );
      expect(cut, 'every slow handshake is closed').toEqual(cut.map(() => true));
      for (const peer of [...tricklers, ...silent]) expect(peer.frames, 'closed without an answer').toHaveLength(0);
      const stallerClosed = await Promise.race([
        staller.whenClosed().then(() => true),
        sleep(IDLE_TIMEOUT_SEC * 1000 + 3_000).then(() => false),
      ]);
      expect(stallerClosed, 'a session stuck mid-frame is closed by the idle timeout').toBe(true);
      console.log(
        `[slowloris] handshakes cut after ${(performance.now() - start).toFixed(0)} ms; control: ${describeLatency(await control)}`,
      );
    } finally {
      clearInterval(trickle);
      clearInterval(stallTrickle);
      for (const peer of [...tricklers, ...silent]) peer.destroy();
      staller.destroy();
    }
  }, 30_000);

  it('a connection flood from one address is capped per address; other addresses are served', async () => {
    // Its own bank with the default 10 s handshake timeout: no held slot frees up while this runs.
    const floodBank = await startTestBank({ maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS });
    try {
      const c = await RawClient.connect(atTerminal(floodBank));
      expect((await c.hello({ user: 'control', password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      c.destroy();
      const flood = await Promise.all(
        Array.from({ length: MAX_CONNECTIONS_PER_ADDRESS * 2 }, () =>
          LoopbackPeer.open({ port: floodBank.port, ca: floodBank.caCert, from: '127.0.0.3' }),
        ),
      );
      try {
        const control = started(controlTraffic(floodBank, 'control', 15, 50));
        const answered = () => flood.filter((peer) => peer.frames.length > 0 || peer.closed).length;
        for (let i = 0; i < 100 && answered() < MAX_CONNECTIONS_PER_ADDRESS; i++) await sleep(50);
        await sleep(500);
        const refused = flood.filter(
          (peer) => errorCodeOf(peer.frames[0] ? JSON.parse(peer.frames[0].toString()) : null) === 'RATE_LIMITED',
        );
        const held = flood.filter((peer) => peer.frames.length === 0 && !peer.closed);
        expect(refused.length, 'connections over the per-address cap are refused with RATE_LIMITED').toBe(
          MAX_CONNECTIONS_PER_ADDRESS,
        );
        expect(held.length, 'exactly the cap is held open').toBe(MAX_CONNECTIONS_PER_ADDRESS);
        console.log(`[flood] ${refused.length} of ${flood.length} refused; control: ${describeLatency(await control)}`);
      } finally {
        for (const peer of flood) peer.destroy();
      }
      // Once the flood is gone its address may connect (and log in) again.
      for (let i = 0; i < 50 && floodBank.server.stats.connections > 0; i++) await sleep(50);
      const again = await LoopbackPeer.open({ port: floodBank.port, ca: floodBank.caCert, from: '127.0.0.3' });
      again.sendFrame(helloPayload({ user: 'control', password: FIRE_PASSWORD }));
      expect((await again.firstFrame())?.type).toBe('welcome');
      again.destroy();
    } finally {
      await floodBank.dispose();
    }
  }, 30_000);

  it('login brute force: the lockout holds (even with the right password, from anywhere) and the address is rate limited', async () => {
    // Its own bank with the default 10 s handshake timeout: 40 logins one after another, each a
    // password check and a lockout write, must not meet the 2 s deadline of the slowloris bank
    // when the machine is busy (a hello cut at the deadline closes with no frame at all).
    const bruteBank = await startTestBank({
      maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS,
      maxFailedLoginsPerMinute: MAX_FAILED_LOGINS,
      lockoutThreshold: 3,
    });
    try {
      for (const user of ['control', 'victim']) {
        const c = await RawClient.connect(atTerminal(bruteBank));
        expect((await c.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
        c.destroy();
      }
      await bruteForce(bruteBank);
    } finally {
      await bruteBank.dispose();
    }
  }, 60_000);

  async function bruteForce(bank: TestBank): Promise<void> {
    const attempt = async (from: string, user: string, password: string): Promise<string | null> => {
      const peer = await LoopbackPeer.open({ port: bank.port, ca: bank.caCert, from });
      try {
        peer.sendFrame(helloPayload({ user, password }));
        const frame = await peer.firstFrame();
        return frame?.type === 'welcome' ? 'welcome' : errorCodeOf(frame);
      } finally {
        peer.destroy();
      }
    };
    const guesses: Array<string | null> = [];
    for (let i = 0; i < 3; i++) guesses.push(await attempt('127.0.0.4', 'victim', `Wrong-Guess-${i}!x`));
    expect(guesses.slice(0, 2)).toEqual(['AUTH_FAILED', 'AUTH_FAILED']);
    expect(guesses[2], 'the failure that locks says so').toBe('ACCOUNT_LOCKED');
    expect(await attempt('127.0.0.4', 'victim', FIRE_PASSWORD), 'locked even with the right password').toBe(
      'ACCOUNT_LOCKED',
    );
    expect(await attempt('127.0.0.5', 'victim', FIRE_PASSWORD), 'locked from another address too').toBe(
      'ACCOUNT_LOCKED',
    );

    const spray: Array<string | null> = [];
    for (let i = 0; i < MAX_FAILED_LOGINS + 5; i++)
      spray.push(await attempt('127.0.0.6', `nobody${i}`, 'Guess-123456!'));
    expect(spray.slice(0, MAX_FAILED_LOGINS), 'unknown users fail like wrong passwords').toEqual(
      spray.slice(0, MAX_FAILED_LOGINS).map(() => 'AUTH_FAILED'),
    );
    expect(spray.slice(MAX_FAILED_LOGINS), 'then the address is rate limited').toEqual(
      spray.slice(MAX_FAILED_LOGINS).map(() => 'RATE_LIMITED'),
    );
    expect(await attempt('127.0.0.6', 'control', FIRE_PASSWORD), 'even a right password from that address').toBe(
      'RATE_LIMITED',
    );
    expect(await attempt('127.0.0.1', 'control', FIRE_PASSWORD), 'other addresses log in as usual').toBe('welcome');
  }

  it('clients that vanish mid-frame, mid-pipeline or with a reset leave nothing behind', async () => {
    const controlSession = () => RawClient.login({ ...atTerminal(bank), user: 'control', password: FIRE_PASSWORD });
    const control = started(controlTraffic(bank, 'control', 20, 50));
    const hello = encodeFrame(helloPayload({ user: 'control', password: FIRE_PASSWORD }));
    const vanishing: Array<Promise<void>> = [];
    for (let i = 0; i < 10; i++) {
      vanishing.push(
        (async () => {
          const peer = await LoopbackPeer.open({ port: bank.port, ca: bank.caCert, from: '127.0.0.7' });
          peer.socket.write(hello.subarray(0, 2 + i * 7));
          await sleep(20);
          // Half of them vanish with a TCP reset, like a peer whose machine died.
          if (i % 2 === 0) peer.destroy();
          else peer.tcp?.resetAndDestroy();
        })(),
      );
      vanishing.push(
        (async () => {
          const c = await controlSession();
          const frame = encodeFrame(c.seal({ id: `half-${i}`, op: 'deposit', amountCents: 1 }));
          c.sendBytes(frame.subarray(0, 3 + i * 5));
          await sleep(20);
          c.destroy();
        })(),
      );
      vanishing.push(
        (async () => {
          const c = await controlSession();
          for (let n = 0; n < 32; n++) c.send({ id: `gone-${i}-${n}`, op: 'deposit', amountCents: 1 });
          c.destroy();
        })(),
      );
    }
    await Promise.all(vanishing);
    console.log(`[vanish] control: ${describeLatency(await control)}`);
    let connections = -1;
    for (let i = 0; i < 50 && connections !== 0; i++) {
      await sleep(100);
      connections = bank.server.stats.connections;
    }
    expect(connections, 'every vanished connection is cleaned up').toBe(0);
    expect(withLedger(bank, (store) => store.verify())).toMatchObject({ ok: true });
  }, 30_000);

  it('100 pipelined requests are all answered, in order', async () => {
    const c = await RawClient.login({ ...atTerminal(bank), user: 'control', password: FIRE_PASSWORD });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 100; i++)
        ids.push(c.send({ id: `pipe-${i}`, op: i % 2 ? 'balance' : 'deposit', amountCents: 1 }));
      const answered: unknown[] = [];
      for (let i = 0; i < 100; i++) answered.push((await c.receive())?.id);
      expect(answered).toEqual(ids);
    } finally {
      c.destroy();
    }
  });
});

describe('backpressure: a client that sends without reading', () => {
  let server: SpawnedServer | null = null;
  afterAll(async () => {
    await server?.dispose();
  });

  it('makes the server stop reading instead of buffering answers without bound', async () => {
    server = await spawnBankServer(['--allow-registration']);
    const ca = await readFile(server.caPath, 'utf8');
    const pid = server.proc.pid as number;
    const client = await RawClient.connect({
      port: server.port,
      ca,
      cert: server.terminal.cert,
      key: server.terminal.key,
    });
    expect((await client.hello({ user: 'hoarder', password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
    // 100 entries make each history answer ~20 KB while the request stays ~120 bytes.
    for (let i = 0; i < 100; i++) client.send({ id: `fill-${i}`, op: 'deposit', amountCents: 1 });
    for (let i = 0; i < 100; i++) expect((await client.receive())?.ok).toBe(true);
    const before = (await adminStatus(server.adminPort)).requestsServed as number;
    const rssBefore = (await rssOf(pid)) ?? 0;

    const burst = 4_000;
    client.socket.pause();
    for (let i = 0; i < burst; i++) client.send({ id: `h-${i}`, op: 'history', limit: 100 });
    let served = 0;
    let rssPeak = rssBefore;
    for (let settled = 0, last = -1; settled < 3; ) {
      await sleep(500);
      served = ((await adminStatus(server.adminPort)).requestsServed as number) - before;
      rssPeak = Math.max(rssPeak, (await rssOf(pid)) ?? 0);
      settled = served === last ? settled + 1 : 0;
      last = served;
    }
    console.log(
      `[backpressure] ${burst} history requests (~20 KB answers) sent unread: server answered ${served} before it stopped reading; RSS ${mib(rssBefore)} → peak ${mib(rssPeak)}; client bytes still queued ${client.socket.writableLength}`,
    );
    expect(served, 'the server stops reading once its answers back up').toBeLessThan(burst / 2);
    expect(rssPeak - rssBefore, 'server memory does not grow with the unread answers').toBeLessThan(64 * 1024 * 1024);

    // Backpressure, not loss: once the client reads, every answer comes, in order.
    client.socket.resume();
    for (let i = 0; i < burst; i++) {
      const response = await client.receive(20_000);
      expect(response?.id).toBe(`h-${i}`);
    }
    client.destroy();
  }, 120_000);
});
