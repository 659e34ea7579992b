import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditLog, openAuditLog } from '../../audit/index.js';
import { AdminHttp } from '../../server/admin/admin-http.js';
import { makeKeys, removeTempDirs, runCli, sampleEvent, segmentFiles, tempDir } from './audit-fixtures.js';

afterEach(removeTempDirs);

const servers: AdminHttp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The admin HTTP's /audit/head route in front of a real audit log. */
async function serveHead(head: () => AuditLog['head']): Promise<string> {
  const admin = new AdminHttp({ registry: new Registry(), status: () => ({}), healthy: () => true, auditHead: head });
  servers.push(admin);
  return `http://127.0.0.1:${await admin.listen(0)}`;
}

describe('GET /audit/head and bank-audit witness', () => {
  it('serves the newest signed checkpoint, shaped as DESIGN.md says; 503 before the first', async () => {
    const keys = makeKeys();
    const dir = await tempDir();
    const log = await openAuditLog({ dir, ...keys, checkpointIntervalMs: 60_000 });
    const url = await serveHead(() => log.head);
    expect((await fetch(`${url}/audit/head`)).status).toBe(503);
    log.record(sampleEvent(1));
    await log.flush();
    const res = await fetch(`${url}/audit/head`);
    expect(res.status).toBe(200);
    const head = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(head).sort()).toEqual(['at', 'hash', 'instance', 'segment', 'seq', 'signature', 'signer']);
    const [segment] = await segmentFiles(dir);
    const checkpoint = JSON.parse((await readFile(segment ?? '', 'utf8')).split('\n')[2] ?? '') as {
      hash: string;
      sig: string;
    };
    expect(head).toMatchObject({
      instance: 'main',
      segment: segment?.split('/').at(-1),
      seq: 1,
      hash: checkpoint.hash,
      signature: checkpoint.sig,
      signer: Buffer.from(keys.signingSecretKey.subarray(32)).toString('base64'),
    });
    await log.close();
  });

  it('a witness state catches a truncation back to a checkpoint that verify alone calls an unclean end', async () => {
    const keys = makeKeys();
    const dataDir = await tempDir('audit-witness-');
    const dir = join(dataDir, 'audit');
    const witnessState = join(await tempDir('witness-home-'), 'witness.json');
    const signer = Buffer.from(keys.signingSecretKey.subarray(32)).toString('base64');
    const log = await openAuditLog({ dir, ...keys, checkpointIntervalMs: 60_000 });
    const url = await serveHead(() => log.head);
    for (let n = 0; n < 3; n++) log.record(sampleEvent(n));
    await log.flush();
    const [segment] = await segmentFiles(dir);
    const signedAtThree = (await readFile(segment ?? '')).length;
    for (let n = 3; n < 6; n++) log.record(sampleEvent(n));
    await log.flush();

    const seen = await runCli(['witness', '--admin', url, '--state', witnessState, '--once', '--signer', signer]);
    expect(seen.code, seen.err.join('\n')).toBe(0);
    expect(seen.out).toEqual([expect.stringMatching(/^main: \S+-0001\.enc seq 6 hash \S+ signed by SHA256:/)]);

    // The server dies; someone cuts the segment back to the checkpoint at seq 3.
    await truncate(segment ?? '', signedAtThree);
    const alone = await runCli(['verify', dataDir, '--signer', signer]);
    expect(alone.code, alone.out.join('\n')).toBe(2);
    const witnessed = await runCli(['verify', dataDir, '--state', witnessState]);
    expect(witnessed.code, witnessed.out.join('\n')).toBe(1);
    expect(witnessed.out[0]).toMatch(/rolled back: the chain no longer reaches the signed head seq 6/);
    await log.close().catch(() => {});
  });

  it('a head that goes back is ROLLED_BACK (exit 1) and the kept head stays', async () => {
    const keys = makeKeys();
    const dir = await tempDir();
    const state = join(await tempDir('witness-home-'), 'witness.json');
    const log = await openAuditLog({ dir, ...keys, checkpointIntervalMs: 60_000 });
    let served = log.head;
    const url = await serveHead(() => served);
    for (let n = 0; n < 4; n++) {
      log.record(sampleEvent(n));
      await log.flush();
    }
    const early = log.head;
    log.record(sampleEvent(9));
    await log.flush();
    served = log.head;
    const first = await runCli(['witness', '--admin', url, '--state', state, '--once']);
    expect(first.code).toBe(0);
    expect(first.err).toEqual([expect.stringContaining('pinned instance main')]);
    served = early;
    const back = await runCli(['witness', '--admin', url, '--state', state, '--once']);
    expect(back.code).toBe(1);
    expect(back.err).toEqual([
      expect.stringMatching(/ROLLED_BACK: instance main now serves seq 4 .* seq 5 .* was seen before/),
    ]);
    const kept = JSON.parse(await readFile(state, 'utf8')) as { chains: { main: { head: { seq: number } } } };
    expect(kept.chains.main.head.seq).toBe(5);
    await log.close();
  });

  it('usage mistakes are exit 3', async () => {
    const state = join(await tempDir('witness-home-'), 'witness.json');
    expect((await runCli(['witness', '--admin', 'not a url', '--state', state, '--once'])).code).toBe(3);
    expect((await runCli(['witness', '--state', state, '--once'])).code).toBe(3);
    expect((await runCli(['witness', '--admin', 'http://127.0.0.1:1', '--state', state, '--once'])).code).toBe(3);
  });
});

describe('bank-audit witness --interval', () => {
  it('keeps polling until stopped, writing each new head', async () => {
    const keys = makeKeys();
    const dir = await tempDir();
    const state = join(await tempDir('witness-home-'), 'witness.json');
    const log = await openAuditLog({ dir, ...keys, checkpointIntervalMs: 60_000 });
    log.record(sampleEvent(1));
    await log.flush();
    const url = await serveHead(() => log.head);
    const stop = new AbortController();
    const running = runCli(['witness', '--admin', url, '--state', state, '--interval', '1'], stop.signal);
    // The first poll is immediate; the next one must see the newer head.
    for (let k = 0; k < 100 && !(await readFile(state, 'utf8').catch(() => '')).includes('"seq": 1'); k++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    log.record(sampleEvent(2));
    await log.flush();
    for (let k = 0; k < 200 && !(await readFile(state, 'utf8').catch(() => '')).includes('"seq": 2'); k++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.out.map((l) => l.match(/ seq (\d+) /)?.[1])).toEqual(expect.arrayContaining(['1', '2']));
    await log.close();
  });
});
