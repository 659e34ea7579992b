import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signingKeyFingerprint } from '../../audit/index.js';
import { BIN, runCli, type SpawnedServer, spawnBankServer, verifyAuditOf } from '../helpers/spawn-server.js';

// The real binaries (needs `npm run build`): what an operator and an auditor run.
const dirs: string[] = [];
const running: SpawnedServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function publicKeyOf(dataDir: string): Promise<string> {
  const text = await readFile(join(dataDir, 'keys', 'audit-signing.pub'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('audit-signing-ed25519-public:')) ?? '';
  return line.slice('audit-signing-ed25519-public:'.length);
}

const fingerprintOf = (b64: string) => signingKeyFingerprint(Buffer.from(b64, 'base64'));

function loggedFingerprint(server: SpawnedServer): string | undefined {
  for (const line of server.stdout) {
    const o = JSON.parse(line) as { msg?: string; auditSigningKey?: string };
    if (o.msg === 'audit signing key') return o.auditSigningKey;
  }
  return undefined;
}

/** The first signed checkpoint of a run (the server signs within a second of starting). */
async function waitForHead(server: SpawnedServer): Promise<Response | null> {
  let head: Response | null = null;
  for (let tries = 0; tries < 40; tries++) {
    head = await fetch(`http://127.0.0.1:${server.adminPort}/audit/head`);
    if (head.status === 200) return head;
    await head.body?.cancel();
    await new Promise((r) => setTimeout(r, 250));
  }
  return head;
}

describe('the pinned signer, end to end', () => {
  it('init prints the fingerprint, start logs it, status shows it, /audit/head serves the head', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-signer-'));
    dirs.push(dataDir);
    const init = await runCli(BIN.bankServer, ['init', '--data-dir', dataDir]);
    expect(init.code, init.stderr).toBe(0);
    const publicKey = await publicKeyOf(dataDir);
    const fingerprint = fingerprintOf(publicKey);
    expect(init.stdout).toContain(`audit signing key fingerprint: ${fingerprint}`);

    // A data dir from before audit-signing.pub existed gets it on start, from the same key.
    await rm(join(dataDir, 'keys', 'audit-signing.pub'));
    const server = await spawnBankServer([], dataDir);
    running.push(server);
    expect(await publicKeyOf(dataDir)).toBe(publicKey);
    expect(loggedFingerprint(server)).toBe(fingerprint);
    const status = await runCli(BIN.bankServer, ['status', '--admin-port', String(server.adminPort)]);
    expect(status.stdout).toMatch(new RegExp(`auditSigningKey\\s+${fingerprint.replace(/[+/]/g, '\\$&')}`));

    const head = await waitForHead(server);
    expect(head?.status).toBe(200);
    expect(await head?.json()).toMatchObject({ instance: 'main', signer: publicKey, seq: expect.any(Number) });
    expect(await server.stop()).toBe(0);
    const verify = await verifyAuditOf(dataDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('audit rotate-key: the next start hands over with a signed close; verify pinned to the old key follows it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-signer-'));
    dirs.push(dataDir);
    expect((await runCli(BIN.bankServer, ['init', '--data-dir', dataDir])).code).toBe(0);
    const oldKey = await publicKeyOf(dataDir);
    const first = await spawnBankServer([], dataDir);
    await (await waitForHead(first))?.body?.cancel();
    expect(await first.stop()).toBe(0);

    const rotate = await runCli(BIN.bankServer, ['audit', 'rotate-key', '--data-dir', dataDir]);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toMatch(/^new audit signing key: SHA256:/);
    const twice = await runCli(BIN.bankServer, ['audit', 'rotate-key', '--data-dir', dataDir]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('already pending');
    expect(await publicKeyOf(dataDir)).toBe(oldKey);

    const second = await spawnBankServer([], dataDir);
    running.push(second);
    const newKey = await publicKeyOf(dataDir);
    expect(newKey).not.toBe(oldKey);
    expect(loggedFingerprint(second)).toBe(fingerprintOf(newKey));
    expect(rotate.stdout).toContain(fingerprintOf(newKey));
    await (await waitForHead(second))?.body?.cancel();
    expect(await second.stop()).toBe(0);

    const verify = await runCli(BIN.bankAudit, ['verify', dataDir, '--signer', oldKey]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('1 signed key rotation(s)');
  });
});
