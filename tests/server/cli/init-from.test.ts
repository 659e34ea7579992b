import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataDir } from '../../../server/setup/open-data-dir.js';
import { BIN, makeTempDir, removeTempDir, runCli } from '../../helpers/spawn-server.js';
import { exists, mode } from '../file-facts.js';

const SHARED = [
  'keys/auditor.pub',
  'keys/data.key',
  'tls/ca.crt',
  'tls/ca.key',
  'tls/terminal-ca.crt',
  'tls/terminal-ca.key',
];

function oneLineNoStack(stderr: string): void {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push(relative(root, path));
    }
  };
  await walk(root);
  return out.sort();
}

let scratch: string;
let source: string;
beforeAll(async () => {
  scratch = await makeTempDir('secure-atm-init-from-');
  source = join(scratch, 'first');
  const init = await runCli(BIN.bankServer, ['init', '--data-dir', source]);
  expect(init.code, init.stderr).toBe(0);
});
afterAll(async () => {
  await removeTempDir(scratch);
});

describe('bank-server init --from <data-dir>', () => {
  it('copies only the data key, the server CA, the terminal CA and the auditor public key', async () => {
    const target = join(scratch, 'second');
    const result = await runCli(BIN.bankServer, ['init', '--from', source, '--data-dir', target]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`data dir ready for another instance: ${target}`);

    // Nothing else: no ledger, no audit, no signing key, no demo auditor secret.
    expect(await filesUnder(target)).toEqual([...SHARED, 'data-dir.json', 'tls/server.crt', 'tls/server.key'].sort());
    expect(await exists(join(source, 'keys', 'auditor.key'))).toBe(true);
    expect(await exists(join(source, 'ledger.db'))).toBe(true);
    for (const file of SHARED) {
      expect(await readFile(join(target, file), 'utf8'), file).toBe(await readFile(join(source, file), 'utf8'));
      expect(await mode(join(target, file)), file).toBe(await mode(join(source, file)));
    }
    for (const file of ['tls/server.crt', 'tls/server.key']) {
      expect(await mode(join(target, file)), file).toBe(await mode(join(source, file)));
    }
    for (const dir of ['', 'tls', 'keys']) expect(await mode(join(target, dir)), dir).toBe(0o700);

    // Its own server certificate, issued by the shared CA the ATMs already trust.
    const ca = new X509Certificate(await readFile(join(target, 'tls', 'ca.crt')));
    const cert = new X509Certificate(await readFile(join(target, 'tls', 'server.crt')));
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.serialNumber).not.toBe(
      new X509Certificate(await readFile(join(source, 'tls', 'server.crt'))).serialNumber,
    );

    const manifest = JSON.parse(await readFile(join(target, 'data-dir.json'), 'utf8')) as {
      instances: string[];
      files: { path: string }[];
    };
    expect(manifest.instances).toEqual([]);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      ['keys/auditor.pub', 'keys/data.key', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key'].sort(),
    );

    // The instance that starts there on the shared ledger makes its own signing key and nothing else.
    const opened = await openDataDir({ dataDir: target, instanceId: 'east', ledgerUrl: 'postgres://db.example/bank' });
    await opened.commit();
    await opened.release();
    expect(opened.created).toEqual(['keys/instances/east/audit-signing.key']);
    expect(await exists(join(target, 'keys', 'auditor.key'))).toBe(false);
    expect(await readFile(join(target, 'keys', 'instances', 'east', 'audit-signing.pub'), 'utf8')).not.toBe(
      await readFile(join(source, 'keys', 'audit-signing.pub'), 'utf8'),
    );
  });

  it('an existing empty folder is a fine target', async () => {
    const target = join(scratch, 'empty-target');
    await mkdir(target, { mode: 0o700 });
    const result = await runCli(BIN.bankServer, ['init', '--from', source, '--data-dir', target]);
    expect(result.code, result.stderr).toBe(0);
    expect(await exists(join(target, 'keys', 'data.key'))).toBe(true);
  });

  it('refuses, in one line and leaving the target as it was: a missing source, a file, a folder that is no data dir', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'x');
    const notADataDir = join(scratch, 'photos');
    await mkdir(notADataDir);
    await writeFile(join(notADataDir, 'cat.jpg'), 'x');
    const cases: Array<[string, string]> = [
      [join(scratch, 'nowhere'), 'INIT_SOURCE_MISSING'],
      [file, 'INIT_SOURCE_NOT_A_DATA_DIR'],
      [notADataDir, 'INIT_SOURCE_NOT_A_DATA_DIR'],
    ];
    for (const [from, code] of cases) {
      const target = join(scratch, `target-${code}`);
      const result = await runCli(BIN.bankServer, ['init', '--from', from, '--data-dir', target]);
      expect(result.code, result.stderr).toBe(1);
      oneLineNoStack(result.stderr);
      expect(result.stderr).toContain(code);
      expect(await exists(target)).toBe(false);
    }
  });

  it('refuses a source that lacks a shared file, and a target that is not empty', async () => {
    const partial = join(scratch, 'partial');
    expect((await runCli(BIN.bankServer, ['init', '--data-dir', partial])).code).toBe(0);
    await rm(join(partial, 'tls', 'terminal-ca.key'));
    const incomplete = await runCli(BIN.bankServer, ['init', '--from', partial, '--data-dir', join(scratch, 'x1')]);
    expect(incomplete.code).toBe(1);
    oneLineNoStack(incomplete.stderr);
    expect(incomplete.stderr).toMatch(/INIT_SOURCE_INCOMPLETE: .*lacks tls\/terminal-ca\.key/);
    expect(await exists(join(scratch, 'x1'))).toBe(false);

    const occupied = join(scratch, 'occupied');
    await mkdir(occupied);
    await writeFile(join(occupied, 'notes.txt'), 'keep me');
    const notEmpty = await runCli(BIN.bankServer, ['init', '--from', source, '--data-dir', occupied]);
    expect(notEmpty.code).toBe(1);
    oneLineNoStack(notEmpty.stderr);
    expect(notEmpty.stderr).toContain('INIT_TARGET_NOT_EMPTY');
    expect(await filesUnder(occupied)).toEqual(['notes.txt']);

    // A data dir is never re-initialised from another one over its own keys.
    const again = await runCli(BIN.bankServer, ['init', '--from', source, '--data-dir', partial]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('INIT_TARGET_NOT_EMPTY');
  });

  it('--from with --auditor-key is a usage mistake', async () => {
    const result = await runCli(BIN.bankServer, [
      'init',
      '--from',
      source,
      '--data-dir',
      join(scratch, 'x2'),
      '--auditor-key',
      join(source, 'keys', 'auditor.pub'),
    ]);
    expect(result.code).toBe(1);
    oneLineNoStack(result.stderr);
    expect(result.stderr).toContain('leave out --auditor-key');
  });
});
