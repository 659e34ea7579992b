import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  createMemoryAudit,
  createNullAudit,
  decryptAll,
  normalizeAuditEvent,
  openAuditLog,
  verifySegments,
} from '../../audit/index.js';
import {
  makeKeys,
  openLogWith,
  readLinesOf,
  removeTempDirs,
  sampleEvent,
  segmentFiles,
  tempDir,
  writeLog,
} from './audit-fixtures.js';

afterEach(removeTempDirs);

describe('openAuditLog', () => {
  it('round trip: the events recorded are the events decrypted, in order, with seq from 1', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const clock = new Date('2025-03-01T10:00:00.000Z');
    const log = await openLogWith(dir, keys, { now: () => clock });
    const inputs = Array.from({ length: 23 }, (_, n) => sampleEvent(n));
    for (const input of inputs) log.record(input);
    await log.close();

    const expected = inputs.map((input, k) => normalizeAuditEvent(input, k + 1, clock.toISOString()));
    const segments = await segmentFiles(dir);
    expect(segments).toHaveLength(1);
    expect(basename(segments[0] ?? '')).toBe('20250301T100000000Z-0001.enc');
    expect(await decryptAll(segments, keys.auditorSecretKey)).toEqual(expected);

    const plain = (await readLinesOf(join(dir, 'audit.log'))).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(plain.map(({ level: _level, ...event }) => event)).toEqual(expected);
  });

  it("writes each audit.log line byte for byte as pino's logger.info(event) did, awkward strings included", async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const clock = new Date('2025-03-01T10:00:00.000Z');
    const log = await openLogWith(dir, keys, { now: () => clock });
    const inputs = [
      sampleEvent(0),
      {
        kind: 'request',
        actor: 'a"b\\c',
        op: 'deposit',
        amountCents: 5,
        detail: { reason: 'tab\t\u0001 é 😀 \u2028', n: [1, null] },
      },
      { kind: 'note', detail: {} },
    ];
    for (const input of inputs) log.record(input);
    await log.close();
    const pinoLines: string[] = [];
    const logger = pino(
      { base: null, timestamp: false, level: 'info' },
      { write: (line: string) => pinoLines.push(line) },
    );
    for (const [k, input] of inputs.entries()) logger.info(normalizeAuditEvent(input, k + 1, clock.toISOString()));
    const text = await readFile(join(dir, 'audit.log'), 'utf8');
    expect(text.startsWith(pinoLines.join(''))).toBe(true);
    expect(text.split('\n').slice(0, inputs.length)).toEqual(pinoLines.map((line) => line.slice(0, -1)));
  });

  it('keeps the fields the brief names and leaves null ones out', async () => {
    const kept = {
      kind: 'request',
      actor: 'alice',
      address: '10.0.0.1',
      terminal: 'T-9',
      sessionId: 'sess',
      op: 'transfer',
      amountCents: 250,
      outcome: 'error',
      code: 'INSUFFICIENT_FUNDS',
      requestId: 'req-1',
    } as const;
    // The null fields stand among the kept ones, in the order the brief lists them.
    const { requestId, ...beforeNulls } = kept;
    const event = normalizeAuditEvent(
      { ...beforeNulls, balanceAfterCents: null, txId: null, requestId },
      7,
      '2025-01-01T00:00:00.000Z',
    );
    expect(event).toEqual({ seq: 7, ts: '2025-01-01T00:00:00.000Z', ...kept });
    expect(Object.keys(event)).toEqual(['seq', 'ts', ...Object.keys(kept)]);
  });

  it('never throws on garbage input', () => {
    const bad = [null, 42, { kind: 7 }, { kind: 'x', amountCents: Number.NaN, actor: {} }] as unknown[];
    for (const input of bad) {
      expect(() => normalizeAuditEvent(input as never, 1, 't')).not.toThrow();
    }
    expect(normalizeAuditEvent({ kind: 'x', amountCents: Number.NaN } as never, 1, 't')).toEqual({
      seq: 1,
      ts: 't',
      kind: 'x',
    });
    expect(normalizeAuditEvent(null as never, 1, 't').kind).toBe('unknown');
  });

  it('continues seq across runs and links each new segment to the one before', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 7);
    await writeLog(dir, keys, 4, { first: 7 });
    const segments = await segmentFiles(dir);
    expect(segments).toHaveLength(2);
    const events = await decryptAll(segments, keys.auditorSecretKey);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, k) => k + 1));
    const secondHeader = JSON.parse((await readLinesOf(segments[1] ?? ''))[0] ?? '') as Record<string, unknown>;
    const firstLines = await readLinesOf(segments[0] ?? '');
    const firstClose = JSON.parse(firstLines.at(-1) ?? '') as Record<string, unknown>;
    expect(firstClose.type).toBe('close');
    expect(secondHeader.prevSegment).toBe(basename(segments[0] ?? ''));
    expect(secondHeader.prevHash).toBe(firstClose.hash);
    expect(secondHeader.firstSeq).toBe(8);
    const report = await verifySegments(segments, {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog: join(dir, 'audit.log'),
    });
    expect(report.problem).toBeNull();
    expect(report.ok).toBe(true);
  });

  it('rotates past maxSegmentBytes into linked segments that verify as one log', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 60, { flushEvery: 3, extra: { maxSegmentBytes: 4000 } });
    const segments = await segmentFiles(dir);
    expect(segments.length).toBeGreaterThan(2);
    const report = await verifySegments(segments, {
      auditorSecretKey: keys.auditorSecretKey,
      plaintextLog: join(dir, 'audit.log'),
      complete: true,
    });
    expect(report.verdict).toMatch(/^OK: /);
    expect(report.records).toBe(60);
    expect(report.segments.every((s) => s.closed)).toBe(true);
    expect((await decryptAll(segments, keys.auditorSecretKey)).map((e) => e.seq)).toEqual(
      Array.from({ length: 60 }, (_, k) => k + 1),
    );
  });

  it('writes a signed checkpoint within the interval while events flow, without flush()', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const log = await openLogWith(dir, keys, { checkpointIntervalMs: 50 });
    log.record(sampleEvent(1));
    log.record(sampleEvent(2));
    const segment = log.segmentPath;
    let lines: string[] = [];
    for (let tries = 0; tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      lines = await readLinesOf(segment);
      if (lines.some((line) => line.includes('"type":"checkpoint"'))) break;
    }
    const checkpoint = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.type === 'checkpoint');
    expect(checkpoint?.seq).toBe(2);
    // Both events were in the plaintext log before the checkpoint that covers them.
    expect(await readLinesOf(join(dir, 'audit.log'))).toHaveLength(2);
    await log.close();
  });

  it('close() is idempotent, drops later events and wipes nothing it still needs', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const log = await openLogWith(dir, keys);
    log.record(sampleEvent(0));
    await Promise.all([log.close(), log.close()]);
    await log.close();
    log.record(sampleEvent(1));
    await log.flush();
    const events = await decryptAll(await segmentFiles(dir), keys.auditorSecretKey);
    expect(events).toHaveLength(1);
    const report = await verifySegments(await segmentFiles(dir));
    expect(report.ok).toBe(true);
  });

  it('a segment with no events still closes and verifies', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 0);
    const report = await verifySegments(await segmentFiles(dir));
    expect(report.ok).toBe(true);
    expect(report.records).toBe(0);
  });

  it('creates audit.log and segments readable by the owner only', async () => {
    const dir = await tempDir();
    await writeLog(dir, makeKeys(), 1);
    expect((await stat(join(dir, 'audit.log'))).mode & 0o777).toBe(0o600);
    expect((await stat((await segmentFiles(dir))[0] ?? '')).mode & 0o777).toBe(0o600);
  });

  it('refuses keys of the wrong size with a stable code', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await expect(
      openAuditLog({ dir, auditorPublicKey: new Uint8Array(31), signingSecretKey: keys.signingSecretKey }),
    ).rejects.toMatchObject({ code: 'AUDIT_KEY_INVALID' });
    await expect(
      openAuditLog({ dir, auditorPublicKey: keys.auditorPublicKey, signingSecretKey: new Uint8Array(32) }),
    ).rejects.toMatchObject({ code: 'AUDIT_KEY_INVALID' });
  });

  it('a plaintext line torn by a crash does not swallow the next run', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 3);
    const path = join(dir, 'audit.log');
    const text = await readFile(path, 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, `${text}{"level":30,"seq":4,"ts":"2025`);
    await writeLog(dir, keys, 2, { first: 3 });
    const lines = await readLinesOf(path);
    expect(lines).toHaveLength(6);
    expect(lines[3]).toBe('{"level":30,"seq":4,"ts":"2025');
    // The torn line stays on a line of its own; the next run continues after the last whole event.
    expect((JSON.parse(lines[4] ?? '') as AuditEvent).seq).toBe(4);
    expect((JSON.parse(lines[5] ?? '') as AuditEvent).seq).toBe(5);
  });
});

describe('when things go wrong', () => {
  it('a failed write is reported once through onError; flush() and close() reject; record() stays silent', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const errors: Array<{ code: string }> = [];
    const log = await openLogWith(dir, keys, { onError: (err) => errors.push(err) });
    log.record(sampleEvent(0));
    await log.flush();
    // Pull the file out from under the writer, as a dying disk would.
    await (log as unknown as { segmentFile: { close(): Promise<void> } }).segmentFile.close();
    log.record(sampleEvent(1));
    await expect(log.flush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(() => log.record(sampleEvent(2))).not.toThrow();
    await expect(log.close()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(errors.map((e) => e.code)).toEqual(['AUDIT_WRITE_FAILED']);
  });

  it('record() never throws, even with a broken clock', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    let broken = false;
    const log = await openLogWith(dir, keys, {
      now: () => {
        if (broken) throw new Error('clock');
        return new Date();
      },
    });
    broken = true;
    expect(() => log.record(sampleEvent(0))).not.toThrow();
    broken = false;
    log.record(sampleEvent(1));
    await log.close();
    const events = await decryptAll(await segmentFiles(dir), keys.auditorSecretKey);
    expect(events.map((e) => e.seq)).toEqual([1]);
  });

  it('a new run after the clock went back still sorts after the last segment', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const at = (iso: string) => ({ now: () => new Date(iso) });
    await writeLog(dir, keys, 1, { extra: at('2025-05-05T10:00:00.000Z') });
    await writeLog(dir, keys, 1, { first: 1, extra: at('2025-05-05T09:00:00.000Z') });
    const names = (await segmentFiles(dir)).map((p) => basename(p));
    expect(names).toEqual(['20250505T100000000Z-0001.enc', '20250505T100000001Z-0001.enc']);
    expect((await verifySegments(await segmentFiles(dir))).ok).toBe(true);
  });
});

describe('memory and null sinks', () => {
  it('createMemoryAudit keeps normalized, redacted events with seq from 1', async () => {
    const audit = createMemoryAudit();
    audit.record({ kind: 'login', actor: 'alice', detail: { password: 'hunter2hunter2!' } });
    audit.record({ kind: 'logout', actor: 'alice' });
    await audit.flush();
    await audit.close();
    audit.record({ kind: 'after-close' });
    expect(audit.events.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'login'],
      [2, 'logout'],
    ]);
    expect(audit.events[0]?.detail).toEqual({ password: '[REDACTED]' });
  });

  it('createNullAudit drops everything', async () => {
    const audit = createNullAudit();
    audit.record({ kind: 'login' });
    await expect(audit.flush()).resolves.toBeUndefined();
    await expect(audit.close()).resolves.toBeUndefined();
  });
});
