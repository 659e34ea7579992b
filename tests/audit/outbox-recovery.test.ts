import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditEvent, type AuditLog, decryptAll, openAuditLog, verifySegments } from '../../audit/index.js';
import { writeOutbox } from '../../server/ledger/audit-outbox.js';
import { AuditOutboxDrain } from '../../server/ledger/audit-outbox-drain.js';
import { type LedgerStore, openLedger } from '../../server/ledger/index.js';
import { makeKeys, removeTempDirs, segmentFiles, tempDir } from './audit-fixtures.js';

// Each crash point of the outbox path, made on purpose: after the commit, after audit.log,
// after both logs but before the rows are deleted. After a restart every row is in each
// log exactly once.
const stores: LedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await removeTempDirs();
});

async function setup() {
  const dir = await tempDir('outbox-');
  const store = openLedger(join(dir, 'ledger.db'));
  stores.push(store);
  return { dir, auditDir: join(dir, 'audit'), store, keys: makeKeys() };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Ledger mutations as the writer commits them: their audit events in the outbox. */
function commitMutations(store: LedgerStore, from: number, count: number): void {
  const db = store.database;
  db.transaction(() => {
    for (let n = from; n < from + count; n++) {
      writeOutbox(db, [{ kind: 'request', actor: 'alice', op: 'deposit', requestId: `r${n}`, outcome: 'ok' }]);
    }
  })();
}

async function start(s: Setup): Promise<{ log: AuditLog; drain: AuditOutboxDrain }> {
  const log = await openAuditLog({ dir: s.auditDir, ...s.keys, checkpointIntervalMs: 60_000 });
  const drain = new AuditOutboxDrain({ db: s.store.database, audit: log });
  await drain.recover(join(s.auditDir, 'audit.log'));
  return { log, drain };
}

async function cleanStop(run: { log: AuditLog; drain: AuditOutboxDrain }): Promise<void> {
  await run.drain.close();
  await run.log.close();
}

/** A first run that drained `count` committed mutations into both logs, durable and signed. */
async function drainedRun(s: Setup, count: number): Promise<{ log: AuditLog; drain: AuditOutboxDrain }> {
  const run = await start(s);
  commitMutations(s.store, 0, count);
  run.drain.drainNow();
  await run.log.flush();
  return run;
}

/** The next start recovers what the first run left and stops cleanly; the census after it. */
async function restarted(s: Setup) {
  await cleanStop(await start(s));
  return census(s);
}

/** Each request id's count in each log, and the verdict of both logs together. */
async function census(s: Setup) {
  const segments = await segmentFiles(s.auditDir);
  const sealed = await decryptAll(segments, s.keys.auditorSecretKey);
  const plain = (await readFile(join(s.auditDir, 'audit.log'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
  const count = (events: AuditEvent[]) => {
    const m = new Map<string, number>();
    for (const e of events) if (e.requestId) m.set(e.requestId, (m.get(e.requestId) ?? 0) + 1);
    return m;
  };
  const report = await verifySegments(segments, {
    auditorSecretKey: s.keys.auditorSecretKey,
    plaintextLog: join(s.auditDir, 'audit.log'),
  });
  const left = (s.store.database.prepare('SELECT count(*) AS n FROM audit_outbox').get() as { n: number }).n;
  return { sealed: count(sealed), plain: count(plain), report, left };
}

function expectEachOnce(c: Awaited<ReturnType<typeof census>>, ids: number): void {
  const expected = new Map(Array.from({ length: ids }, (_, n) => [`r${n}`, 1]));
  expect(c.sealed).toEqual(expected);
  expect(c.plain).toEqual(expected);
  expect(c.report.problem, c.report.verdict).toBeNull();
  expect(c.left).toBe(0);
}

describe('audit outbox recovery, one crash point at a time', () => {
  it('committed, never drained: the next start drains them', async () => {
    const s = await setup();
    commitMutations(s.store, 0, 5);
    expectEachOnce(await restarted(s), 5);
  });

  it('drained into audit.log, the segment append lost: re-sealed from audit.log, not drained again', async () => {
    const s = await setup();
    const first = await drainedRun(s, 4);
    const [segment] = await segmentFiles(s.auditDir);
    const signedUpTo = (await readFile(segment ?? '')).length;
    commitMutations(s.store, 4, 3);
    first.drain.drainNow();
    await new Promise((r) => setTimeout(r, 30)); // the batch reaches both files, no checkpoint yet
    // The crash: the segment loses what it got after the checkpoint; audit.log keeps all 7.
    await truncate(segment ?? '', signedUpTo);
    const c = await restarted(s);
    expectEachOnce(c, 7);
    expect(c.report.uncleanEnds).toHaveLength(1);
  });

  it('in both logs, the rows not yet deleted: deleted at start, not drained again', async () => {
    const s = await setup();
    await drainedRun(s, 6); // the process dies before the delete
    const c = await restarted(s);
    expectEachOnce(c, 6);
    expect(c.report.uncleanEnds).toHaveLength(1);
  });

  it('a clean stop drains, makes durable and deletes everything', async () => {
    const s = await setup();
    const run = await start(s);
    run.drain.start();
    commitMutations(s.store, 0, 3); // not handed over: the periodic drain finds them
    await cleanStop(run);
    const c = await census(s);
    expectEachOnce(c, 3);
    expect(c.report.ok, c.report.verdict).toBe(true);
  });
});
