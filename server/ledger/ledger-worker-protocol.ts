import type { MutatingRequest, MutationOutcome, PreparedChange } from './apply-mutation.js';
import type { OutboxEnvelope } from './audit-outbox.js';
import type { LedgerConfig } from './ledger-config.js';
import type { LoginJob, LoginJobOutcome } from './login-lockout.js';
import type { SessionTerminal } from './terminal-ledger.js';

/**
 * The messages between the main thread and the ledger worker. Both directions carry arrays: one
 * postMessage per event-loop turn, not one per mutation, because each post costs a structured
 * clone plus a wake-up on the other side.
 */

/** What the worker is started with (workerData). Functions do not cross threads: no clock, no hooks. */
export interface LedgerWorkerData {
  path: string;
  requestHashKey: Uint8Array | undefined;
  config: LedgerConfig;
  maxBatch: number | undefined;
  maxQueue: number | undefined;
}

/** Who a mutation is for; the worker adds the ledger config. */
export interface MutationTarget {
  accountId: number;
  user: string;
  nowMs: number;
  /** The session's enrolled terminal; absent or null for a remote session (no cash). */
  terminal?: SessionTerminal | null;
  /** The teller acting for the customer at the counter (protocol/README.md §5.2). */
  tellerId?: number | null;
}

export interface MutationJob {
  id: number;
  target: MutationTarget;
  request: MutatingRequest;
  prepared: PreparedChange | undefined;
  /** Audit the mutation through the outbox, in its own transaction. */
  audit?: OutboxEnvelope | undefined;
}

/** Lockout and enrolment writes (login-lockout.ts), serialised with the mutations. */
export interface LoginWorkerJob {
  id: number;
  login: LoginJob;
}

export type ToWorker = { type: 'jobs'; jobs: Array<MutationJob | LoginWorkerJob> } | { type: 'close' };

export type JobReply =
  | { id: number; ok: true; outcome: MutationOutcome | LoginJobOutcome }
  | { id: number; ok: false; code: 'SERVER_BUSY' | 'INTERNAL' };

/** An error as it survives the trip: enough for a log line. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack: string | undefined;
  code: string | undefined;
}

export type FromWorker =
  /** `threadStat`: the worker thread's /proc stat file, for its CPU time (thread-cpu.ts); null off Linux. */
  | { type: 'ready'; threadStat: string | null }
  | { type: 'failed'; error: ErrorInfo }
  /** `batches` is flat [size, ms, size, ms, ...]. */
  | { type: 'replies'; replies: JobReply[]; batches: number[]; errors: ErrorInfo[] }
  | { type: 'closed' };

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: String(error), stack: undefined, code: undefined };
}

export function fromErrorInfo(info: ErrorInfo): Error {
  const error = new Error(info.message) as Error & { code?: string };
  error.name = info.name;
  if (info.stack !== undefined) error.stack = info.stack;
  if (info.code !== undefined) error.code = info.code;
  return error;
}
