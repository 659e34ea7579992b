import { open, stat } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';
import { type AuditEventInput, type AuditSink, recordNormalized, withDetailNumber } from '../../audit/index.js';
import type { OutboxRow } from './audit-outbox.js';
import { OutboxDrainBase } from './outbox-drain-base.js';

/** Rows per drain step; bounds the time one step holds the event loop. */
const DRAIN_BATCH = 1024;
/** How often rows no outcome handed over are looked for, and drained rows durable in both logs deleted. */
const PRUNE_INTERVAL_MS = 1000;
const SCAN_CHUNK = 64 * 1024;

export interface AuditOutboxDrainOptions {
  /** The main thread's ledger connection (WAL: it sees every committed row). */
  db: Database;
  audit: AuditSink;
  onError?: (err: unknown) => void;
  /**
   * Deletes the rows up to an id, returning how many went: a job of the server's writer (so the
   * readers' connection writes nothing). Without it, a statement on `db` (the simulation, tools).
   */
  deleteUpTo?: (upTo: number) => number | Promise<number>;
}

/**
 * Moves audit events from the ledger's outbox (written in each mutation's transaction, see
 * audit-outbox.ts) into the audit logs, in row order, so the logs assign seq as they drain.
 *
 * Exactly once across crashes:
 * - a row is recorded with `detail.outbox = <row id>`;
 * - the audit writer appends each batch to audit.log before sealing it into the segment, and
 *   on open re-seals into the new segment whatever audit.log holds past the crashed segment's
 *   end (openAuditLog), so after a restart both logs hold the same events;
 * - a row is deleted only after `audit.flush()` (both logs fsynced, signed) covered it;
 * - {@link recover} at start (audit.log was synced when the audit writer opened): the last
 *   `detail.outbox` in audit.log is the newest row that reached the logs (rows drain in id
 *   order, so every older one did too); rows up to it are deleted, the rest are drained as new.
 */
export class AuditOutboxDrain extends OutboxDrainBase {
  readonly #db: Database;
  readonly #select;
  readonly #deleteUpTo: (upTo: number) => number | Promise<number>;
  /** Rows commit in id order (one writer): everything up to here is recorded. */
  #lastId = 0;
  #prunedTo = 0;

  constructor(options: AuditOutboxDrainOptions) {
    super(options.audit, options.onError, PRUNE_INTERVAL_MS);
    this.#db = options.db;
    this.#select = this.#db.prepare('SELECT id, event FROM audit_outbox WHERE id > ? ORDER BY id LIMIT ?');
    const remove = this.#db.prepare<[number]>('DELETE FROM audit_outbox WHERE id <= ?');
    this.#deleteUpTo = options.deleteUpTo ?? ((upTo) => remove.run(upTo).changes);
  }

  async recover(plaintextLog: string | null): Promise<{ alreadyLogged: number; pending: number }> {
    const row = this.#db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM audit_outbox').get() as {
      lo: number | null;
      hi: number | null;
    };
    if (row.lo === null || row.hi === null) return { alreadyLogged: 0, pending: 0 };
    const logged = plaintextLog ? await lastOutboxIdIn(plaintextLog) : 0;
    const upTo = Math.min(logged, row.hi);
    const alreadyLogged = upTo >= row.lo ? await this.#deleteUpTo(upTo) : 0;
    this.#lastId = Math.max(this.#lastId, upTo);
    this.#prunedTo = this.#lastId;
    const left = this.#db.prepare('SELECT count(*) AS n FROM audit_outbox').get() as { n: number };
    return { alreadyLogged, pending: left.n };
  }

  /** Record every committed row not yet recorded, in id order (synchronously: one SQLite read per batch). */
  drainNow(): number {
    let count = 0;
    try {
      for (;;) {
        const rows = this.#select.all(this.#lastId, DRAIN_BATCH) as OutboxRow[];
        for (const row of rows) this.record(row);
        count += rows.length;
        if (rows.length < DRAIN_BATCH) return count;
      }
    } catch (err) {
      this.onError?.(err);
      return count;
    }
  }

  protected record(row: OutboxRow): boolean {
    const { id } = row;
    if (id <= this.#lastId) return false;
    recordOutboxRow(this.audit, row, id);
    this.#lastId = id;
    return true;
  }

  protected takeRecorded(): (() => void) | null {
    if (this.#lastId <= this.#prunedTo) return null;
    const upTo = this.#lastId;
    return async () => {
      await this.#deleteUpTo(upTo);
      this.#prunedTo = upTo;
    };
  }
}

/**
 * Record an outbox row's event with its row id in `detail.outbox`. A row writeOutbox handed over
 * (`normalized`) is already the logs' text: the id is spliced in and the writer adds seq and ts, with
 * no parse, spread, normalize or stringify on this thread. tests/bench/audit-path.bench.ts (the atm
 * bench mix, 40,600 events, min of 5, builds alternated): main thread 14.1 -> 10.9 µs per audited
 * event; the ledger worker pays ~4 µs more per row (9.2 -> 14.0, INSERT included) for the normalize
 * it now runs beside the table's JSON, a few percent of its ~140 µs per mutation. Anything else (rows
 * read back from the table, other writers' rows) is parsed and normalized as before.
 */
export function recordOutboxRow(audit: AuditSink, row: OutboxRow, id: number): void {
  const spliced = row.normalized ? withDetailNumber(row.normalized, 'outbox', id) : null;
  if (spliced) recordNormalized(audit, spliced);
  else audit.record(withOutboxId(row.event, id));
}

/** An outbox row's event as recorded: its row id in `detail.outbox`, which recovery looks for. */
export function withOutboxId(json: string, id: number): AuditEventInput {
  const event = JSON.parse(json) as AuditEventInput;
  return { ...event, detail: { ...(event.detail ?? {}), outbox: id } };
}

/**
 * The `detail.outbox` of the last event in audit.log that has one (reading backwards from
 * the end, so usually only the last few kilobytes); 0 when there is none.
 */
export async function lastOutboxIdIn(path: string): Promise<number> {
  for await (const line of linesBackwards(path)) {
    const id = outboxIdOf(line);
    if (id !== null) return id;
  }
  return 0;
}

/**
 * The lines of a file from its end backwards, each whole, reading at most the last `maxBytes`
 * (a line cut by that bound is not given). Nothing when the file does not exist.
 */
export async function* linesBackwards(path: string, maxBytes = Number.POSITIVE_INFINITY): AsyncGenerator<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  const handle = await open(path, 'r');
  try {
    const floor = Math.max(0, size - maxBytes);
    let end = size;
    // Bytes of a line cut by the chunk boundary: joined to the next chunk before decoding, so a
    // character split across the boundary decodes whole.
    let carry = Buffer.alloc(0);
    while (end > floor) {
      const start = Math.max(floor, end - SCAN_CHUNK);
      const buf = Buffer.alloc(end - start);
      await handle.read(buf, 0, buf.length, start);
      const bytes = Buffer.concat([buf, carry]);
      const firstNewline = bytes.indexOf(0x0a);
      const whole = start > 0 ? (firstNewline < 0 ? Buffer.alloc(0) : bytes.subarray(firstNewline + 1)) : bytes;
      carry = start > 0 ? (firstNewline < 0 ? bytes : bytes.subarray(0, firstNewline)) : Buffer.alloc(0);
      const lines = whole.toString('utf8').split('\n');
      for (let k = lines.length - 1; k >= 0; k--) yield lines[k] ?? '';
      end = start;
    }
  } finally {
    await handle.close();
  }
}

/** The `detail.outbox` of one audit.log line, or null. */
export function outboxIdOf(line: string): number | null {
  if (!line.includes('"outbox"')) return null;
  try {
    const value = JSON.parse(line) as { detail?: { outbox?: unknown } };
    const id = value.detail?.outbox;
    return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
  } catch {
    return null;
  }
}
