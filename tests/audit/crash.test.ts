import { spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptAll, verifySegments } from '../../audit/index.js';
import {
  type AuditKeysForTest,
  makeKeys,
  openLogWith,
  removeTempDirs,
  runCli,
  segmentFiles,
  tempDir,
  writeKeyFileForTest,
} from './audit-fixtures.js';
import { chainBefore, type Line, lineHash } from './segment-spec.js';

afterEach(removeTempDirs);

const ROOT = resolve(import.meta.dirname, '../..');
const WRITER = join(ROOT, 'tests/audit/fixtures/crash-writer.ts');

/** Run the writer in a child process and SIGKILL it once it printed `until`. */
async function writeAndKill(dir: string, keys: AuditKeysForTest, mode: 'calm' | 'busy', until: RegExp, delayMs = 0) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      WRITER,
      dir,
      Buffer.from(keys.auditorPublicKey).toString('base64'),
      Buffer.from(keys.signingSecretKey).toString('base64'),
      mode,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolveExit) =>
    child.on('exit', (_code, signal) => resolveExit(signal)),
  );
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (until.test(out)) ready();
    });
    child.on('exit', () => fail(new Error(`writer exited early: ${out} ${err}`)));
  });
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return out;
}

describe('a server killed with SIGKILL', () => {
  it('leaves an unclean end; everything up to the last checkpoint verifies; the log goes on after a restart', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeAndKill(dir, keys, 'calm', /written 17/);

    const [crashed] = await segmentFiles(dir);
    const plaintextLog = join(dir, 'audit.log');
    const report = await verifySegments([crashed ?? ''], { auditorSecretKey: keys.auditorSecretKey, plaintextLog });
    expect(report.problem).toBeNull();
    expect(report.ok).toBe(false);
    expect(report.uncleanEnds).toHaveLength(1);
    expect(report.uncleanEnds[0]?.reason).toBe('unclean_end');
    expect(report.verdict).toMatch(/^UNCLEAN END: .*unclean end/);
    expect(report.verdict).toContain('records seq 1–10 verify through the last checkpoint');
    expect(report.verdict).toContain('7 record(s) after it (seq 11–17) are unsigned');
    expect(report.segments[0]).toMatchObject({ lastSignedSeq: 10, lastSeq: 17, closed: false });

    // The CLI says the same with exit code 2.
    const keyFile = await writeKeyFileForTest(dir, 'auditor.key', 'auditor-secret-x25519', keys.auditorSecretKey);
    const signer = Buffer.from(keys.signingSecretKey.subarray(32)).toString('base64');
    const cli = await runCli(['verify', dir, '--signer', signer, '--key', keyFile, '--plaintext', plaintextLog]);
    expect(cli.code).toBe(2);
    expect(cli.out.join('\n')).toContain('unclean end');

    // Restart: a new segment links to where the crashed one ended and seq goes on.
    const log = await openLogWith(dir, keys);
    log.record({ kind: 'server_start', actor: 'operator' });
    await log.close();
    const segments = await segmentFiles(dir);
    expect(segments).toHaveLength(2);
    const after = await verifySegments(segments, {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog,
      complete: true,
    });
    expect(after.problem).toBeNull();
    expect(after.uncleanEnds.map((u) => u.file)).toEqual([crashed]);
    expect(after.segments[1]).toMatchObject({ firstSeq: 18, closed: true });
    const events = await decryptAll(segments, keys.auditorSecretKey);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 18 }, (_, k) => k + 1));

    // An attacker who appends a well-chained record to the crashed segment's unsigned tail breaks the link.
    const text = await readFile(crashed ?? '', 'utf8');
    const lines = text.split('\n').slice(0, -1);
    const last = JSON.parse(lines.at(-1) ?? '') as Line;
    const forged: Line = { ...last, i: last.i + 1, seq: last.seq + 1 };
    forged.hash = lineHash(chainBefore(lines, lines.length), forged).toString('base64');
    await appendFile(crashed ?? '', `${JSON.stringify(forged)}\n`);
    const tampered = await verifySegments(segments);
    expect(tampered.problem?.reason, tampered.verdict).toBe('unlinked');
  });

  it('killed while busy: never a tamper verdict, at worst an unclean or truncated end after the checkpoint', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeAndKill(dir, keys, 'busy', /busy/, 150);
    const segments = await segmentFiles(dir);
    const report = await verifySegments(segments, {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog: join(dir, 'audit.log'),
    });
    expect(report.problem, report.verdict).toBeNull();
    expect(['unclean_end', 'truncated']).toContain(report.uncleanEnds[0]?.reason);
    expect(report.segments[0]?.lastSignedSeq).toBeGreaterThanOrEqual(10);
  });
});
