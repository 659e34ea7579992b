import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type VerifyReport, verifySegments } from '../../audit/index.js';
import {
  type AuditKeysForTest,
  makeKeys,
  readLinesOf,
  removeTempDirs,
  segmentFiles,
  tempDir,
  writeLinesOf,
  writeLog,
} from './audit-fixtures.js';
import { chainBefore, checkpointMessage, type Line, rechain } from './segment-spec.js';

afterEach(removeTempDirs);

// 20 records, a checkpoint after every 5th, then the close record:
// line 1 header, lines 2-6 records 1-5, line 7 checkpoint, lines 8-12 records 6-10, line 13 checkpoint, ...
const RECORDS = 20;
/** Index in the lines array (0 = header) of record `seq`. */
const recordIndex = (seq: number) => seq + Math.floor((seq - 1) / 5);

let dir: string;
let keys: AuditKeysForTest;
let segment: string;
let plaintext: string;

beforeEach(async () => {
  dir = await tempDir();
  keys = makeKeys();
  await writeLog(dir, keys, RECORDS, { flushEvery: 5 });
  segment = (await segmentFiles(dir))[0] ?? '';
  plaintext = join(dir, 'audit.log');
});

const full = () => verifySegments([segment], { auditorSecretKey: keys.auditorSecretKey, plaintextLog: plaintext });
const keyless = () => verifySegments([segment]);

async function editLines(edit: (lines: string[]) => string[]): Promise<void> {
  await writeLinesOf(segment, edit(await readLinesOf(segment)));
}

function expectProblem(report: VerifyReport, reason: string, seq?: number): void {
  expect(report.ok).toBe(false);
  expect(report.problem?.reason, report.verdict).toBe(reason);
  if (seq !== undefined) expect(report.problem?.seq, report.verdict).toBe(seq);
  expect(report.verdict).toMatch(/^FAILED: /);
  expect(report.verdict).toContain(reason.replace('_', ' '));
}

describe('verify on untouched logs', () => {
  it('passes without the key, with the key, and with the plaintext log', async () => {
    for (const report of [await keyless(), await full()]) {
      expect(report.ok).toBe(true);
      expect(report.problem).toBeNull();
      expect(report.uncleanEnds).toEqual([]);
      expect(report.records).toBe(RECORDS);
      expect(report.verdict).toMatch(/^OK: 1 segment\(s\), 20 record\(s\), seq 1–20/);
    }
    expect((await full()).verdict).toContain('audit.log matches');
  });
});

describe('tampering with a segment is detected and named', () => {
  it('one flipped byte in a sealed record: modified, naming the record', async () => {
    const text = await readFile(segment, 'utf8');
    const lines = text.split('\n');
    const target = lines[recordIndex(7)] ?? '';
    const boxAt = target.indexOf('"box":"') + 7 + 20;
    const offset = text.indexOf(target) + boxAt;
    const bytes = Buffer.from(text);
    bytes[offset] = bytes[offset] === 0x41 ? 0x42 : 0x41;
    await writeFile(segment, bytes);
    const report = await keyless();
    expectProblem(report, 'modified', 7);
    expect(report.problem?.line).toBe(recordIndex(7) + 1);
    expectProblem(await full(), 'modified', 7);
  });

  it('a deleted line: missing, naming the record that is gone', async () => {
    await editLines((lines) => lines.filter((_, k) => k !== recordIndex(8)));
    const report = await keyless();
    expectProblem(report, 'missing', 8);
    expect(report.problem?.message).toContain('record seq 8 is missing');
  });

  it('a deleted record line just before a checkpoint: names that record, not a checkpoint', async () => {
    // Record 5 is the last one before the first checkpoint.
    await editLines((lines) => lines.filter((_, k) => k !== recordIndex(5)));
    const report = await keyless();
    expectProblem(report, 'missing', 5);
    expect(report.verdict).toContain('record seq 5 is missing');
    expect(report.verdict).not.toContain('checkpoint line is missing');
  });

  it('an edited seq: reported as a seq mismatch', async () => {
    await editLines((lines) => {
      const copy = [...lines];
      copy[recordIndex(8)] = (copy[recordIndex(8)] ?? '').replace('"seq":8,', '"seq":9,');
      return copy;
    });
    const report = await keyless();
    expectProblem(report, 'modified', 8);
    expect(report.verdict).toContain('seq mismatch: line 10 says seq 9, but its hash was made for seq 8');
  });

  it('a deleted checkpoint line: missing', async () => {
    await editLines((lines) => lines.filter((_, k) => k !== recordIndex(10) + 1));
    const report = await keyless();
    expectProblem(report, 'missing');
    expect(report.problem?.message).toContain('checkpoint line is missing');
  });

  it('two lines swapped: reordered', async () => {
    await editLines((lines) => {
      const out = [...lines];
      const a = recordIndex(12);
      [out[a], out[a + 1]] = [out[a + 1] ?? '', out[a] ?? ''];
      return out;
    });
    expectProblem(await keyless(), 'reordered');
  });

  it('a duplicated line: reordered', async () => {
    await editLines((lines) => [
      ...lines.slice(0, recordIndex(4) + 1),
      lines[recordIndex(4)] ?? '',
      ...lines.slice(recordIndex(4) + 1),
    ]);
    expectProblem(await keyless(), 'reordered');
  });

  it('a truncated tail: named "truncated", no close record, the rest still verifies up to the last checkpoint', async () => {
    const text = await readFile(segment);
    await writeFile(segment, text.subarray(0, text.length - 200));
    const report = await keyless();
    expect(report.ok).toBe(false);
    expect(report.problem).toBeNull();
    expect(report.uncleanEnds[0]?.reason).toBe('truncated');
    expect(report.verdict).toMatch(/^UNCLEAN END: .*truncated.*unclean end/);
    expect(report.segments[0]?.lastSignedSeq).toBe(15);
  });

  it('a record re-sealed with another segment key (chain fixed up): bad signature without the key, wrong key with it', async () => {
    const attacker = nacl.box.keyPair();
    await editLines((lines) => {
      const index = recordIndex(9);
      const line = JSON.parse(lines[index] ?? '') as Line;
      const nonce = nacl.randomBytes(24);
      const fake = JSON.stringify({
        seq: 9,
        ts: new Date().toISOString(),
        kind: 'request',
        actor: 'mallory',
        amountCents: 1,
      });
      const box = nacl.box(Buffer.from(fake), nonce, keys.auditorPublicKey, attacker.secretKey);
      const out = [...lines];
      out[index] = JSON.stringify({
        ...line,
        nonce: Buffer.from(nonce).toString('base64'),
        box: Buffer.from(box).toString('base64'),
      });
      return rechain(out, index);
    });
    const withoutKey = await keyless();
    expectProblem(withoutKey, 'bad_signature', 10);
    const withKey = await full();
    expectProblem(withKey, 'wrong_key', 9);
    expect(withKey.problem?.message).toContain('sealed with another segment key');
  });

  it('a forged checkpoint signature (chain fixed up): bad signature at that checkpoint', async () => {
    const forger = nacl.sign.keyPair();
    const index = recordIndex(10) + 1;
    await editLines((lines) => {
      const line = JSON.parse(lines[index] ?? '') as Line;
      expect(line.type).toBe('checkpoint');
      const sig = nacl.sign.detached(checkpointMessage(chainBefore(lines, index), line.i, line.seq), forger.secretKey);
      const out = [...lines];
      out[index] = JSON.stringify({ ...line, sig: Buffer.from(sig).toString('base64') });
      return rechain(out, index);
    });
    const report = await keyless();
    expectProblem(report, 'bad_signature', 10);
    expect(report.problem?.line).toBe(index + 1);
  });

  it('an edited header: modified at the first record', async () => {
    await editLines((lines) => [(lines[0] ?? '').replace('"segment":1', '"segment":2'), ...lines.slice(1)]);
    const report = await keyless();
    expectProblem(report, 'modified', 1);
    expect(report.problem?.message).toContain('segment header');
  });

  it('a line appended after the close record: modified', async () => {
    await editLines((lines) => [...lines, lines[1] ?? '']);
    expectProblem(await keyless(), 'modified');
  });

  it('a whole segment re-signed with another key is caught when the signer is pinned', async () => {
    const forger = nacl.sign.keyPair();
    await editLines((lines) => {
      const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
      return [
        JSON.stringify({ ...header, signingPublicKey: Buffer.from(forger.publicKey).toString('base64') }),
        ...lines.slice(1),
      ];
    });
    const pinned = await verifySegments([segment], { signingPublicKey: keys.signingSecretKey.subarray(32) });
    expectProblem(pinned, 'wrong_signer');
  });

  it('the wrong auditor key: wrong key', async () => {
    const report = await verifySegments([segment], { auditorSecretKey: makeKeys().auditorSecretKey });
    expectProblem(report, 'wrong_key');
  });

  it('property: any single changed byte anywhere in the segment is never OK', async () => {
    const original = await readFile(segment);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), async (offset, xor) => {
        const bytes = Buffer.from(original);
        bytes[offset] = (bytes[offset] ?? 0) ^ xor;
        await writeFile(segment, bytes);
        const report = await keyless();
        expect(report.ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe('tampering with the plaintext log is detected and named', () => {
  it('an edited plaintext line: plaintext differs, naming the seq, the line and the field', async () => {
    const lines = await readLinesOf(plaintext);
    const line = JSON.parse(lines[5] ?? '') as Record<string, unknown>;
    expect(line.seq).toBe(6);
    lines[5] = JSON.stringify({ ...line, amountCents: 1 });
    await writeLinesOf(plaintext, lines);
    const report = await full();
    expectProblem(report, 'plaintext_differs', 6);
    expect(report.problem?.line).toBe(6);
    expect(report.problem?.message).toContain('amountCents');
  });

  it('a plaintext line removed: plaintext differs, naming the missing event', async () => {
    const lines = await readLinesOf(plaintext);
    await writeLinesOf(
      plaintext,
      lines.filter((_, k) => k !== 8),
    );
    const report = await full();
    expectProblem(report, 'plaintext_differs', 9);
    expect(report.problem?.message).toContain('missing from audit.log');
  });

  it('a plaintext line damaged beyond JSON: the event it held is reported missing', async () => {
    const lines = await readLinesOf(plaintext);
    lines[2] = (lines[2] ?? '').slice(0, 20);
    await writeLinesOf(plaintext, lines);
    expectProblem(await full(), 'plaintext_differs', 3);
  });

  it('plaintext lines swapped: plaintext differs (reordered)', async () => {
    const lines = await readLinesOf(plaintext);
    [lines[3], lines[4]] = [lines[4] ?? '', lines[3] ?? ''];
    await writeLinesOf(plaintext, lines);
    const report = await full();
    expectProblem(report, 'plaintext_differs');
    expect(report.problem?.message).toContain('reordered');
  });

  it('an invented plaintext event after the last closed segment, when the folder is the whole log', async () => {
    const lines = await readLinesOf(plaintext);
    await writeLinesOf(plaintext, [
      ...lines,
      JSON.stringify({ level: 30, seq: 21, ts: new Date().toISOString(), kind: 'login' }),
    ]);
    const report = await verifySegments([segment], {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog: plaintext,
      complete: true,
    });
    expectProblem(report, 'plaintext_differs', 21);
  });
});

describe('segments as a set', () => {
  let all: string[];
  beforeEach(async () => {
    await writeLog(dir, keys, 6, { first: 20 });
    await writeLog(dir, keys, 6, { first: 26 });
    all = await segmentFiles(dir);
    expect(all).toHaveLength(3);
  });

  it('three linked runs verify', async () => {
    const report = await verifySegments(all, {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog: plaintext,
      complete: true,
    });
    expect(report.verdict).toMatch(/^OK: 3 segment\(s\), 32 record\(s\), seq 1–32/);
  });

  it('a missing middle segment: missing', async () => {
    const report = await verifySegments([all[0] ?? '', all[2] ?? '']);
    expectProblem(report, 'missing');
    expect(report.problem?.message).toContain('a segment is missing');
  });

  it('segments out of order: missing/out of order', async () => {
    const report = await verifySegments([all[1] ?? '', all[0] ?? '', all[2] ?? '']);
    expectProblem(report, 'missing');
  });

  it('a truncated segment followed by another: unlinked', async () => {
    const text = await readFile(all[0] ?? '', 'utf8');
    const lines = text.split('\n').slice(0, -1);
    await writeLinesOf(all[0] ?? '', lines.slice(0, -1));
    const report = await verifySegments(all);
    expectProblem(report, 'unlinked');
  });

  it('an emptied middle segment: unlinked (a crash never leaves a segment without its header)', async () => {
    await writeFile(all[1] ?? '', '');
    const report = await verifySegments(all);
    expectProblem(report, 'unlinked');
  });

  it('a replaced segment (rewritten with a fresh chain) breaks the link to the next one', async () => {
    await rm(all[1] ?? '');
    const other = await tempDir();
    await writeLog(other, keys, 6, { first: 20 });
    const [replacement] = await segmentFiles(other);
    await writeFile(all[1] ?? '', await readFile(replacement ?? ''));
    const report = await verifySegments(all);
    expect(report.ok).toBe(false);
    expect(['missing', 'unlinked']).toContain(report.problem?.reason);
  });
});

describe('several crashes', () => {
  it('the verdict names every unclean segment', async () => {
    const crashDir = await tempDir();
    await writeLog(crashDir, keys, 4, { close: false });
    await writeLog(crashDir, keys, 4, { close: false, first: 4 });
    await writeLog(crashDir, keys, 4, { first: 8 });
    const paths = await segmentFiles(crashDir);
    const report = await verifySegments(paths);
    expect(report.problem).toBeNull();
    expect(report.uncleanEnds).toHaveLength(2);
    expect(report.verdict).toMatch(/^UNCLEAN END: 2 unclean segments: /);
    for (const path of paths.slice(0, 2)) expect(report.verdict).toContain(`${basename(path)} has no close record`);
  });
});
