import { type AuditEvent, type AuditEventInput, type AuditSink, normalizeAuditEvent } from '../../audit/index.js';
import type { SimEvent, SimLoop } from './sim-loop.js';

/**
 * The audit log on a simulated disk, injected at the AuditSink interface: the real writer
 * (audit/writer/audit-log.ts) opens its files with node:fs directly and paces checkpoints with
 * performance.now and setTimeout, so it cannot run on simulated I/O without changing it. This
 * sink keeps its timing: record() queues in memory (the real record() too), the next turn
 * appends the queue to the file (page cache: survives a process kill), and a checkpoint every
 * 1000 ms syncs it (survives power loss). Events are normalised by the real normalizeAuditEvent.
 */
export class SimAuditDisk {
  /** What the file holds (synced or not). */
  readonly file: AuditEvent[] = [];
  /** file[0 .. synced) survives power loss. */
  synced = 0;
  /** Events recorded but lost to a crash before they reached the file (or its sync). */
  readonly lost: AuditEvent[] = [];

  get lastSeq(): number {
    return this.file.at(-1)?.seq ?? 0;
  }

  /** Power loss: what was written but not synced is gone. */
  losePageCache(): void {
    this.lost.push(...this.file.splice(this.synced));
  }
}

/** How long from record() to the append (the writer's setImmediate + an async write), µs. */
const APPEND_DELAY_US: readonly [number, number] = [20, 2_000];
const CHECKPOINT_INTERVAL_US = 1_000_000;

export class SimAuditSink implements AuditSink {
  private queue: AuditEvent[] = [];
  private nextSeq: number;
  private appendEvent: SimEvent | null = null;
  private syncEvent: SimEvent | null = null;
  private alive = true;

  constructor(
    private readonly loop: SimLoop,
    private readonly disk: SimAuditDisk,
    private readonly now: () => Date,
    private readonly delay: (lo: number, hi: number) => number,
    /** The writer's start syncs what the file holds (audit-log-writer.ts); false undoes that fix. */
    syncOnOpen = true,
  ) {
    // Like openAuditLog: continue after what the file already holds.
    this.nextSeq = disk.lastSeq + 1;
    if (syncOnOpen) this.sync();
  }

  /** Recorded, not yet appended to the file. */
  get queued(): readonly AuditEvent[] {
    return this.queue;
  }

  record(input: AuditEventInput): void {
    if (!this.alive) return;
    this.queue.push(normalizeAuditEvent(input, this.nextSeq++, this.now().toISOString()));
    this.appendEvent ??= this.loop.after(this.delay(...APPEND_DELAY_US), 'audit-append', () => {
      this.appendEvent = null;
      this.append();
    });
  }

  flush(): Promise<void> {
    this.append();
    this.sync();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.flush();
    this.stop();
  }

  /** The process died: the queue is gone; with `powerLoss`, so is the unsynced file tail. */
  crash(powerLoss: boolean): void {
    this.disk.lost.push(...this.queue);
    this.queue = [];
    if (powerLoss) this.disk.losePageCache();
    this.stop();
  }

  private stop(): void {
    this.alive = false;
    this.loop.cancel(this.appendEvent);
    this.loop.cancel(this.syncEvent);
    this.appendEvent = null;
    this.syncEvent = null;
  }

  private append(): void {
    if (this.queue.length === 0) return;
    this.disk.file.push(...this.queue);
    this.queue = [];
    this.syncEvent ??= this.loop.after(CHECKPOINT_INTERVAL_US, 'audit-checkpoint', () => {
      this.syncEvent = null;
      this.sync();
    });
  }

  private sync(): void {
    this.disk.synced = this.disk.file.length;
  }
}
