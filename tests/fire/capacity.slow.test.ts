import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { adminStatus, FIRE_PASSWORD, mib, rssOf, sleep } from './fire-kit.js';

const SESSIONS = 1_000;

describe('capacity', () => {
  let server: SpawnedServer | null = null;
  const clients: RawClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.dispose();
  });

  it('holds 1,000 concurrent idle sessions and reports its RSS', async () => {
    // Logins go 50 at a time from 127.0.0.1, and each holds a failed-login slot while it runs (§2.1).
    server = await spawnBankServer([
      '--allow-registration',
      '--max-connections-per-address',
      String(SESSIONS + 100),
      '--max-failed-logins-per-minute',
      '1000',
    ]);
    const { port, adminPort } = server;
    const ca = await readFile(server.caPath, 'utf8');
    const pid = server.proc.pid as number;
    const users = Array.from({ length: 10 }, (_, i) => `idle${i}`);
    for (const user of users) {
      const c = await RawClient.connect({ port, ca });
      expect((await c.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      c.destroy();
    }
    await sleep(500);
    const rssBefore = (await rssOf(pid)) as number;
    const started = performance.now();
    for (let i = 0; i < SESSIONS; i += 50) {
      const batch = Array.from({ length: 50 }, (_, n) =>
        RawClient.login({ port, ca, user: users[(i + n) % users.length] as string, password: FIRE_PASSWORD }),
      );
      clients.push(...(await Promise.all(batch)));
    }
    const loginSeconds = (performance.now() - started) / 1000;
    await sleep(1_000);
    const rssHeld = (await rssOf(pid)) as number;
    const status = await adminStatus(adminPort);
    expect(status.sessions, 'the server counts every session').toBe(SESSIONS);

    // Every one of them is alive and answers.
    const pings = await Promise.all(clients.map((c) => c.call({ op: 'ping' })));
    expect(pings.filter((p) => p.ok === true)).toHaveLength(SESSIONS);
    const fresh = await RawClient.login({ port, ca, user: 'idle0', password: FIRE_PASSWORD });
    expect((await fresh.call({ op: 'balance' })).ok).toBe(true);
    fresh.destroy();
    const rssAfterPings = (await rssOf(pid)) as number;

    for (const c of clients.splice(0)) c.destroy();
    let open = -1;
    for (let i = 0; i < 50 && open !== 0; i++) {
      await sleep(100);
      open = (await adminStatus(adminPort)).connections as number;
    }
    expect(open, 'all closed sessions are released').toBe(0);
    console.log(
      `[capacity] ${SESSIONS} sessions opened in ${loginSeconds.toFixed(1)} s; server RSS ${mib(rssBefore)} before, ${mib(rssHeld)} holding them idle (${((rssHeld - rssBefore) / SESSIONS / 1024).toFixed(1)} KiB per session), ${mib(rssAfterPings)} after one ping each`,
    );
  }, 300_000);
});
