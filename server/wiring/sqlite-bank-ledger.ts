/**
 * The embedded ledger (one SQLite file, one server process) as the server holds it: reads on the
 * main connection, mutations and login writes through the one serialised writer, in the worker
 * thread (production) or on the main thread (`--no-ledger-worker`).
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
  /** Lockout and enrolment writes, serialised with the mutations. */
  login(job: LoginJob): Promise<LoginJobOutcome>;
  /** Forget applied ids older than the retention. */
  prune(olderThanMs: number, notAfterMs: number): Promise<number>;
  readonly queueDepth: number;
  close(): Promise<void>;
}

export async function openSqliteBankLedger(options: SqliteBankLedgerOptions): Promise<BankLedger> {
  const { store, config, clock } = options;
  // With the worker, mutations commit on another thread and connection (the main thread's event
  // loop is not blocked by SQLite or fsync); the main connection keeps the reads and the few
  // operator writes, which busy_timeout serialises against the worker's batches.
  const writer: LedgerMutations = options.worker
    ? workerMutations(
        await LedgerWorkerClient.start({
          path: options.path,
          requestHashKey: options.requestHashKey,
          config,
          ...options.hooks,
        }),
        store,
      )
    : inThreadMutations(new LedgerWriter(store, options.hooks), config);
  const { threshold, lockoutMs } = options.lockout;
  const retention = new RunRetention(clock());
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
    outbox: (audit: AuditSink, onError) => new AuditOutboxDrain({ db: store.database, audit, onError }),
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
      if (last) store.ackOperatorActions(last.id);
      return pending.length;
    },
    prune: async (appliedRetentionMs) => {
      await writer.prune(appliedRetentionMs, retention.notAfterMs(appliedRetentionMs));
      await writer.login({ op: 'prune_login_failures', nowMs: clock() });
    },
    closeWriter: () => writer.close(),
    close: async () => store.close(),
  };
}

/** Pruning is a rare write, so it stays on the main connection (busy_timeout waits out a batch). */
function workerMutations(client: LedgerWorkerClient, store: LedgerStore): LedgerMutations {
  return {
    mutate: (target, request, prepared, audit) => client.mutate(target, request, prepared, audit),
    login: (job) => client.login(job),
    prune: async (olderThanMs, notAfterMs) => store.pruneApplied(olderThanMs, notAfterMs),
    get queueDepth() {
      return client.queueDepth;
    },
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
    prune: (olderThanMs, notAfterMs) => writer.submit((s) => s.pruneApplied(olderThanMs, notAfterMs)),
    get queueDepth() {
      return writer.queueDepth;
    },
    close: () => writer.close(),
  };
}
