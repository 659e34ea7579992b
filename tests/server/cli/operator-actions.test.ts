import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION } from '../../../protocol/index.js';
import { bankServerMain, openLedger } from '../../../server/index.js';
import { BIN, REPO_ROOT, runCli } from '../../helpers/spawn-server.js';

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await bankServerMain(['node', 'bank-server', ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
  });
  return { code, out, err };
}

describe('operator actions from the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secure-atm-operator-'));
    expect((await run(['init', '--data-dir', dir])).code).toBe(0);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pending = () => {
    const store = openLedger(join(dir, 'ledger.db'));
    try {
      return store.pendingOperatorActions().map((a) => a.detail);
    } finally {
      store.close();
    }
  };

  it('are queued for the audit log with the OS user and host that ran them', async () => {
    const created = await run(['accounts', 'create', 'opuser', '--data-dir', dir, '--bcrypt-cost', '4']);
    expect(created.code).toBe(0);
    // The generated password is printed bare (no quotes), ready to paste.
    expect(created.out.find((l) => l.startsWith('password: '))).toMatch(/^password: [A-Za-z][^\s"']{19,}$/);
    expect(pending().at(-1)).toEqual({
      action: 'account_create',
      user: 'opuser',
      osUser: userInfo().username,
      osHost: hostname(),
    });
  });

  it('a refused export (the file exists) is not recorded as an export, and the file is untouched', async () => {
    const existing = join(dir, 'already-there.json');
    await writeFile(existing, 'keep me\n');
    const before = pending().length;
    const refused = await run(['accounts', 'export', 'opuser', '--data-dir', dir, '--out', existing]);
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toMatch(/already exists/);
    expect(pending()).toHaveLength(before);
    expect(await readFile(existing, 'utf8')).toBe('keep me\n');

    const fresh = join(dir, 'export.json');
    expect((await run(['accounts', 'export', 'opuser', '--data-dir', dir, '--out', fresh])).code).toBe(0);
    expect(pending().at(-1)).toMatchObject({ action: 'account_export', user: 'opuser', to: fresh });
  });
});

describe('--version', () => {
  it('package.json and PACKAGE_VERSION agree', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });

  it.each([
    ['bank-server', BIN.bankServer],
    ['atm', BIN.atm],
    ['bank-audit', BIN.bankAudit],
  ])('%s --version prints it and exits 0', async (_name, bin) => {
    const res = await runCli(bin, ['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(PACKAGE_VERSION);
  });
});
