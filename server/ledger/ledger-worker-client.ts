import { Worker } from 'node:worker_threads';
import { ProtocolError } from '../../protocol/index.js';
import type { MutatingRequest, MutationOutcome, PreparedChange } from './apply-mutation.js';
import type { OutboxEnvelope } from './audit-outbox.js';
import type { LedgerConfig } from './ledger-config.js';
import {
  type FromWorker,
  fromErrorInfo,
  type LedgerWorkerData,
  type LoginWorkerJob,
  type MutationJob,
  type MutationTarget,
  type ToWorker,
} from './ledger-worker-protocol.js';
import type { LoginJob, LoginJobOutcome } from './login-lockout.js';

export type { MutationTarget } from './ledger-worker-protocol.js';

export interface LedgerWorkerOptions {
  /** The ledger file; the worker opens its own connection to it (WAL: the caller's reads go on). */
  path: string;
  /** Same key as the caller's store, so fingerprints match across connections. */
  requestHashKey?: Uint8Array;
  config: LedgerConfig;
  /** Most jobs in one transaction (the writer's default when left out). */
  maxBatch?: number;
  /** Most mutations in flight; beyond it `mutate` refuses with SERVER_BUSY. */
  maxQueue?: number;
  /** After each committed batch, with its size and how long the worker took (ms). */
  onBatch?: (size: number, ms: number) => void;
  /** What a job threw (its promise gets INTERNAL), or why the worker died; for logging. */
  onJobError?: (error: unknown) => void;
}

interface Pending {
  resolve: (outcome: MutationOutcome | LoginJobOutcome) => void;
  reject: (reason: unknown) => void;
}

const DEFAULT_MAX_QUEUE = 4096;

/**
 * The module the worker thread runs: the compiled `ledger-worker.js` beside this file. A host that
 * runs the TypeScript sources (the test runner) names its own bootstrap for the `.ts` entry with
 * {@link setLedgerWorkerEntry}, so nothing here knows how sources are compiled.
 */
let workerEntry = new URL('./ledger-worker.js', import.meta.url);

/** Run ledger workers from `entry` from now on (for hosts that run the sources; see above). */
export function setLedgerWorkerEntry(entry: URL): void {
  workerEntry = entry;
}

/**
 * The main thread's side of the ledger worker: `mutate` has the same contract as a
 * `LedgerWriter.submit` of `applyMutation` (resolves after the batch's COMMIT, so a read on
 * another connection afterwards sees it; SERVER_BUSY or INTERNAL as a rejected ProtocolError), but
 * the SQLite work runs on another thread. Mutations queued in one event-loop turn travel as one
 * message; replies come back the same way and are matched by id.
 */
export class LedgerWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #maxQueue: number;
  readonly #onBatch: ((size: number, ms: number) => void) | undefined;
  readonly #onJobError: ((error: unknown) => void) | undefined;
  #outbox: Array<MutationJob | LoginWorkerJob> = [];
  #flushScheduled = false;
  #nextId = 1;
  #closing = false;
  #dead: Error | null = null;
  #closed: Promise<void> | null = null;
  #onClosed: (() => void) | null = null;
  #threadStat: string | null = null;

  /** The worker thread's /proc stat file, for its CPU time (server/thread-cpu.ts); null off Linux. */
  get threadStat(): string | null {
    return this.#threadStat;
  }

  private constructor(worker: Worker, options: LedgerWorkerOptions) {
    this.#worker = worker;
    this.#maxQueue = Math.max(1, Math.floor(options.maxQueue ?? DEFAULT_MAX_QUEUE));
    this.#onBatch = options.onBatch;
    this.#onJobError = options.onJobError;
  }

  /** Start the worker and wait until it has opened the ledger; rejects if it cannot. */
  static start(options: LedgerWorkerOptions): Promise<LedgerWorkerClient> {
    const workerData: LedgerWorkerData = {
      path: options.path,
      requestHashKey: options.requestHashKey ? Uint8Array.from(options.requestHashKey) : undefined,
      config: options.config,
      maxBatch: options.maxBatch,
      maxQueue: options.maxQueue,
    };
    const worker = new Worker(workerEntry, { workerData });
    const client = new LedgerWorkerClient(worker, options);
    return new Promise<LedgerWorkerClient>((resolve, reject) => {
      const onEarlyExit = (code: number) =>
        reject(new Error(`the ledger worker exited (code ${code}) before it was ready`));
      const onEarlyError = (error: unknown) => {
        worker.off('exit', onEarlyExit);
        reject(error);
      };
      worker.once('error', onEarlyError);
      worker.once('exit', onEarlyExit);
      worker.once('message', (message: FromWorker) => {
        worker.off('error', onEarlyError);
        worker.off('exit', onEarlyExit);
        if (message.type !== 'ready') {
          // The worker throws the error it just reported as it ends: already answered, not a crash.
          worker.on('error', () => {});
          void worker.terminate();
          reject(message.type === 'failed' ? fromErrorInfo(message.error) : new Error('ledger worker did not start'));
          return;
        }
        client.#threadStat = message.threadStat;
        client.#attach();
        resolve(client);
      });
    });
  }

  /** Queue a mutation; resolves with its outcome once the worker's batch has committed. */
  mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared?: PreparedChange,
    audit?: OutboxEnvelope,
  ): Promise<MutationOutcome> {
    if (this.#dead) return Promise.reject(new ProtocolError('INTERNAL', 'the ledger worker stopped'));
    if (this.#closing) return Promise.reject(new ProtocolError('SERVER_BUSY', 'the ledger is shutting down'));
    if (this.#pending.size >= this.#maxQueue) return Promise.reject(new ProtocolError('SERVER_BUSY'));
    const id = this.#nextId++;
    return new Promise<MutationOutcome>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.#outbox.push({ id, target, request, prepared, audit });
      this.#scheduleFlush();
    });
  }

  /** Queue a lockout or enrolment write (login-lockout.ts); same ordering and durability as `mutate`. */
  login(job: LoginJob): Promise<LoginJobOutcome> {
    if (this.#dead) return Promise.reject(new ProtocolError('INTERNAL', 'the ledger worker stopped'));
    if (this.#closing) return Promise.reject(new ProtocolError('SERVER_BUSY', 'the ledger is shutting down'));
    const id = this.#nextId++;
    return new Promise<LoginJobOutcome>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.#outbox.push({ id, login: job });
      this.#scheduleFlush();
    });
  }

  /** Mutations sent or waiting to be sent, not yet answered. */
  get queueDepth(): number {
    return this.#pending.size;
  }

  /** Drain what is queued (every promise settles), close the worker's connection, end the thread. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    if (!this.#dead) {
      this.#flush();
      // Stay alive until the drain is done, even if nothing else holds the loop open.
      this.#worker.ref();
      const closed = new Promise<void>((resolve) => {
        this.#onClosed = resolve;
      });
      this.#post({ type: 'close' });
      await closed;
    }
    await this.#worker.terminate();
  }

  #attach(): void {
    const worker = this.#worker;
    // Open sockets keep a server alive; an idle ledger thread must not keep a finished process alive.
    worker.unref();
    worker.on('message', (message: FromWorker) => this.#receive(message));
    worker.on('error', (error: unknown) => this.#die(error));
    worker.on('exit', (code) => this.#die(new Error(`the ledger worker exited (code ${code})`)));
  }

  #receive(message: FromWorker): void {
    if (message.type === 'replies') {
      for (const reply of message.replies) {
        const pending = this.#pending.get(reply.id);
        if (!pending) continue;
        this.#pending.delete(reply.id);
        if (reply.ok) pending.resolve(reply.outcome);
        else pending.reject(new ProtocolError(reply.code));
      }
      const { batches } = message;
      for (let i = 0; i + 1 < batches.length; i += 2) {
        try {
          this.#onBatch?.(batches[i] as number, batches[i + 1] as number);
        } catch {
          // A metrics hook must not take the ledger down.
        }
      }
      for (const info of message.errors) this.#onJobError?.(fromErrorInfo(info));
    } else if (message.type === 'closed') {
      this.#dead = new Error('closed');
      this.#failAll();
      this.#onClosed?.();
    }
  }

  /** The thread is gone (crash or exit): nothing in flight can be answered any more. */
  #die(error: unknown): void {
    if (this.#dead) return;
    this.#dead = error instanceof Error ? error : new Error(String(error));
    if (!this.#closing) this.#onJobError?.(error);
    this.#failAll();
    this.#onClosed?.();
  }

  #failAll(): void {
    this.#outbox = [];
    for (const pending of this.#pending.values()) pending.reject(new ProtocolError('INTERNAL'));
    this.#pending.clear();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate, not a microtask: the poll phase hands over every request that arrived this
    // turn first, so they travel (and commit) together.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0 || this.#dead) return;
    const jobs = this.#outbox;
    this.#outbox = [];
    this.#post({ type: 'jobs', jobs });
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}
