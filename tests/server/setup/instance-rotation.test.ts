import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBankAudit } from '../../../audit/cli/program.js';
import { commitSigningKeyRotation, openAuditLog, prepareAuditKeys } from '../../../audit/index.js';
import { main } from '../../../server/cli/program.js';
import { openDataDir } from '../../../server/setup/open-data-dir.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'instance-rotation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } };
}

/** One run of an instance's audit log as a start opens it (keys from prepareAuditKeys). */
async function run(signingKeyPath: string, auditDir: string, instance: string) {
  const keys = await prepareAuditKeys({ keysDir: join(dir, 'keys'), signingKeyPath });
  const log = await openAuditLog({
    dir: auditDir,
    instance,
    auditorPublicKey: keys.auditorPublicKey,
    signingSecretKey: keys.signingSecretKey,
    rotateTo: keys.nextSigningSecretKey,
  });
  log.record({ kind: 'server_start', actor: 'operator' });
  await log.close();
  if (keys.nextSigningSecretKey) await commitSigningKeyRotation(join(signingKeyPath, '..'));
  return keys;
}

describe('bank-server audit rotate-key --instance-id', () => {
  it("rotates that instance's key only, and its chain hands over with a signed rotation", async () => {
    const opened = await openDataDir({ dataDir: dir, instanceId: 'east', ledgerUrl: 'postgres://db.example/bank' });
    await opened.commit();
    await opened.release();
    const east = opened.instance;
    const firstPub = await readFile(east.signingPubPath, 'utf8');
    await writeFile(join(dir, 'east-first.pub'), firstPub);
    await run(east.signingKeyPath, east.auditDir, 'east');

    const rotate = capture();
    expect(
      await main(['node', 'bank-server', 'audit', 'rotate-key', '--data-dir', dir, '--instance-id', 'east'], rotate.io),
      rotate.err.join('\n'),
    ).toBe(0);
    expect(rotate.out[1]).toContain(join('keys', 'instances', 'east', 'audit-signing.next.key'));

    await run(east.signingKeyPath, east.auditDir, 'east');
    expect(await readFile(east.signingPubPath, 'utf8')).not.toBe(firstPub);
    expect(await readFile(join(dir, 'keys', 'audit-signing.pub'), 'utf8').catch(() => null)).toBeNull();

    // The auditor who pinned east's first key follows the hand-over.
    const verify = capture();
    const code = await runBankAudit(['verify', dir, '--signer', `east=${join(dir, 'east-first.pub')}`], verify.io);
    expect(code, verify.out.join('\n')).toBe(0);
    expect(verify.out[0]).toMatch(/^OK: .*1 signed key rotation/);
  });

  it('refuses an instance that never started, in one line', async () => {
    const opened = await openDataDir({ dataDir: dir, instanceId: 'main' });
    await opened.commit();
    await opened.release();
    const rotate = capture();
    const code = await main(
      ['node', 'bank-server', 'audit', 'rotate-key', '--data-dir', dir, '--instance-id', 'west'],
      rotate.io,
    );
    expect(code).toBe(1);
    expect(rotate.err).toEqual([expect.stringContaining('instance west has no signing key yet')]);
  });
});
