import type pg from 'pg';
import type { AuditSink } from '../../../audit/index.js';
import type { OutboxRow } from '../audit-outbox.js';
import { linesBackwards, outboxIdOf, recordOutboxRow } from '../audit-outbox-drain.js';
import { OutboxDrainBase } from '../outbox-drain-base.js';

/** Rows per drain query. */
const DRAIN_BATCH = 1024;
/** How often rows no outcome handed over are looked for, and logged rows deleted. */
const DRAIN_INTERVAL_MS = 500;
/**
 * How far back from the end of audit.log recovery looks for rows the last run already logged.
 * Rows stay in the outbox only until the next prune (about a second after they were logged), so
 * the ones a crash left behind are in the last second or two of the log: 64 MiB is far more than
 * that at any rate this server reaches. A logged row beyond it would be logged twice (never lost).
 */
const RECOVERY_SCAN_BYTES = 64 * 1024 * 1024;

export interface PgOutboxDrainOptions {
  pool: pg.Pool;
  instanceId: string;
  audit: AuditSink;
  onError?: (err: unknown) => void;
}

/**
 * The PostgreSQL counterpart of AuditOutboxDrain (audit-outbox-drain.ts): moves this instance's
 * outbox rows (`audit_outbox.instance_id`) into its own audit chain, exactly once across crashes.
 *
 * Unlike SQLite's single writer, several pooled connections commit at once, so row ids do not
 * commit in id order (id 10 may commit after id 11): the drain remembers which rows it recorded
 * instead of a high-water mark, and recovery looks for each left-over row in audit.log by id.
 * - a row is recorded with `detail.outbox = <row id>`, and deleted only after `audit.flush()`
 *   (both logs durable) covered it;
 * - {@link recover} at start: rows of this instance already in audit.log are deleted, the rest
 *   are recorded as new. Rows of an instance that died wait for the next start with its id (the
 *   per-instance advisory lock keeps that to one process); no live instance adopts them, because
 *   only the dead one's audit.log can say which of them it had already logged.
 */
export class PgOutboxDrain extends OutboxDrainBase {
  readonly #pool: pg.Pool;
  readonly #instance: string;
  /** Recorded in the logs, not yet deleted from the outbox. */
  readonly #recorded = new Set<number>();

  constructor(options: PgOutboxDrainOptions) {
    super(options.audit, options.onError, DRAIN_INTERVAL_MS);
    this.#pool = options.pool;
    this.#instance = options.instanceId;
  }

  async recover(plaintextLog: string | null): Promise<{ alreadyLogged: number; pending: number }> {
    const { rows } = await this.#pool.query<{ id: number }>(
      'SELECT id FROM audit_outbox WHERE instance_id = $1 ORDER BY id',
      [this.#instance],
    );
    if (rows.length === 0) return { alreadyLogged: 0, pending: 0 };
    const left = new Set(rows.map((r) => Number(r.id)));
    const logged = plaintextLog ? await outboxIdsIn(plaintextLog, left) : [];
    if (logged.length > 0) await this.#deleteRows(logged);
    return { alreadyLogged: logged.length, pending: rows.length - logged.length };
  }

  /** Record every committed row of this instance not yet recorded (rows no outcome handed over: replays, claimed operator actions). */
  async drainNow(): Promise<number> {
    let count = 0;
    try {
      let after = 0;
      for (;;) {
        const { rows } = await this.#pool.query<OutboxRow>(
          'SELECT id, event FROM audit_outbox WHERE instance_id = $1 AND id > $2 ORDER BY id LIMIT $3',
          [this.#instance, after, DRAIN_BATCH],
        );
        for (const row of rows) if (this.record(row)) count++;
        if (rows.length < DRAIN_BATCH) return count;
        after = Number(rows.at(-1)?.id ?? after);
      }
    } catch (err) {
      this.onError?.(err);
      return count;
    }
  }

  protected record(row: OutboxRow): boolean {
    const id = Number(row.id);
    if (this.#recorded.has(id)) return false;
    recordOutboxRow(this.audit, row, id);
    this.#recorded.add(id);
    return true;
  }

  protected takeRecorded(): (() => Promise<void>) | null {
    if (this.#recorded.size === 0) return null;
    const ids = [...this.#recorded];
    return async () => {
      await this.#deleteRows(ids);
      for (const id of ids) this.#recorded.delete(id);
    };
  }

  async #deleteRows(ids: readonly number[]): Promise<void> {
    await this.#pool.query('DELETE FROM audit_outbox WHERE instance_id = $1 AND id = ANY($2::bigint[])', [
      this.#instance,
      ids,
    ]);
  }
}

/**
 * Which of `wanted` appear as `detail.outbox` in the last {@link RECOVERY_SCAN_BYTES} of audit.log,
 * reading backwards and stopping once all are found.
 */
export async function outboxIdsIn(path: string, wanted: ReadonlySet<number>): Promise<number[]> {
  const found = new Set<number>();
  for await (const line of linesBackwards(path, RECOVERY_SCAN_BYTES)) {
    const id = outboxIdOf(line);
    if (id !== null && wanted.has(id)) found.add(id);
    if (found.size === wanted.size) break;
  }
  return [...found].sort((a, b) => a - b);
}
