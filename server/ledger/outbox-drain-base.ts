import type { AuditSink } from '../../audit/index.js';
import type { OutboxRow } from './audit-outbox.js';

/**
 * What the SQLite drain (audit-outbox-drain.ts) and the PostgreSQL one
 * (postgres/pg-outbox-drain.ts) do alike around their own queries and bookkeeping: rows handed
 * over by a commit are recorded at once; a periodic drain is the safety net for rows no outcome
 * handed over; rows are deleted only once `audit.flush()` (both logs durable) covered them; once
 * the audit log failed nothing more is deleted (the rows wait for the next start); close drains
 * what is left and waits until it is durable and deleted, with the audit log still open.
 */
export abstract class OutboxDrainBase {
  protected readonly audit: AuditSink;
  protected readonly onError: ((err: unknown) => void) | undefined;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  /** The periodic drain in flight: drains never overlap. */
  #draining: Promise<unknown> | null = null;
  #pruning: Promise<void> | null = null;
  #closed = false;
  /** The audit log failed: rows stay in the outbox for the next start, and pruning stops. */
  #broken = false;

  protected constructor(audit: AuditSink, onError: ((err: unknown) => void) | undefined, intervalMs: number) {
    this.audit = audit;
    this.onError = onError;
    this.#intervalMs = intervalMs;
  }

  /** Before the first drain: forget rows a crashed run already wrote to `plaintextLog` (null: no logs). */
  abstract recover(plaintextLog: string | null): Promise<{ alreadyLogged: number; pending: number }>;

  /** Record every committed row not yet recorded; how many (a failure goes to onError). */
  abstract drainNow(): number | Promise<number>;

  /** Record one committed row unless it already was; whether it was recorded now. */
  protected abstract record(row: OutboxRow): boolean;

  /** The rows recorded and not yet deleted, as their deletion (run once they are durable); null when none. */
  protected abstract takeRecorded(): (() => unknown) | null;

  /** Rows a mutation committed, handed over with its outcome: recorded at once, not read back. */
  accept(rows: readonly OutboxRow[] | undefined): void {
    if (!rows || this.#closed) return;
    for (const row of rows) this.record(row);
  }

  /** Start the periodic drain and the pruning of logged rows. */
  start(): void {
    this.#timer ??= setInterval(() => void this.#step(), this.#intervalMs);
    this.#timer.unref();
    void this.#step();
  }

  /** Drain what is left and wait until it is durable and deleted; the audit log is still open. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#draining;
    await this.drainNow();
    await this.#pruning;
    await this.#prune();
  }

  async #step(): Promise<void> {
    this.#draining ??= Promise.resolve(this.drainNow()).finally(() => {
      this.#draining = null;
    });
    await this.#draining;
    await this.#prune();
  }

  #prune(): Promise<void> {
    if (this.#broken || this.#pruning) return this.#pruning ?? Promise.resolve();
    const deleteRecorded = this.takeRecorded();
    if (!deleteRecorded) return Promise.resolve();
    this.#pruning = this.audit
      .flush()
      .then(async () => {
        await deleteRecorded();
      })
      .catch((err: unknown) => {
        this.#broken = true;
        this.onError?.(err);
      })
      .finally(() => {
        this.#pruning = null;
      });
    return this.#pruning;
  }
}
