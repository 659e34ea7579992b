/**
 * The embedded ledger (one SQLite file, one server process) as the server holds it: reads on the
 * main connection; every write (mutations, logins, registration, the server's upkeep) through the
 * one serialised writer, in the worker thread (production) or on the main thread
 * (`--no-ledger-worker`).
 */
import type { AuditSink } from '../../audit/index.js';
import { RunRetention } from '../ledger/applied-retention.js';
import {
  type AuditedOutcome,
  AuditOutboxDrain,
  applyLoginJob,
  applyMutation,
  findTerminal,
  type LedgerConfig,
  type LedgerStore,
  LedgerWorkerClient,
  LedgerWriter,
  type LedgerWriterOptions,
  type LoginJob,
  type LoginJobOutcome,
  listTerminals,
  type MutatingRequest,
  type MutationOutcome,
  type MutationTarget,
  type OutboxEnvelope,
  type PreparedChange,
  type UpkeepJob,
  withOutbox,
} from '../ledger/index.js';
import { type BankLedger, type OutboxDrain, toAlertFigures } from './bank-ledger.js';

export interface SqliteBankLedgerOptions {
  store: LedgerStore;
  path: string;
  requestHashKey: Uint8Array;
  config: LedgerConfig;
  /** Commit on the worker thread (production) or the main thread. */
  worker: boolean;
  hooks: Pick<LedgerWriterOptions, 'onBatch' | 'onJobError'>;
  lockout: { threshold: number; lockoutMs: number };
  clock: () => number;
}

/** Where mutations are committed: the worker thread, or the main thread's own writer. */
interface LedgerMutations {
  mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared?: PreparedChange,
    audit?: OutboxEnvelope,
  ): Promise<MutationOutcome>;
  /** Lockout, enrolment, registration and upkeep writes, serialised with the mutations. */
  login(job: LoginJob): Promise<LoginJobOutcome>;
  readonly queueDepth: number;
  /** The writer's own thread's /proc stat file (the worker); null when it runs on the main thread. */
  readonly writerThreadStat: string | null;
  close(): Promise<void>;
}

export async function openSqliteBankLedger(options: SqliteBankLedgerOptions): Promise<BankLedger> {
  const { store, config, clock } = options;
  // With the worker, every write commits on another thread and connection: the main thread's
  // event loop is neither blocked by SQLite or fsync nor waits out a batch's write lock (the
  // outbox's deletes each second and the hourly prune used to, on the readers' connection).
  const writer: LedgerMutations = options.worker
    ? workerMutations(
        await LedgerWorkerClient.start({
          path: options.path,
          requestHashKey: options.requestHashKey,
          config,
          ...options.hooks,
        }),
      )
    : inThreadMutations(new LedgerWriter(store, options.hooks), config);
  const { threshold, lockoutMs } = options.lockout;
  const retention = new RunRetention(clock());
  // The server's own upkeep goes through the writer like every write; once the writer stopped
  // (shutdown: the last outbox rows and operator actions), the readers' connection is the only one left.
  let writerClosed = false;
  const upkeep = async (job: UpkeepJob): Promise<number> => {
    const out = writerClosed ? applyLoginJob(store, job) : await writer.login(job);
    return 'removed' in out ? out.removed : 0;
  };
  const loginSuccess = async (user: string, accountId: number, totpStep: number | null) => {
    const out = await writer.login({ op: 'login_success', user, accountId, totpStep, nowMs: clock() });
    return out.op === 'login_success' && out.active;
  };
  return {
    kind: 'sqlite',
    store,
    sqliteStore: store,
    mutate: (target, request, prepared, audit) =>
      writer.mutate(target, request, prepared, audit) as Promise<AuditedOutcome>,
    setTotpPending: async (accountId, sealedSecret) => {
      const out = await writer.login({ op: 'totp_pending', accountId, sealedSecret });
      return out.op === 'totp_pending' && out.active;
    },
    lockout: {
      recordFailure: async (user) => {
        const out = await writer.login({ op: 'login_failure', user, nowMs: clock(), threshold, lockoutMs });
        return out.op === 'login_failure'
          ? { locked: out.locked, justLocked: out.justLocked }
          : { locked: false, justLocked: false };
      },
      recordSuccess: loginSuccess,
    },
    registrar: {
      createAccount: async ({ user, passwordHash }) => {
        const out = await writer.login({ op: 'register', user, passwordHash });
        return out.op === 'register' && out.ok ? out : { ok: false, code: 'USER_EXISTS' };
      },
    },
    openAccount: async (job) => {
      const out = await writer.login(job);
      return out.op === 'open_account' ? out : { op: 'open_account', outcome: 'locked' };
    },
    terminalLookup: (id) => findTerminal(store, id),
    terminalFigures: async () =>
      listTerminals(store).map((t) => ({ id: t.id, status: t.status, cashCents: t.cashCents, lastSeenAt: null })),
    alertFigures: async (limit) => toAlertFigures(store.listAlerts({ limit })),
    get queueDepth() {
      return writer.queueDepth;
    },
    writerThreadStat: writer.writerThreadStat,
    outbox: (audit: AuditSink, onError) =>
      new AuditOutboxDrain({
        db: store.database,
        audit,
        onError,
        // A row that could not go now goes with the next prune (it deletes every id up to its own).
        deleteUpTo: (upTo) =>
          upkeep({ op: 'outbox_delete', upTo }).catch((err: unknown) => {
            onError(err);
            return 0;
          }),
      }),
    auditOperatorActions: async (audit: AuditSink, _outbox: OutboxDrain) => {
      const pending = store.pendingOperatorActions();
      for (const action of pending) {
        audit.record({
          kind: 'operator_action',
          actor: 'operator',
          detail: { ...action.detail, via: 'cli', at: new Date(action.atMs).toISOString() },
        });
      }
      const last = pending.at(-1);
      if (last) await upkeep({ op: 'ack_operator_actions', upTo: last.id });
      return pending.length;
    },
    prune: async (appliedRetentionMs) => {
      const notAfterMs = retention.notAfterMs(appliedRetentionMs);
      await upkeep({ op: 'prune_applied', olderThanMs: appliedRetentionMs, notAfterMs });
      await writer.login({ op: 'prune_login_failures', nowMs: clock() });
    },
    closeWriter: async () => {
      await writer.close();
      writerClosed = true;
    },
    close: async () => store.close(),
  };
}

function workerMutations(client: LedgerWorkerClient): LedgerMutations {
  return {
    mutate: (target, request, prepared, audit) => client.mutate(target, request, prepared, audit),
    login: (job) => client.login(job),
    get queueDepth() {
      return client.queueDepth;
    },
    writerThreadStat: client.threadStat,
    close: () => client.close(),
  };
}

function inThreadMutations(writer: LedgerWriter, config: LedgerConfig): LedgerMutations {
  return {
    mutate: (target, request, prepared, audit) =>
      writer.submit((s) =>
        withOutbox(s.database, audit, request, () => applyMutation(s, { ...target, config }, request, prepared)),
      ),
    login: (job) => writer.submit((s) => applyLoginJob(s, job)),
    get queueDepth() {
      return writer.queueDepth;
    },
    writerThreadStat: null,
    close: () => writer.close(),
  };
}
