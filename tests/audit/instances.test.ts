import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditLog } from '../../audit/index.js';
import {
  type AuditKeysForTest,
  makeKeys,
  readLinesOf,
  removeTempDirs,
  runCli,
  sampleEvent,
  segmentFiles,
  tempDir,
  writeKeyFileForTest,
  writeLinesOf,
} from './audit-fixtures.js';
import { checkpointMessage, closeMessage, headerHash, type Line, lineHash } from './segment-spec.js';

afterEach(removeTempDirs);

/** Two server runs of one instance's chain in `dir`, as the server writes them. */
async function chain(dir: string, keys: AuditKeysForTest, instance: string | undefined, first = 0) {
  for (let run = 0; run < 2; run++) {
    const log = await openAuditLog({
      dir,
      auditorPublicKey: keys.auditorPublicKey,
      signingSecretKey: keys.signingSecretKey,
      ...(instance === undefined ? {} : { instance }),
    });
    for (let n = 0; n < 4; n++) log.record(sampleEvent(first + run * 10 + n));
    await log.flush();
    log.record(sampleEvent(first + run * 10 + 5));
    await log.close();
  }
}

/** A data dir holding main's chain in audit/ and east's in audit/instances/east/, with both .pub files. */
async function twoInstances(options: { sameSigner?: boolean } = {}) {
  const dataDir = await tempDir('audit-two-instances-');
  const mainKeys = makeKeys();
  const eastKeys = options.sameSigner ? mainKeys : makeKeys();
  const mainDir = join(dataDir, 'audit');
  const eastDir = join(dataDir, 'audit', 'instances', 'east');
  await chain(mainDir, mainKeys, 'main');
  await chain(eastDir, eastKeys, 'east', 100);
  const keysDir = join(dataDir, 'keys');
  await mkdir(join(keysDir, 'instances', 'east'), { recursive: true });
  const pubType = 'audit-signing-ed25519-public';
  const mainPub = await writeKeyFileForTest(
    keysDir,
    'audit-signing.pub',
    pubType,
    mainKeys.signingSecretKey.subarray(32),
  );
  const eastPub = await writeKeyFileForTest(
    join(keysDir, 'instances', 'east'),
    'audit-signing.pub',
    pubType,
    eastKeys.signingSecretKey.subarray(32),
  );
  return { dataDir, mainDir, eastDir, mainKeys, eastKeys, mainPub, eastPub };
}

const headerOf = async (file: string) => JSON.parse((await readLinesOf(file))[0] ?? '{}') as Record<string, unknown>;

/**
 * A chain as a writer from before instances would have written it: no `instance` in the
 * headers, so every hash after them differs (and each next header's prevHash with them) and
 * every signature is made again by the chain's key.
 */
async function asLegacyChain(files: string[], signingSecretKey: Uint8Array): Promise<void> {
  let prevHash: string | null = null;
  for (const file of files) {
    const lines = await readLinesOf(file);
    const { instance: _dropped, ...header } = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    if (header.prevHash !== null) header.prevHash = prevHash;
    const out = [JSON.stringify(header)];
    let head = headerHash(out[0] as string);
    for (const text of lines.slice(1)) {
      const line = JSON.parse(text) as Line;
      const message =
        line.type === 'checkpoint'
          ? checkpointMessage(head, line.i, line.seq)
          : line.type === 'close'
            ? closeMessage(head, line.i, line.seq, Number(line.records))
            : null;
      if (message) line.sig = Buffer.from(nacl.sign.detached(message, signingSecretKey)).toString('base64');
      head = lineHash(head, line);
      out.push(JSON.stringify({ ...line, hash: head.toString('base64') }));
    }
    prevHash = head.toString('base64');
    await writeLinesOf(file, out);
  }
}

describe('the instance in the segment header', () => {
  it('is written in every header: the instance given, else main', async () => {
    const f = await twoInstances();
    for (const file of await segmentFiles(f.mainDir)) expect((await headerOf(file)).instance).toBe('main');
    for (const file of await segmentFiles(f.eastDir)) expect((await headerOf(file)).instance).toBe('east');
    const plain = await tempDir('audit-default-instance-');
    await chain(plain, makeKeys(), undefined);
    for (const file of await segmentFiles(plain)) expect((await headerOf(file)).instance).toBe('main');
  });

  it('must be a safe folder name', async () => {
    const keys = makeKeys();
    await expect(openAuditLog({ dir: await tempDir(), ...keys, instance: '../main' })).rejects.toMatchObject({
      code: 'AUDIT_USAGE',
    });
  });
});

describe('bank-audit verify over a data dir with several chains', () => {
  it('checks each chain against its own pinned signer', async () => {
    const f = await twoInstances();
    const result = await runCli(['verify', f.dataDir, '--signer', f.mainPub, '--signer', `east=${f.eastPub}`]);
    expect(result.code, result.out.join('\n')).toBe(0);
    expect(result.out).toEqual([
      expect.stringMatching(/^main: OK: 2 segment\(s\), 10 record\(s\)/),
      expect.stringMatching(/^east: OK: 2 segment\(s\), 10 record\(s\)/),
    ]);
  });

  it('a bare --signer still means main', async () => {
    const f = await twoInstances();
    await rm(join(f.dataDir, 'audit', 'instances'), { recursive: true });
    const result = await runCli(['verify', f.dataDir, '--signer', f.mainPub]);
    expect(result.code, result.out.join('\n')).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^OK: /)]);
    // Pinning main's key for east instead is refused as a wrong signer, not taken as east's.
    const f2 = await twoInstances();
    const bareOnly = await runCli(['verify', f2.dataDir, '--signer', f2.eastPub, '--signer', `east=${f2.eastPub}`]);
    expect(bareOnly.code).toBe(1);
    expect(bareOnly.out[0]).toMatch(/^main: FAILED: .*wrong signer/);
  });

  it('finds the chains of a data dir that has no main chain (an instance on another machine)', async () => {
    const f = await twoInstances();
    await rm(join(f.mainDir, 'segments'), { recursive: true });
    await rm(join(f.mainDir, 'audit.log'));
    for (const arg of [f.dataDir, f.mainDir]) {
      const result = await runCli(['verify', arg, '--signer', `east=${f.eastPub}`]);
      expect(result.code, result.out.join('\n')).toBe(0);
      expect(result.out).toEqual([expect.stringMatching(/^OK: 2 segment\(s\), 10 record\(s\)/)]);
    }
  });

  it("catches a segment copied from one instance's folder into another's", async () => {
    const f = await twoInstances();
    const eastSegments = await segmentFiles(f.eastDir);
    const stray = join(f.mainDir, 'segments', `99999999-${basename(eastSegments[0] as string)}`);
    await copyFile(eastSegments[0] as string, stray);
    const result = await runCli(['verify', f.dataDir, '--signer', f.mainPub, '--signer', `east=${f.eastPub}`]);
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(
      /^main: FAILED: .*wrong instance: .*belongs to instance east's chain, but lies in instance main's/,
    );
    expect(result.out[1]).toMatch(/^east: OK: /);
  });

  it('catches a chain swapped into another instance even when both are signed by one key', async () => {
    // Links, hashes and signatures all hold: only the header says whose chain it is.
    const f = await twoInstances({ sameSigner: true });
    const eastSegments = join(f.eastDir, 'segments');
    await rm(eastSegments, { recursive: true });
    await mkdir(eastSegments);
    for (const file of await segmentFiles(f.mainDir)) await copyFile(file, join(eastSegments, basename(file)));
    const result = await runCli(['verify', f.dataDir, '--signer', f.mainPub, '--signer', `east=${f.eastPub}`]);
    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/^east: FAILED: .*wrong instance/);
  });

  it('segments copied out of the data dir are grouped by the instance their header names', async () => {
    const f = await twoInstances();
    const flat = await tempDir('audit-flat-');
    const copies: string[] = [];
    for (const file of await segmentFiles(f.eastDir)) {
      copies.push(join(flat, basename(file)));
      await copyFile(file, copies.at(-1) as string);
    }
    const pinned = await runCli(['verify', ...copies, '--signer', `east=${f.eastPub}`]);
    expect(pinned.code, pinned.out.join('\n')).toBe(0);
    const bare = await runCli(['verify', ...copies, '--signer', f.eastPub]);
    expect(bare.code).toBe(3);
    expect(bare.err[0]).toContain('instance east: no pinned signer');
  });

  it('a header from before instances (no instance field) reads as main, and only main', async () => {
    const f = await twoInstances();
    const mainSegments = await segmentFiles(f.mainDir);
    await asLegacyChain(mainSegments, f.mainKeys.signingSecretKey);
    expect(Object.hasOwn(await headerOf(mainSegments[0] as string), 'instance')).toBe(false);
    const ok = await runCli(['verify', f.dataDir, '--signer', f.mainPub, '--signer', `east=${f.eastPub}`]);
    expect(ok.code, ok.out.join('\n')).toBe(0);
    // The same legacy chain put in east's folder is not east's.
    const eastSegments = join(f.eastDir, 'segments');
    await rm(eastSegments, { recursive: true });
    await mkdir(eastSegments);
    for (const file of mainSegments) await copyFile(file, join(eastSegments, basename(file)));
    await writeFile(f.eastPub, await readFile(f.mainPub));
    const moved = await runCli(['verify', f.dataDir, '--signer', f.mainPub, '--signer', `east=${f.eastPub}`]);
    expect(moved.code).toBe(1);
    expect(moved.out[1]).toMatch(/^east: FAILED: .*wrong instance: .*instance main's chain/);
  });
});

describe('bank-audit tail --instance', () => {
  it("shows that instance's chain; main's by default", async () => {
    const f = await twoInstances();
    const secretType = 'auditor-secret-x25519';
    const mainKey = await writeKeyFileForTest(f.dataDir, 'main-auditor.key', secretType, f.mainKeys.auditorSecretKey);
    const eastKey = await writeKeyFileForTest(f.dataDir, 'east-auditor.key', secretType, f.eastKeys.auditorSecretKey);
    const sessions = (out: string[]) => out.map((line) => (JSON.parse(line) as { sessionId?: string }).sessionId);
    const east = await runCli(['tail', f.dataDir, '--key', eastKey, '--no-follow', '-n', '20', '--instance', 'east']);
    expect(east.code, east.err.join('\n')).toBe(0);
    expect(east.out.length).toBeGreaterThan(0);
    expect(sessions(east.out)).toContain('s113');
    const main = await runCli(['tail', f.dataDir, '--key', mainKey, '--no-follow', '-n', '20']);
    expect(main.code, main.err.join('\n')).toBe(0);
    expect(sessions(main.out)).toContain('s13');
    expect(sessions(main.out)).not.toContain('s113');
    const none = await runCli(['tail', f.dataDir, '--key', eastKey, '--no-follow', '--instance', 'west']);
    expect(none.code).not.toBe(0);
    expect(none.err).toEqual([expect.stringContaining('no audit chain of instance west')]);
  });
});
