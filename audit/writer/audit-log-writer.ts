import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditError } from '../errors.js';
import {
  type AuditEventInput,
  eventJsonAt,
  type NormalizedEventJson,
  normalizeAuditEvent,
} from '../events/audit-event.js';
import type { Ed25519Signer } from '../keys/ed25519.js';
import { SegmentChain } from '../segment/segment-chain.js';
import type { AuditHead, AuditLog } from './audit-log.js';
import { EventClock } from './event-clock.js';
import { fitted } from './fitted-event.js';
import { FlushWaiters } from './flush-waiters.js';
import { PlaintextLog } from './plaintext-log.js';
import { appendSync, createSegmentFile, syncDirectory } from './segment-file.js';

/** Events per append; bounds the time one batch holds the event loop. */
const MAX_BATCH = 1024;

export interface WriterConfig {
  segmentsDir: string;
  auditorPublicKey: Uint8Array;
  signer: Ed25519Signer;
  checkpointIntervalMs: number;
  maxSegmentBytes: number;
  now: () => Date;
  onError: ((err: AuditError) => void) | undefined;
  instance: string;
  batchDelayMs: number;
  firstSeq: number;
}

/**
 * record() only normalizes, serialises and queues (a normalized event is a detached copy, so its
 * JSON is the same now as at write time); recordNormalized() only adds seq and ts to the text. One
 * pump drains the queue in batches: each event goes to the plaintext log and is sealed into the
 * chain, and each batch is one append to the segment. Checkpoints come when due (time, flush,
 * rotation), always after the plaintext log is flushed, so both logs are durable up to every signed
 * point.
 */
export class AuditLogWriter implements AuditLog {
  /** The JSON of each queued event, in seq order: the first is seq `chain.lastSeq + 1`. */
  private queue: string[] = [];
  private nextSeq: number;
  private checkpointedSeq: number;
  private chain!: SegmentChain;
  private segmentFile!: FileHandle;
  private currentPath = '';
  private run = '';
  private segmentNumber = 0;
  private plaintext!: PlaintextLog;
  private accepting = false;
  private running: Promise<void> | null = null;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckpointAt = performance.now();
  private checkpointRequested = false;
  private readonly waiters = new FlushWaiters();
  private failure: AuditError | null = null;
  private closing: Promise<void> | null = null;
  /** Set once the close record is being written: nothing else may append after it. */
  private stopped = false;
  private signedHead: AuditHead | null = null;
  private readonly clock: EventClock;

  constructor(private readonly config: WriterConfig) {
    this.clock = new EventClock(config.now);
    this.nextSeq = config.firstSeq;
    this.checkpointedSeq = config.firstSeq - 1;
  }

  get segmentPath(): string {
    return this.currentPath;
  }

  get head(): AuditHead | null {
    return this.signedHead;
  }

  get signingPublicKey(): Uint8Array {
    return this.config.signer.publicKey;
  }

  /** Called once a signed line is on disk (after datasync): only then may a witness see it. */
  private noteSignedHead(): void {
    const signature = this.chain.lastSignature;
    if (!signature) return;
    this.signedHead = {
      instance: this.config.instance,
      segment: basename(this.currentPath),
      seq: this.chain.lastSeq,
      hash: this.chain.hash.toString('base64'),
      signature: signature.toString('base64'),
      signer: Buffer.from(this.config.signer.publicKey).toString('base64'),
      at: this.config.now().toISOString(),
    };
  }

  async start(
    plaintextPath: string,
    run: string,
    previous: { name: string; hash: Uint8Array } | null,
    refill: Array<Record<string, unknown>> = [],
  ): Promise<void> {
    this.run = run;
    this.plaintext = await PlaintextLog.open(plaintextPath);
    try {
      // A killed run's last lines may still be in the page cache only, and this start trusts
      // them twice (the re-seal below, and the outbox recovery deleting the rows they carry): a
      // power loss soon after would take them with their rows already gone. Sync them first.
      await this.plaintext.flush();
      await this.openSegment(1, previous);
      // Already in audit.log: sealed into the segment only, under their own seq.
      let out = '';
      for (const event of refill) out += this.chain.appendRecord(event.seq as number, JSON.stringify(event));
      if (out) await this.append(out);
      this.nextSeq = this.chain.lastSeq + 1;
    } catch (err) {
      await this.plaintext.close();
      throw err;
    }
    this.accepting = true;
  }

  record(input: AuditEventInput): void {
    if (!this.accepting) return;
    try {
      this.enqueue(fitted(JSON.stringify(normalizeAuditEvent(input, this.nextSeq, this.clock.timestamp()))));
    } catch {
      // record() must never throw into a request path; a broken clock loses this event only.
    }
  }

  recordNormalized(event: NormalizedEventJson): void {
    if (!this.accepting) return;
    try {
      this.enqueue(fitted(eventJsonAt(event, this.nextSeq, this.clock.timestamp())));
    } catch {
      // As record(): never a throw into a request path.
    }
  }

  private enqueue(json: string): void {
    this.queue.push(json);
    this.nextSeq++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.nextSeq - 1;
    if (seq <= this.checkpointedSeq && this.queue.length === 0) return Promise.resolve();
    const done = this.waiters.wait(seq);
    this.kick();
    return done;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Events recorded while the first flush runs (a last session closing) still get in.
    await this.flush().catch(() => {});
    this.accepting = false;
    await this.flush().catch(() => {});
    await this.idle();
    this.stopped = true;
    this.clearTimer();
    try {
      if (!this.failure) {
        await this.plaintext.flush();
        await this.append(this.chain.close());
        await this.segmentFile.datasync();
        this.noteSignedHead();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.chain.wipe();
      await this.segmentFile.close().catch(() => {});
      await this.plaintext.close().catch(() => {});
    }
    if (this.failure) throw this.failure;
  }

  private kick(): void {
    if (this.running || this.failure || this.stopped) return;
    this.running = this.pump().finally(() => {
      this.running = null;
      // Work that arrived while the pump was finishing (a flush() from a microtask) must not wait.
      if (this.queue.length > 0 || this.waiters.size > 0) this.kick();
      else this.armTimer();
    });
  }

  private async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.failure) return;
        if (this.queue.length > 0) {
          await this.writeBatch();
          if (this.chain.bytes >= this.config.maxSegmentBytes) await this.rotate();
          else if (this.timeForCheckpoint() || this.waiterReady()) await this.checkpoint();
        } else if (
          this.chain.uncheckpointed > 0 &&
          (this.checkpointRequested || this.timeForCheckpoint() || this.waiterReady())
        ) {
          await this.checkpoint();
        } else {
          this.settleWaiters();
          return;
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async writeBatch(): Promise<void> {
    if (this.config.batchDelayMs > 0) await new Promise((r) => setTimeout(r, this.config.batchDelayMs));
    const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
    this.queue = batch === this.queue ? [] : this.queue.slice(MAX_BATCH);
    let out = '';
    let seq = this.chain.lastSeq;
    for (const json of batch) {
      // Serialised once: the same JSON is the plaintext line and the sealed record.
      this.plaintext.log(json);
      out += this.chain.appendRecord(++seq, json);
    }
    // audit.log first: after a crash the segment never holds an event audit.log lacks, and
    // the next open re-seals what audit.log has beyond the segment (readPlaintextAfter).
    await this.plaintext.write();
    await this.append(out);
  }

  private async checkpoint(): Promise<void> {
    await this.plaintext.flush();
    const line = this.chain.checkpoint();
    if (line) {
      await this.append(line);
      await this.segmentFile.datasync();
      this.noteSignedHead();
    }
    this.markCheckpointed();
  }

  private async rotate(): Promise<void> {
    await this.plaintext.flush();
    await this.append(this.chain.close());
    await this.segmentFile.datasync();
    this.noteSignedHead();
    await this.segmentFile.close();
    this.markCheckpointed();
    await this.openSegment(this.segmentNumber + 1, { name: basename(this.currentPath), hash: this.chain.hash });
  }

  private markCheckpointed(): void {
    this.checkpointedSeq = this.chain.lastSeq;
    this.lastCheckpointAt = performance.now();
    this.checkpointRequested = false;
    this.settleWaiters();
  }

  private async openSegment(n: number, previous: { name: string; hash: Uint8Array } | null): Promise<void> {
    const { file, path, number } = await createSegmentFile(this.config.segmentsDir, this.run, n);
    const chain = new SegmentChain({
      instance: this.config.instance,
      created: this.config.now().toISOString(),
      run: this.run,
      segment: number,
      firstSeq: this.checkpointedSeq + 1,
      auditorPublicKey: this.config.auditorPublicKey,
      signer: this.config.signer,
      prevSegment: previous?.name ?? null,
      prevHash: previous?.hash ?? null,
    });
    this.segmentFile = file;
    this.chain = chain;
    this.currentPath = path;
    this.segmentNumber = number;
    this.lastCheckpointAt = performance.now();
    await this.append(chain.headerLine);
    await file.datasync();
    await syncDirectory(this.config.segmentsDir);
  }

  private async append(text: string): Promise<void> {
    appendSync(this.segmentFile, text);
  }

  private timeForCheckpoint(): boolean {
    return (
      this.chain.uncheckpointed > 0 && performance.now() - this.lastCheckpointAt >= this.config.checkpointIntervalMs
    );
  }

  private waiterReady(): boolean {
    return this.waiters.anyAtOrBelow(this.chain.lastSeq);
  }

  private settleWaiters(): void {
    this.waiters.settle(this.checkpointedSeq);
  }

  private armTimer(): void {
    if (this.timer || this.failure || this.stopped || this.chain.uncheckpointed === 0) return;
    const wait = Math.max(0, this.config.checkpointIntervalMs - (performance.now() - this.lastCheckpointAt));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.checkpointRequested = true;
      this.kick();
    }, wait);
    // A server that is otherwise done must not be kept alive by a pending checkpoint.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    const message = err instanceof Error ? err.message : String(err);
    this.failure = new AuditError('AUDIT_WRITE_FAILED', `audit log write failed: ${message}`, { cause: err });
    this.accepting = false;
    this.queue = [];
    this.clearTimer();
    this.waiters.rejectAll(this.failure);
    this.config.onError?.(this.failure);
  }
}
