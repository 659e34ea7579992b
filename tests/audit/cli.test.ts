import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../audit/index.js';
import {
  type AuditKeysForTest,
  makeKeys,
  openLogWith,
  readLinesOf,
  removeTempDirs,
  runCli,
  segmentFiles,
  tempDir,
  writeKeyFileForTest,
  writeLinesOf,
  writeVerifierKeys,
} from './audit-fixtures.js';

afterEach(removeTempDirs);

/** A data dir laid out as the server leaves it, with events at known times. */
async function dataDirWithEvents(keys: AuditKeysForTest) {
  const dataDir = await tempDir('audit-cli-');
  const auditDir = join(dataDir, 'audit');
  let now = new Date('2025-06-01T12:00:00.000Z');
  const log = await openLogWith(auditDir, keys, { now: () => now });
  const at = (iso: string) => {
    now = new Date(iso);
  };
  at('2025-06-01T12:00:00.000Z');
  log.record({ kind: 'server_start', actor: 'operator' });
  at('2025-06-01T12:01:00.000Z');
  log.record({ kind: 'login', actor: 'alice', address: '127.0.0.1', terminal: 'T-1', outcome: 'ok' });
  at('2025-06-01T12:02:00.000Z');
  log.record({
    kind: 'request',
    actor: 'alice',
    op: 'deposit',
    amountCents: 12_345,
    outcome: 'ok',
    balanceAfterCents: 12_345,
    txId: 'tx-1',
  });
  at('2025-06-02T09:00:00.000Z');
  log.record({ kind: 'login_failed', actor: 'bob', address: '10.0.0.2', outcome: 'error', code: 'AUTH_FAILED' });
  at('2025-06-02T09:05:00.000Z');
  log.record({
    kind: 'request',
    actor: 'bob',
    op: 'withdraw',
    amountCents: 500,
    outcome: 'error',
    code: 'INSUFFICIENT_FUNDS',
  });
  await log.close();
  const { key, signer } = await writeVerifierKeys(dataDir, keys);
  return { dataDir, auditDir, key, signer, plaintext: join(auditDir, 'audit.log') };
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as AuditEvent);

/** A fresh data dir with events, and its keys, before each test of the suite. */
function eachTestDataDir() {
  const current = {} as Awaited<ReturnType<typeof dataDirWithEvents>> & { keys: AuditKeysForTest };
  beforeEach(async () => {
    const keys = makeKeys();
    Object.assign(current, await dataDirWithEvents(keys), { keys });
  });
  return current;
}

describe('bank-audit keygen', () => {
  it('writes the secret 0600 and the public key beside it, prints the public key', async () => {
    const dir = await tempDir();
    const out = join(dir, 'auditor.key');
    const result = await runCli(['keygen', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'auditor.pub'))).mode & 0o777).toBe(0o644);
    const publicLine = result.out.find((l) => l.startsWith('public key: '));
    const publicKey = publicLine?.slice('public key: '.length) ?? '';
    expect(Buffer.from(publicKey, 'base64')).toHaveLength(32);
    expect(await readFile(join(dir, 'auditor.pub'), 'utf8')).toContain(publicKey);
    expect(result.out.join('\n')).toContain('--auditor-key');
  });

  it('refuses to overwrite an existing key: one line on stderr, exit 3', async () => {
    const dir = await tempDir();
    const out = join(dir, 'auditor.key');
    await writeFile(out, 'precious');
    const result = await runCli(['keygen', '--out', out]);
    expect(result.code).toBe(3);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^bank-audit: AUDIT_KEY_EXISTS: /);
    expect(await readFile(out, 'utf8')).toBe('precious');
  });

  it('without --out: a usage error, one line', async () => {
    const result = await runCli(['keygen']);
    expect(result.code).toBe(3);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toContain("required option '--out <file>'");
  });
});

describe('bank-audit verify', () => {
  const fixture = eachTestDataDir();
  /** `verify` of `targets` with the signer, the auditor key and the plaintext log all given. */
  const verifyWithKeyAndPlaintext = (...targets: string[]) =>
    runCli(['verify', ...targets, '--signer', fixture.signer, '--key', fixture.key, '--plaintext', fixture.plaintext]);

  it('exit 0 with a one-line OK verdict (data dir, audit dir or files), with key and plaintext', async () => {
    const segments = await segmentFiles(fixture.auditDir);
    for (const args of [[fixture.dataDir], [fixture.auditDir], segments]) {
      const result = await verifyWithKeyAndPlaintext(...args);
      expect(result.code, result.out.join('\n')).toBe(0);
      expect(result.out).toHaveLength(1);
      expect(result.out[0]).toMatch(/^OK: 1 segment\(s\), 5 record\(s\), seq 1–5; .*audit\.log matches$/);
      expect(result.err).toEqual([]);
    }
    const keyless = await runCli(['verify', fixture.dataDir, '--signer', fixture.signer]);
    expect(keyless.code).toBe(0);
    expect(keyless.out[0]).toContain('records not opened (no --key)');
  });

  it('exit 1 naming segment, line, seq and reason when a record was changed', async () => {
    const [segment] = await segmentFiles(fixture.auditDir);
    const lines = await readLinesOf(segment ?? '');
    lines[3] = (lines[3] ?? '').replace(/"box":"(.)/, (_, c: string) => `"box":"${c === 'A' ? 'B' : 'A'}`);
    await writeLinesOf(segment ?? '', lines);
    const result = await runCli(['verify', fixture.dataDir, '--signer', fixture.signer]);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([expect.stringMatching(/^FAILED: \d{8}T\d{9}Z-0001\.enc line 4 \(seq 3\): modified: /)]);
    expect(result.err).toEqual([]);
  });

  it('exit 1 when the plaintext log was edited', async () => {
    const lines = await readLinesOf(fixture.plaintext);
    lines[1] = (lines[1] ?? '').replace('"actor":"alice"', '"actor":"mallory"');
    await writeLinesOf(fixture.plaintext, lines);
    const result = await verifyWithKeyAndPlaintext(fixture.dataDir);
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(/^FAILED: audit\.log line 2 \(seq 2\): plaintext differs: .*actor/);
  });

  it('--json prints the whole report', async () => {
    const result = await runCli(['verify', fixture.dataDir, '--signer', fixture.signer, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out.join('\n')) as { ok: boolean; records: number };
    expect(report).toMatchObject({ ok: true, records: 5 });
  });

  it('--signer pins the signing key (file or base64)', async () => {
    const signerFile = await writeKeyFileForTest(
      fixture.dataDir,
      'audit-signing.key',
      'audit-signing-ed25519',
      fixture.keys.signingSecretKey,
    );
    expect((await runCli(['verify', fixture.dataDir, '--signer', signerFile])).code).toBe(0);
    const other = Buffer.from(makeKeys().signingSecretKey.subarray(32)).toString('base64');
    const result = await runCli(['verify', fixture.dataDir, '--signer', other]);
    expect(result.code).toBe(1);
    expect(result.out[0]).toContain('wrong signer');
  });

  it('user mistakes: one stderr line, exit 3 (never 1, which means tampering), no stack', async () => {
    const s = ['--signer', fixture.signer];
    const wrongAuditor = await writeKeyFileForTest(
      fixture.dataDir,
      'other.key',
      'auditor-secret-x25519',
      makeKeys().auditorSecretKey,
    );
    const cases: string[][] = [
      ['verify', fixture.dataDir, ...s, '--plaintext', fixture.plaintext],
      ['verify', join(fixture.dataDir, 'nope.enc'), ...s],
      ['verify', fixture.dataDir, ...s, '--key', join(fixture.dataDir, 'missing.key')],
      ['verify', fixture.dataDir, ...s, '--key', join(fixture.auditDir, 'audit.log')],
      ['verify', fixture.dataDir, ...s, '--key', fixture.signer],
      ['verify', fixture.dataDir, ...s, '--key', wrongAuditor],
      ['verify', fixture.dataDir],
      ['verify', fixture.dataDir, '--signer', fixture.key],
      ['verify', fixture.dataDir, '--signer', 'not-a-key'],
      ['verify', fixture.dataDir, '--signer', 'other=not-a-key'],
      ['verify', fixture.dataDir, ...s, '--state', fixture.plaintext],
      ['verify', fixture.dataDir, ...s, '--state', join(fixture.dataDir, 'no-such-folder', 'state.json')],
      ['verify'],
      ['verify', fixture.dataDir, ...s, '--bogus'],
      ['nonsense'],
    ];
    for (const args of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.err, args.join(' ')).toHaveLength(1);
      expect(result.err[0]).not.toContain('    at ');
    }
  });
});

describe('bank-audit decrypt', () => {
  const fixture = eachTestDataDir();

  it('prints every event as JSON lines', async () => {
    const result = await runCli(['decrypt', fixture.dataDir, '--key', fixture.key]);
    expect(result.code).toBe(0);
    const events = parse(result.out);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[2]).toMatchObject({
      kind: 'request',
      actor: 'alice',
      op: 'deposit',
      amountCents: 12_345,
      txId: 'tx-1',
    });
  });

  it('filters by --user, --kind, --since and --until', async () => {
    const run = async (...args: string[]) =>
      parse((await runCli(['decrypt', fixture.dataDir, '--key', fixture.key, ...args])).out).map((e) => e.seq);
    expect(await run('--user', 'alice')).toEqual([2, 3]);
    expect(await run('--kind', 'login,login_failed')).toEqual([2, 4]);
    expect(await run('--kind', 'login', '--kind', 'server_start')).toEqual([1, 2]);
    expect(await run('--since', '2025-06-02')).toEqual([4, 5]);
    expect(await run('--until', '2025-06-01T12:01:00Z')).toEqual([1, 2]);
    expect(await run('--since', '2025-06-01T12:01:30Z', '--until', '2025-06-02T09:00:00Z', '--user', 'bob')).toEqual([
      4,
    ]);
  });

  it('--pretty prints a table with amounts in units', async () => {
    const result = await runCli(['decrypt', fixture.dataDir, '--key', fixture.key, '--pretty', '--user', 'alice']);
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^SEQ\s+TIME\s+KIND\s+ACTOR/);
    expect(result.out).toHaveLength(4);
    expect(result.out[2]).toMatch(
      /3\s+2025-06-01T12:02:00.000Z\s+request\s+alice\s+deposit\s+123\.45\s+ok\s+123\.45\s+tx-1/,
    );
    expect(result.out.at(-1)).toBe('(2 events)');
  });

  it('a bad --since, the wrong key, or a public key: one line, exit 3', async () => {
    const bad = await runCli(['decrypt', fixture.dataDir, '--key', fixture.key, '--since', 'yesterday']);
    expect(bad.code).toBe(3);
    expect(bad.err).toHaveLength(1);
    const wrongKey = await writeKeyFileForTest(
      fixture.dataDir,
      'other.key',
      'auditor-secret-x25519',
      makeKeys().auditorSecretKey,
    );
    const wrong = await runCli(['decrypt', fixture.dataDir, '--key', wrongKey]);
    expect(wrong.code).toBe(3);
    expect(wrong.err).toEqual([expect.stringMatching(/^bank-audit: AUDIT_KEY_MISMATCH: /)]);
    const pub = await writeKeyFileForTest(
      fixture.dataDir,
      'auditor.pub',
      'auditor-public-x25519',
      fixture.keys.auditorPublicKey,
    );
    const swapped = await runCli(['decrypt', fixture.dataDir, '--key', pub]);
    expect(swapped.err).toEqual([expect.stringMatching(/AUDIT_KEY_WRONG_TYPE.*not an auditor SECRET key/)]);
  });
});

describe('bank-audit tail', () => {
  it('--no-follow prints the newest events and exits', async () => {
    const keys = makeKeys();
    const fixture = await dataDirWithEvents(keys);
    const result = await runCli(['tail', fixture.dataDir, '--key', fixture.key, '--no-follow', '-n', '2']);
    expect(result.code).toBe(0);
    expect(parse(result.out).map((e) => e.seq)).toEqual([4, 5]);
    const pretty = await runCli(['tail', fixture.dataDir, '--key', fixture.key, '--no-follow', '--pretty', '-n', '1']);
    expect(pretty.out).toEqual([
      expect.stringMatching(
        /^#5 2025-06-02T09:05:00.000Z request actor=bob op=withdraw amount=5\.00 outcome=error code=INSUFFICIENT_FUNDS$/,
      ),
    ]);
  });

  it('follows new events live, across a new segment, until stopped', async () => {
    const keys = makeKeys();
    const dataDir = await tempDir('audit-tail-');
    const auditDir = join(dataDir, 'audit');
    const key = await writeKeyFileForTest(dataDir, 'auditor.key', 'auditor-secret-x25519', keys.auditorSecretKey);
    const open = () => openLogWith(auditDir, keys);
    const first = await open();
    first.record({ kind: 'server_start' });
    await first.flush();

    const stop = new AbortController();
    const out: string[] = [];
    const { runBankAudit } = await import('../../audit/cli/program.js');
    const running = runBankAudit(['tail', dataDir, '--key', key, '--poll', '20'], {
      out: (line) => out.push(line),
      err: (line) => out.push(`ERR ${line}`),
      env: {},
      signal: stop.signal,
    });
    const seen = async (count: number) => {
      for (let tries = 0; tries < 250 && out.length < count; tries++) await new Promise((r) => setTimeout(r, 20));
      expect(out.length).toBeGreaterThanOrEqual(count);
    };
    await seen(1);
    first.record({ kind: 'login', actor: 'alice' });
    first.record({ kind: 'logout', actor: 'alice' });
    await first.flush();
    await seen(3);
    await first.close();
    const second = await open();
    second.record({ kind: 'server_start' });
    await second.flush();
    await seen(4);
    stop.abort();
    expect(await running).toBe(0);
    await second.close();
    expect(parse(out).map((e) => [e.seq, e.kind])).toEqual([
      [1, 'server_start'],
      [2, 'login'],
      [3, 'logout'],
      [4, 'server_start'],
    ]);
  });
});
