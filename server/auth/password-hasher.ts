import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { genSaltSync } from 'bcryptjs';
import { ServerError } from '../server-error.js';
import { HASH_WORKER_SOURCE } from './hash-worker-source.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Same cost as verify against a fixed dummy hash of the same cost; always false. For unknown users. */
  verifyDummy(password: string): Promise<false>;
  close(): Promise<void>;
}

export type HasherErrorCode = 'HASHER_CLOSED' | 'HASHER_FAILED' | 'HASH_INVALID';

/** The hasher's refusals: the server's one error class with one of these codes. */
export const HasherError = ServerError<HasherErrorCode>;
export type HasherError = ServerError<HasherErrorCode>;

/** bcrypt's own bounds for the cost (log2 of the rounds). */
export const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 31;

type Job = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };

interface PendingJob {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

type WorkerReply = { ok: true; value: string | boolean } | { ok: false };

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed hash of the given cost that no password is expected to match. Comparing against
 * it runs the full 2^cost rounds, which is all an unknown user needs: the same work as a real
 * account. The checksum part is fixed because it is never reached.
 */
function dummyHash(cost: number): string {
  return genSaltSync(cost) + BCRYPT_ALPHABET.slice(0, 31);
}

function resolveBcryptPath(): string {
  return createRequire(import.meta.url).resolve('bcryptjs');
}

/**
 * A fixed-size pool of bcrypt workers. Workers start on first use and are unref'd while idle, so
 * an idle pool never keeps the process alive but a pending hash does. Jobs wait in FIFO order when
 * every worker is busy. A worker that dies fails its one job and is replaced on demand.
 */
class WorkerPoolHasher implements PasswordHasher {
  private readonly cost: number;
  private readonly size: number;
  private readonly bcryptPath = resolveBcryptPath();
  private readonly dummy: string;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, PendingJob>();
  private readonly queue: PendingJob[] = [];
  private closed = false;

  constructor(cost: number, size: number) {
    this.cost = cost;
    this.size = size;
    this.dummy = dummyHash(cost);
  }

  hash(password: string): Promise<string> {
    return this.submit({ op: 'hash', password, cost: this.cost }).then((value) => {
      if (typeof value !== 'string') throw new HasherError('HASHER_FAILED', 'password hashing failed');
      return value;
    });
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'verify', password, hash }).then((value) => value === true);
  }

  async verifyDummy(password: string): Promise<false> {
    await this.verify(password, this.dummy);
    return false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(closedError());
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    // terminate() fires 'exit', whose handler fails any job still running on that worker.
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const worker = this.idle.pop() ?? (this.workerCount() < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift() as PendingJob;
      this.busy.set(worker, pending);
      worker.ref();
      worker.postMessage(pending.job);
    }
  }

  private workerCount(): number {
    return this.idle.length + this.busy.size;
  }

  private spawn(): Worker {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, workerData: { bcryptPath: this.bcryptPath } });
    worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
    worker.on('error', () => this.onWorkerGone(worker));
    worker.on('exit', () => this.onWorkerGone(worker));
    return worker;
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    const pending = this.busy.get(worker);
    if (!pending) return;
    this.busy.delete(worker);
    if (reply.ok) pending.resolve(reply.value);
    else
      pending.reject(
        pending.job.op === 'verify'
          ? new HasherError('HASH_INVALID', 'stored password hash is malformed')
          : new HasherError('HASHER_FAILED', 'password hashing failed'),
      );
    if (this.closed) return;
    worker.unref();
    this.idle.push(worker);
    this.dispatch();
  }

  private onWorkerGone(worker: Worker): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    pending?.reject(this.closed ? closedError() : new HasherError('HASHER_FAILED', 'password worker stopped'));
    if (!this.closed) this.dispatch();
  }
}

function closedError(): HasherError {
  return new HasherError('HASHER_CLOSED', 'password hasher is closed');
}

/**
 * bcryptjs run in worker_threads (a pool of `workers`, default os.availableParallelism()), so a
 * login storm never stalls the event loop. Requests queue when every worker is busy.
 * Throws RangeError for a cost outside 4–31 or a pool size below 1.
 */
export function createPasswordHasher(options: { cost: number; workers?: number }): PasswordHasher {
  const { cost } = options;
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new RangeError(`bcrypt cost must be an integer from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}`);
  }
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers must be a positive integer');
  return new WorkerPoolHasher(cost, workers);
}
