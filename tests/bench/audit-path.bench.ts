/**
 * The main thread's audit path without sockets: the `atm bench` mix's audit events through the real
 * AuditOutboxDrain and the real AuditLogWriter (audit.log + a sealed, signed segment on real files
 * in a temp dir). Per 100 requests: 70 mutations (25 deposit / 25 withdraw / 20 transfer) whose
 * outbox rows the ledger worker would hand over (built here, before the clock starts, by the real
 * mutationAuditEvents + writeOutbox into a real SQLite audit_outbox), a few of them refused with a
 * code, replayed, in a teller session or with a fraud alert; and 30 balance reads recorded by the
 * session (AuditSink.record), as connection.ts does.
 *
 * Run: npx tsx tests/bench/audit-path.bench.ts [requests=20000] [repeats=5]
 * Prints, per repeat, main-thread CPU µs per audited event (process.cpuUsage around accept/record
 * and the writer's pump until flush; the checkpoint fsyncs are in it too) and the min over repeats;
 * then the worker's side: CPU µs per event of building the outbox rows (writeOutbox, INSERT included).
 * AUDIT_BENCH_PROFILE=<file.cpuprofile> writes a V8 profile of the last repeat's measured part.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { type AuditEventInput, openAuditLog } from '../../audit/index.js';
import {
  mutationAuditEvents,
  type OutboxEnvelope,
  type OutboxRow,
  writeOutbox,
} from '../../server/ledger/audit-outbox.js';
import { AuditOutboxDrain } from '../../server/ledger/audit-outbox-drain.js';
import type { MutatingRequest, MutationOutcome } from '../../server/ledger/index.js';
import { openLedger } from '../../server/ledger/index.js';

const requests = Number(process.argv[2] ?? 20_000);
const repeats = Number(process.argv[3] ?? 5);
/** Requests between two turns of the event loop (the writer pumps on setImmediate). */
const TICK = 100;

type Item = { rows: OutboxRow[] } | { event: AuditEventInput };

function envelopeOf(n: number): OutboxEnvelope {
  const a = n % 100;
  const base = { actor: `acct${a}`, address: '127.0.0.1', terminal: `atm-${a % 8}`, sessionId: `sess-${a}-0123456789` };
  // One in 50 at a teller's counter; one in 200 of those serving no one yet.
  if (n % 50 === 7) return { ...base, actor: 'teller1', customer: n % 200 === 7 ? null : `acct${a}` };
  return base;
}

function outcomeOf(n: number, op: string): MutationOutcome {
  const alerts =
    n % 40 === 3
      ? [
          {
            rule: 'LARGE_AMOUNT' as const,
            user: `acct${n % 100}`,
            op: 'deposit' as const,
            amountCents: 900_000,
            detail: 'large',
          },
        ]
      : [];
  if (n % 30 === 11) return { ok: false, code: 'INSUFFICIENT_FUNDS', alerts };
  const result = { balanceCents: 1_000_000 + n, txId: `tx-${(n * 7919).toString(36).padStart(10, '0')}` };
  if (n % 60 === 13) return { ok: true, result: { ...result, replayed: true }, replayed: true, alerts: [] };
  return { ok: true, result: op === 'transfer' ? { ...result } : result, replayed: false, alerts };
}

/** The bench mix, with the mutations' outbox rows already committed (the worker's part). */
function buildItems(db: ReturnType<typeof openLedger>['database']): { items: Item[]; workerUs: number; rows: number } {
  const items: Item[] = [];
  let workerUs = 0;
  let rows = 0;
  const insertAll = db.transaction(
    (batch: Array<{ envelope: OutboxEnvelope; request: MutatingRequest; outcome: MutationOutcome }>) =>
      batch.map(({ envelope, request, outcome }) => writeOutbox(db, mutationAuditEvents(envelope, request, outcome))),
  );
  for (let start = 0; start < requests; start += TICK) {
    const batch: Array<{ envelope: OutboxEnvelope; request: MutatingRequest; outcome: MutationOutcome }> = [];
    const reads: AuditEventInput[] = [];
    for (let n = start; n < Math.min(requests, start + TICK); n++) {
      const k = (n * 37) % 100;
      const id = `req-${n.toString(36).padStart(8, '0')}-c0ffee`;
      if (k >= 70) {
        const env = envelopeOf(n);
        reads.push({
          address: env.address,
          terminal: env.terminal,
          sessionId: env.sessionId,
          kind: 'request',
          actor: env.actor,
          op: 'balance',
          requestId: id,
          outcome: 'ok',
          code: null,
          balanceAfterCents: 1_000_000 + n,
          ...(env.customer === undefined ? {} : { customer: env.customer }),
        });
        continue;
      }
      const op = k < 25 ? 'deposit' : k < 50 ? 'withdraw' : 'transfer';
      const request = (
        op === 'transfer'
          ? { id, op, to: `acct${(n + 1) % 100}`, amountCents: 100 + n }
          : { id, op, amountCents: 100 + n }
      ) as MutatingRequest;
      batch.push({ envelope: envelopeOf(n), request, outcome: outcomeOf(n, op) });
    }
    const c0 = process.cpuUsage();
    const committed = insertAll(batch);
    const c = process.cpuUsage(c0);
    workerUs += c.user + c.system;
    for (const r of committed) {
      rows += r.length;
      items.push({ rows: r });
    }
    for (const event of reads) items.push({ event });
  }
  return { items, workerUs, rows };
}

async function measure(profile: string | undefined): Promise<{ us: number; events: number; workerUs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-path-bench-'));
  try {
    const store = openLedger(join(dir, 'ledger.db'));
    const { items, workerUs, rows } = buildItems(store.database);
    const auditor = nacl.box.keyPair();
    const audit = await openAuditLog({
      dir: join(dir, 'audit'),
      auditorPublicKey: auditor.publicKey,
      signingSecretKey: nacl.sign.keyPair().secretKey,
    });
    const drain = new AuditOutboxDrain({ db: store.database, audit, deleteUpTo: () => 0 });
    await drain.recover(null);
    let events = 0;
    const session = profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    for (let at = 0; at < items.length; ) {
      for (let k = 0; k < TICK && at < items.length; k++, at++) {
        const item = items[at] as Item;
        if ('rows' in item) {
          drain.accept(item.rows);
          events += item.rows.length;
        } else {
          audit.record(item.event);
          events++;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await audit.flush();
    const cpu = process.cpuUsage(cpu0);
    if (session && profile) {
      const { profile: taken } = await session.post('Profiler.stop');
      await writeFile(profile, JSON.stringify(taken));
      session.disconnect();
    }
    await audit.close();
    store.close();
    if (events !== rows + items.filter((i) => 'event' in i).length) throw new Error('lost events');
    return { us: (cpu.user + cpu.system) / events, events, workerUs: workerUs / rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mains: number[] = [];
const workers: number[] = [];
// Warm-up: the JIT has compiled the path before the first measured repeat.
await measure(undefined);
for (let r = 0; r < repeats; r++) {
  const { us, events, workerUs } = await measure(r === repeats - 1 ? process.env.AUDIT_BENCH_PROFILE : undefined);
  mains.push(us);
  workers.push(workerUs);
  console.log(
    `repeat ${r + 1}: ${events} events, main thread ${us.toFixed(2)} µs per event; worker rows ${workerUs.toFixed(2)} µs per event`,
  );
}
console.log(
  `min of ${repeats}: main thread ${Math.min(...mains).toFixed(2)} µs per audited event; worker (writeOutbox, INSERT included) ${Math.min(...workers).toFixed(2)} µs per event`,
);
