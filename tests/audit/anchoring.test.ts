import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEvent, decryptAll, openAuditLog } from '../../audit/index.js';
import {
  type AuditKeysForTest,
  makeKeys,
  openLogWith,
  readLinesOf,
  removeTempDirs,
  runCli,
  sampleEvent,
  segmentFiles,
  tempDir,
  writeVerifierKeys,
} from './audit-fixtures.js';
import { attackerKey, forgeSegment, rewritePlaintext } from './forge.js';

afterEach(removeTempDirs);

const pub = (secret: Uint8Array) => Buffer.from(secret.subarray(32)).toString('base64');

/** Two server runs as the server leaves them: run 2 holds a deposit of 250,000.00 and several checkpoints. */
async function twoRuns(keys: AuditKeysForTest, options: { rotateTo?: Uint8Array; secondKey?: Uint8Array } = {}) {
  const dataDir = await tempDir('audit-anchor-');
  const auditDir = join(dataDir, 'audit');
  const first = await openLogWith(auditDir, keys);
  for (let n = 0; n < 6; n++) first.record(sampleEvent(n));
  await first.close();
  const second = await openAuditLog({
    dir: auditDir,
    auditorPublicKey: keys.auditorPublicKey,
    signingSecretKey: options.secondKey ?? keys.signingSecretKey,
    rotateTo: options.rotateTo ?? null,
  });
  for (let n = 0; n < 4; n++) second.record(sampleEvent(10 + n));
  await second.flush();
  second.record({ kind: 'request', actor: 'mallory', op: 'deposit', amountCents: 25_000_000, outcome: 'ok' });
  await second.flush();
  for (let n = 0; n < 3; n++) second.record(sampleEvent(20 + n));
  await second.close();
  const { key, signer } = await writeVerifierKeys(dataDir, keys);
  const plaintext = join(auditDir, 'audit.log');
  const state = join(await tempDir('auditor-home-'), 'state.json');
  return { dataDir, auditDir, key, signer, plaintext, state };
}

type Fixture = Awaited<ReturnType<typeof twoRuns>>;

const full = (f: Fixture, ...more: string[]) => [
  'verify',
  f.dataDir,
  '--key',
  f.key,
  '--plaintext',
  f.plaintext,
  ...more,
];

describe('the four attacks of someone who can write the data dir', () => {
  let keys: AuditKeysForTest;
  let f: Fixture;
  beforeEach(async () => {
    keys = makeKeys();
    f = await twoRuns(keys);
  });

  it('deleting the newest segment and trimming audit.log: ROLLED_BACK against the auditor state (exit 1)', async () => {
    const before = await runCli(full(f, '--signer', f.signer, '--state', f.state));
    expect(before.code, before.out.join('\n')).toBe(0);
    const [older, newest] = await segmentFiles(f.auditDir);
    const olderEvents = await decryptAll([older ?? ''], keys.auditorSecretKey);
    await rm(newest ?? '');
    const kept = (await readLinesOf(f.plaintext)).slice(0, olderEvents.length);
    await writeFile(f.plaintext, kept.map((l) => `${l}\n`).join(''));

    const after = await runCli(full(f, '--state', f.state));
    expect(after.code, after.out.join('\n')).toBe(1);
    expect(after.out[0]).toMatch(/^FAILED: .*rolled back: the chain no longer reaches the signed head/);
    // The state is not moved back by a failed verify.
    const again = await runCli(full(f, '--state', f.state));
    expect(again.code).toBe(1);
    // Every segment gone: still rolled back, not a usage mistake.
    await rm(older ?? '');
    const none = await runCli(['verify', f.dataDir, '--state', f.state]);
    expect(none.code).toBe(1);
    expect(none.out[0]).toMatch(/^FAILED: rolled back: no segment files/);
  });

  it('replacing the last segment with one signed by another key (deposit hidden in both logs): wrong signer (exit 1)', async () => {
    const [older, newest] = await segmentFiles(f.auditDir);
    const all = await decryptAll([older ?? '', newest ?? ''], keys.auditorSecretKey);
    const hidden = all.map((e): AuditEvent => (e.actor === 'mallory' ? { ...e, op: 'balance', amountCents: 100 } : e));
    const firstOfNewest = (await decryptAll([older ?? ''], keys.auditorSecretKey)).length;
    await forgeSegment({
      path: newest ?? '',
      previousPath: older ?? '',
      auditorPublicKey: keys.auditorPublicKey,
      events: hidden.slice(firstOfNewest),
    });
    await rewritePlaintext(f.plaintext, hidden);
    expect(JSON.stringify(await decryptAll([older ?? '', newest ?? ''], keys.auditorSecretKey))).not.toContain(
      '25000000',
    );

    const result = await runCli(full(f, '--signer', f.signer));
    expect(result.code, result.out.join('\n')).toBe(1);
    expect(result.out[0]).toMatch(/^FAILED: \S+-0001\.enc line 1: wrong signer: .* not by the pinned signer/);
    expect((await runCli(full(f))).code).toBe(3);
  });

  it('forging every segment with one attacker key: wrong signer (exit 1); with no pinned signer, no verdict (exit 3)', async () => {
    const paths = await segmentFiles(f.auditDir);
    const all = await decryptAll(paths, keys.auditorSecretKey);
    const forger = attackerKey();
    let offset = 0;
    for (const [k, path] of paths.entries()) {
      const count = (await decryptAll([path], keys.auditorSecretKey)).length;
      await forgeSegment({
        path,
        previousPath: k === 0 ? null : (paths[k - 1] ?? null),
        auditorPublicKey: keys.auditorPublicKey,
        events: all.slice(offset, offset + count).map((e) => (e.actor === 'mallory' ? { ...e, amountCents: 1 } : e)),
        signingSecretKey: forger,
      });
      offset += count;
    }
    await rewritePlaintext(
      f.plaintext,
      all.map((e) => (e.actor === 'mallory' ? { ...e, amountCents: 1 } : e)),
    );

    const pinned = await runCli(full(f, '--signer', f.signer));
    expect(pinned.code, pinned.out.join('\n')).toBe(1);
    expect(pinned.out[0]).toMatch(/wrong signer: .*-0001\.enc is signed by key /);
    // The attacker's own key is no pin: the CLI never trusts what the segments name.
    const unpinned = await runCli(full(f));
    expect(unpinned.code).toBe(3);
    expect(unpinned.out).toEqual([]);
    expect(unpinned.err).toEqual([expect.stringContaining('no pinned signer')]);
  });

  it('truncating the last segment back to a checkpoint: an unclean end alone, ROLLED_BACK with the state (exit 1)', async () => {
    expect((await runCli(full(f, '--signer', f.signer, '--state', f.state))).code).toBe(0);
    const [, newest] = await segmentFiles(f.auditDir);
    const text = await readFile(newest ?? '', 'utf8');
    const lines = text.split('\n');
    const firstCheckpoint = lines.findIndex((l) => l.includes('"type":"checkpoint"'));
    const keep = `${lines.slice(0, firstCheckpoint + 1).join('\n')}\n`;
    await truncate(newest ?? '', Buffer.byteLength(keep));

    const alone = await runCli(['verify', f.dataDir, '--signer', f.signer]);
    expect(alone.code, alone.out.join('\n')).toBe(2);
    expect(alone.out[0]).toMatch(/^UNCLEAN END: /);
    const withState = await runCli(['verify', f.dataDir, '--state', f.state]);
    expect(withState.code, withState.out.join('\n')).toBe(1);
    expect(withState.out[0]).toMatch(/rolled back: .*-0001\.enc no longer holds it/);
  });
});

describe('signer rotation', () => {
  it('a rotation signed by the pinned key is followed; the state learns the new key', async () => {
    const keys = makeKeys();
    const next = attackerKey();
    const f = await twoRuns(keys, { rotateTo: next });
    const result = await runCli(full(f, '--signer', f.signer, '--state', f.state));
    expect(result.code, result.out.join('\n')).toBe(0);
    expect(result.out[0]).toMatch(/^OK: 3 segment\(s\).*1 signed key rotation/);
    const state = JSON.parse(await readFile(f.state, 'utf8')) as { chains: { main: { signers: string[] } } };
    expect(state.chains.main.signers).toEqual([pub(keys.signingSecretKey), pub(next)]);
    // The rotated-to key is one the state knows; an unrelated key is a mistake, not a verdict.
    expect((await runCli(['verify', f.dataDir, '--state', f.state, '--signer', pub(next)])).code).toBe(0);
    const stranger = await runCli(['verify', f.dataDir, '--state', f.state, '--signer', pub(attackerKey())]);
    expect(stranger.code).toBe(3);
    expect(stranger.err[0]).toContain('neither the signer the state pins');
  });

  it('a crash between the hand-over and the key file swap does not rotate twice', async () => {
    const keys = makeKeys();
    const next = attackerKey();
    const f = await twoRuns(keys, { rotateTo: next });
    // The next start still finds the pending key next to the old one: it must not hand over again.
    const again = await openLogWith(f.auditDir, keys, { rotateTo: next });
    again.record(sampleEvent(40));
    await again.close();
    expect(await segmentFiles(f.auditDir)).toHaveLength(4);
    const result = await runCli(full(f, '--signer', f.signer));
    expect(result.code, result.out.join('\n')).toBe(0);
  });

  it('a key change without a signed hand-over is refused', async () => {
    const keys = makeKeys();
    const f = await twoRuns(keys, { secondKey: attackerKey() });
    const result = await runCli(full(f, '--signer', f.signer));
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(/-0001\.enc line 1: wrong signer: .*no signed rotation hands over to it/);
  });
});

describe('--state', () => {
  it("a real crash's unsigned tail is not a rollback, and verify goes on after the restart", async () => {
    const keys = makeKeys();
    const dataDir = await tempDir('audit-anchor-');
    const auditDir = join(dataDir, 'audit');
    const state = join(await tempDir('auditor-home-'), 'state.json');
    const signer = pub(keys.signingSecretKey);
    const log = await openAuditLog({ dir: auditDir, ...keys, checkpointIntervalMs: 60_000 });
    for (let n = 0; n < 5; n++) log.record(sampleEvent(n));
    await log.flush();
    const live = await runCli(['verify', dataDir, '--signer', signer, '--state', state]);
    expect(live.code).toBe(2);
    // More records reach the file but no checkpoint signs them: then the process dies.
    for (let n = 5; n < 9; n++) log.record(sampleEvent(n));
    await new Promise((r) => setTimeout(r, 50));
    const crashed = await runCli(['verify', dataDir, '--state', state]);
    expect(crashed.code, crashed.out.join('\n')).toBe(2);
    expect(crashed.out[0]).toMatch(/^UNCLEAN END: /);

    const restarted = await openAuditLog({ dir: auditDir, ...keys });
    restarted.record(sampleEvent(20));
    await restarted.close();
    const after = await runCli(['verify', dataDir, '--state', state]);
    expect(after.code, after.out.join('\n')).toBe(2);
    const saved = JSON.parse(await readFile(state, 'utf8')) as { chains: { main: { head: { segment: string } } } };
    expect(saved.chains.main.head.segment).toBe((await segmentFiles(auditDir)).at(-1)?.split('/').at(-1));
  });

  it('a state without a signer and no --signer gives no verdict; a damaged state file is a mistake', async () => {
    const keys = makeKeys();
    const f = await twoRuns(keys);
    expect((await runCli(['verify', f.dataDir, '--state', f.state])).code).toBe(3);
    await writeFile(f.state, '{"format":"secure-atm-audit-state/1","chains":{"main":{"signers":["x"]}}}');
    const damaged = await runCli(['verify', f.dataDir, '--state', f.state, '--signer', f.signer]);
    expect(damaged.code).toBe(3);
    expect(damaged.err).toEqual([expect.stringContaining('not a bank-audit state file')]);
  });
});

describe('one chain per instance', () => {
  it('--signer <instance>=<key> pins each chain; a chain without a pin gets no verdict', async () => {
    const main = makeKeys();
    const other = makeKeys();
    const dataDir = await tempDir('audit-instances-');
    for (const [dir, keys, instance] of [
      [join(dataDir, 'audit'), main, 'main'],
      [join(dataDir, 'audit', 'instances', 'east'), other, 'east'],
    ] as const) {
      const log = await openAuditLog({ dir, ...keys, instance });
      for (let n = 0; n < 3; n++) log.record(sampleEvent(n));
      await log.close();
    }
    const both = await runCli([
      'verify',
      dataDir,
      '--signer',
      pub(main.signingSecretKey),
      '--signer',
      `east=${pub(other.signingSecretKey)}`,
    ]);
    expect(both.code, both.out.join('\n')).toBe(0);
    expect(both.out).toEqual([expect.stringMatching(/^main: OK: /), expect.stringMatching(/^east: OK: /)]);
    const swapped = await runCli([
      'verify',
      dataDir,
      '--signer',
      pub(main.signingSecretKey),
      '--signer',
      `east=${pub(main.signingSecretKey)}`,
    ]);
    expect(swapped.code).toBe(1);
    expect(swapped.out[1]).toMatch(/^east: FAILED: .*wrong signer/);
    const unpinned = await runCli(['verify', dataDir, '--signer', pub(main.signingSecretKey)]);
    expect(unpinned.code).toBe(3);
    expect(unpinned.err[0]).toContain('instance east: no pinned signer');
  });
});
