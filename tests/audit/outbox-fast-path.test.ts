import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuditEventInput,
  type AuditLog,
  createMemoryAudit,
  decryptAll,
  normalizedEventJson,
  openAuditLog,
  REDACTED,
  verifySegments,
  withDetailNumber,
} from '../../audit/index.js';
import { mutationAuditEvents, type OutboxRow, writeOutbox } from '../../server/ledger/audit-outbox.js';
import { AuditOutboxDrain, withOutboxId } from '../../server/ledger/audit-outbox-drain.js';
import { type LedgerStore, type MutatingRequest, openLedger } from '../../server/ledger/index.js';
import { DeferredAudit } from '../../server/setup/deferred-audit.js';
import { makeKeys, removeTempDirs, segmentFiles, tempDir } from './audit-fixtures.js';
import { ALERT, deposit, ENVELOPE, IDLE_TELLER, ok, REMOTE, TELLER, transfer } from './outbox-fixtures.js';

// The outbox's fast path (rows normalized in the ledger's thread, recorded as text on the main
// thread) must write exactly the lines the parse-and-normalize path writes for the same events.
const stores: LedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await removeTempDirs();
});

const AT = new Date('2026-03-04T05:06:07.089Z');

/** Every shape the outbox carries, and shapes it could carry: detail, secrets, long fields, odd values. */
function outboxEvents(): AuditEventInput[] {
  return [
    ...mutationAuditEvents(ENVELOPE, deposit, ok()),
    ...mutationAuditEvents(ENVELOPE, deposit, ok({ alerts: [ALERT] })),
    ...mutationAuditEvents(ENVELOPE, deposit, ok({ replayed: true })),
    ...mutationAuditEvents(ENVELOPE, transfer, { ok: false, code: 'INSUFFICIENT_FUNDS', alerts: [] }),
    ...mutationAuditEvents(ENVELOPE, transfer, { ok: false, code: 'LIMIT_EXCEEDED', alerts: [ALERT] }),
    ...mutationAuditEvents(TELLER, deposit, ok({ alerts: [ALERT] })),
    ...mutationAuditEvents(IDLE_TELLER, deposit, { ok: false, code: 'NO_CUSTOMER' as never, alerts: [] }),
    ...mutationAuditEvents(REMOTE, { id: 'cp-1', op: 'change_password' } as MutatingRequest, ok({ result: {} })),
    { kind: 'request', actor: 'dave', detail: {} },
    { kind: 'request', actor: 'dave', detail: { nested: { deep: [1, 'two', { pin: '9999' }] } } },
    {
      kind: 'password_change',
      actor: 'erin',
      detail: { current: 'hunter2', new: 'hunter3', code: '123456', apiToken: 't', note: 'kept' },
    },
    { kind: 'totp_enrol', actor: 'otpauth://totp/bank:erin?secret=ABC', detail: { uri: 'otpauth://totp/x' } },
    { kind: 'request', actor: 'x'.repeat(600), op: 'deposit', amountCents: Number.NaN, txId: 7 as never },
    { kind: 'request', actor: 'q"uote\\slash\u2028', detail: { outbox: 999, other: 1 } },
    { kind: '', customer: null },
    // Past the 64 KiB bound: the line keeps its fields, its detail says how large it was.
    {
      kind: 'request',
      actor: 'frank',
      detail: { blobs: Array.from({ length: 40 }, (_, k) => String.fromCharCode(97 + (k % 26)).repeat(2000)) },
    },
  ];
}

const SECRETS = ['9999', 'hunter2', 'hunter3', '123456', 'otpauth://', 'secret=ABC'];

async function openAt(dir: string, keys: ReturnType<typeof makeKeys>): Promise<AuditLog> {
  return openAuditLog({ dir, ...keys, now: () => AT, checkpointIntervalMs: 60_000 });
}

async function logsOf(dir: string, log: AuditLog, keys: ReturnType<typeof makeKeys>) {
  await log.close();
  const plaintext = await readFile(join(dir, 'audit.log'), 'utf8');
  const records = (await decryptAll(await segmentFiles(dir), keys.auditorSecretKey)).map((e) => JSON.stringify(e));
  const report = await verifySegments(await segmentFiles(dir), {
    signingPublicKey: keys.signingSecretKey.subarray(32),
    auditorSecretKey: keys.auditorSecretKey,
    plaintextLog: join(dir, 'audit.log'),
  });
  return { plaintext, records, report };
}

async function setup() {
  const dir = await tempDir('outbox-fast-');
  const store = openLedger(join(dir, 'ledger.db'));
  stores.push(store);
  const events = outboxEvents();
  const rows = store.database.transaction(() => writeOutbox(store.database, events))();
  return { dir, store, events, rows, keys: makeKeys() };
}

describe('the outbox fast path', () => {
  it('writes the same audit.log lines and sealed records as parsing and normalizing each row', async () => {
    const { dir, store, events, rows, keys } = await setup();
    expect(rows.every((r) => typeof r.normalized === 'string')).toBe(true);

    const fastDir = join(dir, 'fast');
    const fast = await openAt(fastDir, keys);
    new AuditOutboxDrain({ db: store.database, audit: fast, deleteUpTo: () => 0 }).accept(rows);
    const fastLogs = await logsOf(fastDir, fast, keys);

    // The path every row took before: the event as JSON, parsed, detail.outbox spread in, normalized.
    const slowDir = join(dir, 'slow');
    const slow = await openAt(slowDir, keys);
    for (const [k, row] of rows.entries()) slow.record(withOutboxId(JSON.stringify(events[k]), row.id));
    const slowLogs = await logsOf(slowDir, slow, keys);

    // Rows read back from the table (a start after a crash) have no normalized text: parsed and normalized.
    const readDir = join(dir, 'read');
    const read = await openAt(readDir, keys);
    const readDrain = new AuditOutboxDrain({ db: store.database, audit: read, deleteUpTo: () => 0 });
    expect(readDrain.drainNow()).toBe(rows.length);
    const readLogs = await logsOf(readDir, read, keys);

    expect(fastLogs.plaintext.split('\n')).toHaveLength(events.length + 1);
    expect(fastLogs.plaintext).toBe(slowLogs.plaintext);
    expect(readLogs.plaintext).toBe(slowLogs.plaintext);
    expect(fastLogs.records).toEqual(slowLogs.records);
    expect(readLogs.records).toEqual(slowLogs.records);
    expect(fastLogs.report.ok).toBe(true);
    // Each sealed record is its audit.log line less pino's level.
    const lines = fastLogs.plaintext.trimEnd().split('\n');
    expect(lines.map((l) => l.replace('{"level":30,', '{'))).toEqual(fastLogs.records);
    const big = lines.at(-1) ?? '';
    expect(JSON.parse(big)).toEqual({
      level: 30,
      seq: events.length,
      ts: AT.toISOString(),
      kind: 'request',
      actor: 'frank',
      detail: { truncated: true, bytes: expect.any(Number) },
    });
    expect(JSON.parse(big).detail.bytes).toBeGreaterThan(64 * 1024);
    for (const [k, line] of lines.slice(0, -1).entries()) expect(JSON.parse(line).detail.outbox).toBe(rows[k]?.id);
  });

  it('redacts secret-looking fields of outbox events (normalized in the ledger thread before the row is handed over)', async () => {
    const { dir, store, rows, keys } = await setup();
    for (const row of rows) for (const secret of SECRETS) expect(row.normalized).not.toContain(secret);
    const log = await openAt(join(dir, 'fast'), keys);
    new AuditOutboxDrain({ db: store.database, audit: log, deleteUpTo: () => 0 }).accept(rows);
    const { plaintext, records } = await logsOf(join(dir, 'fast'), log, keys);
    for (const secret of SECRETS) {
      expect(plaintext).not.toContain(secret);
      for (const record of records) expect(record).not.toContain(secret);
    }
    const change = plaintext.split('\n').find((l) => l.includes('password_change')) ?? '';
    expect(JSON.parse(change).detail).toEqual({
      current: REDACTED,
      new: REDACTED,
      code: REDACTED,
      apiToken: REDACTED,
      note: 'kept',
      outbox: expect.any(Number),
    });
    expect(plaintext).toContain('"actor":"[REDACTED]"');
  });

  it('goes through the deferred sink and sinks without a text path with the same events', async () => {
    const { store, rows } = await setup();
    const memory = createMemoryAudit(() => AT);
    const deferred = new DeferredAudit();
    const drain = new AuditOutboxDrain({ db: store.database, audit: deferred, deleteUpTo: () => 0 });
    drain.accept(rows.slice(0, 3));
    deferred.attach(memory);
    drain.accept(rows.slice(3));
    const reference = createMemoryAudit(() => AT);
    for (const row of rows) reference.record(withOutboxId(row.event, row.id));
    expect(memory.events.map((e) => JSON.stringify(e))).toEqual(reference.events.map((e) => JSON.stringify(e)));
  });

  it('a row not handed over by writeOutbox (no normalized text) is parsed and normalized, so a secret in it is redacted', async () => {
    const { dir, store, keys } = await setup();
    // As PostgreSQL's claimed operator actions are (built by SQL), or a row of an older release.
    const foreign: OutboxRow = {
      id: 10_000,
      event: JSON.stringify({ kind: 'operator_action', detail: { pin: '9999' } }),
    };
    const older: OutboxRow = { id: 10_001, event: JSON.stringify({ detail: { pin: '9999' }, kind: 'request' }) };
    const log = await openAt(join(dir, 'foreign'), keys);
    new AuditOutboxDrain({ db: store.database, audit: log, deleteUpTo: () => 0 }).accept([foreign, older]);
    const { plaintext } = await logsOf(join(dir, 'foreign'), log, keys);
    expect(plaintext).not.toContain('9999');
    expect(plaintext.match(/"pin":"\[REDACTED\]"/g)).toHaveLength(2);
  });
});

describe('withDetailNumber', () => {
  it('adds the key as detail’s last key, as a spread then normalize would', () => {
    for (const input of outboxEvents()) {
      const spliced = withDetailNumber(normalizedEventJson(input), 'outbox', 12);
      const reference = normalizedEventJson({ ...input, detail: { ...(input.detail ?? {}), outbox: 12 } });
      if (spliced !== null) expect(spliced).toBe(reference);
    }
  });

  it('declines what a splice cannot do right: a key already there, a secret or odd key, an unsafe number', () => {
    const event = normalizedEventJson({ kind: 'k', detail: { outbox: 1 } });
    expect(withDetailNumber(event, 'outbox', 2)).toBeNull();
    expect(withDetailNumber(normalizedEventJson({ kind: 'k' }), 'pin', 2)).toBeNull();
    expect(withDetailNumber(normalizedEventJson({ kind: 'k' }), 'a"b', 2)).toBeNull();
    expect(withDetailNumber(normalizedEventJson({ kind: 'k' }), 'n', 1.5)).toBeNull();
    expect(withDetailNumber(normalizedEventJson({ kind: 'k' }), 'n', 3)).toBe('{"kind":"k","detail":{"n":3}}');
    expect(withDetailNumber(normalizedEventJson({ kind: 'k', detail: {} }), 'n', 3)).toBe(
      '{"kind":"k","detail":{"n":3}}',
    );
    expect(withDetailNumber(normalizedEventJson({ kind: 'k', detail: { a: {} } }), 'n', 3)).toBe(
      '{"kind":"k","detail":{"a":{},"n":3}}',
    );
  });
});
