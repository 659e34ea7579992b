import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type AuditSink, createNullAudit, openAuditLog, prepareAuditKeys } from '../audit/index.js';
import { AdminHttp } from './admin/admin-http.js';
import {
  AddressLimiter,
  Authenticator,
  createPasswordHasher,
  generateStrongPassword,
  TotpService,
} from './auth/index.js';
import { BankServer } from './bank-server.js';
import { CURRENCY, type ServerConfig } from './config.js';
import {
  type AuditedOutcome,
  AuditOutboxDrain,
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  type LedgerConfig,
  type LedgerStore,
  LedgerWorkerClient,
  LedgerWriter,
  type MutatingRequest,
  type MutationOutcome,
  type MutationTarget,
  type OutboxEnvelope,
  openLedger,
  type PreparedChange,
  withOutbox,
} from './ledger/index.js';
import { createServerMetrics } from './metrics.js';
import { PiiBox } from './secrets/pii-box.js';
import type { SessionLedger } from './session/services.js';
import { announceSigningKey } from './setup/announce-signing-key.js';
import { prepareDataDir } from './setup/prepare-data-dir.js';

/** A started bank: what the CLI and the integration tests hold on to. */
export interface RunningBank {
  port: number;
  adminPort: number;
  dataDir: string;
  caCert: string;
  /** Fingerprint of the key signing this run's audit segments (keys/audit-signing.pub). */
  auditSigningFingerprint: string;
  /** Set when a demo account was created on this start. */
  demoPassword: string | null;
  server: BankServer;
  /** Orderly stop: SERVER_SHUTDOWN to sessions, drain the writer, close the audit segment and files. */
  stop(): Promise<void>;
}

export interface StartBankOptions {
  logger: Logger;
  clock?: () => number;
  /** Replace the audit log (tests); default per config.auditEnabled. */
  audit?: AuditSink;
}

const DEMO_USER = 'demo';
const APPLIED_ID_RETENTION_MS = 24 * 3600 * 1000;
const PRUNE_INTERVAL_MS = 3600 * 1000;
const OPERATOR_ACTION_POLL_MS = 1000;

/** Wire every part of the server from its config: data dir, keys, ledger, auth, audit, listeners. */
export async function startBank(config: ServerConfig, options: StartBankOptions): Promise<RunningBank> {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const prepared = await prepareDataDir(config.dataDir);
  const { paths } = prepared;
  const auditKeys = await prepareAuditKeys({
    keysDir: paths.keysDir,
    ...(config.auditorKeyFile === undefined ? {} : { auditorKeyFile: config.auditorKeyFile }),
  });
  if (auditKeys.demoAuditorSecretPath) {
    logger.warn(
      { auditorSecretKey: auditKeys.demoAuditorSecretPath },
      'DEMO AUDITOR KEY: the auditor secret key sits beside the logs it protects; generate one with `bank-audit keygen` and start with --auditor-key for real use',
    );
  }
  const auditLog =
    !options.audit && config.auditEnabled
      ? await openAuditLog({
          dir: paths.auditDir,
          auditorPublicKey: auditKeys.auditorPublicKey,
          signingSecretKey: auditKeys.signingSecretKey,
          rotateTo: auditKeys.nextSigningSecretKey,
          // Test seam (crash tests): audit batches wait this long, so SIGKILL finds events in flight.
          batchDelayMs: Number(process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS ?? 0) || 0,
          onError: (err: unknown) => logger.error({ err }, 'audit write failed; events are no longer being recorded'),
        })
      : null;
  const audit: AuditSink = options.audit ?? auditLog ?? createNullAudit();
  const signing = await announceSigningKey(auditLog, auditKeys, paths.keysDir, logger);

  // Request fingerprints are keyed so a stored hash cannot be brute-forced back to a password or phone.
  const requestHashKey = createHmac('sha256', prepared.dataKey).update('secure-atm ledger request hash').digest();
  const store = openLedger(paths.ledgerDb, { clock, requestHashKey });
  const metrics = createServerMetrics();
  const ledgerConfig: LedgerConfig = {
    ...DEFAULT_LEDGER_CONFIG,
    dailyWithdrawalLimitCents: config.dailyWithdrawalLimitCents,
    maxAmountCents: config.maxAmountCents,
    reversalWindowSec: config.reversalWindowSec,
    currency: CURRENCY,
    fraudAction: config.fraudAction,
    fraud: {
      largeAmountCents: config.fraudLargeAmountCents,
      velocityCount: config.fraudVelocityCount,
      velocityWindowSec: config.fraudVelocityWindowSec,
    },
  };
  const writerHooks = {
    onBatch: (size: number, ms: number) => {
      metrics.batchSize.observe(size);
      metrics.batchSeconds.observe(ms / 1000);
    },
    onJobError: (err: unknown) => logger.error({ err }, 'ledger job failed; request answered INTERNAL'),
  };
  // With the worker, mutations commit on another thread and connection (the main thread's event
  // loop is not blocked by SQLite or fsync); the main connection keeps the reads and the few
  // auth/operator writes, which busy_timeout serialises against the worker's batches.
  const writer: LedgerMutations = config.ledgerWorker
    ? workerMutations(
        await LedgerWorkerClient.start({ path: paths.ledgerDb, requestHashKey, config: ledgerConfig, ...writerHooks }),
      )
    : inThreadMutations(new LedgerWriter(store, writerHooks), ledgerConfig);
  // Applied request ids are kept for at least 24 h (PROTOCOL.md §5), then pruned.
  const pruneTimer = setInterval(() => {
    writer.prune(APPLIED_ID_RETENTION_MS, store).catch(() => {});
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();
  // Mutations' audit events reach the logs through the outbox: first what a crash left behind.
  const outbox = new AuditOutboxDrain({
    db: store.database,
    audit,
    onError: (err: unknown) => logger.error({ err }, 'audit outbox drain failed; the next start drains what is left'),
  });
  const recovered = await outbox.recover(auditLog ? join(paths.auditDir, 'audit.log') : null);
  if (recovered.alreadyLogged + recovered.pending > 0)
    logger.info(recovered, 'audit outbox: rows left by the last run');
  outbox.start();
  const ledger: SessionLedger = {
    store,
    mutate: (ctx, request, change, envelope) => {
      const done = writer.mutate(ctx, request, change, envelope);
      // Committed: its audit events go from the outbox to the logs (in commit order).
      void done.then(
        (outcome) => outbox.accept((outcome as AuditedOutcome).outbox),
        () => {},
      );
      return done;
    },
  };

  const hasher = createPasswordHasher({ cost: config.bcryptCost });
  const pii = new PiiBox(prepared.dataKey);
  const totp = new TotpService(pii, { clock });
  const policy = {
    allowRegistration: config.allowRegistration,
    lockoutThreshold: config.lockoutThreshold,
    maxFailedLoginsPerMinute: config.maxFailedLoginsPerMinute,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
  };
  const limiter = new AddressLimiter(policy, clock);
  const authenticator = new Authenticator({ store, hasher, limiter, policy, totp, clock });

  let demoPassword: string | null = null;
  if (config.demo && !store.findAccount(DEMO_USER)) {
    demoPassword = generateStrongPassword();
    store.createAccount({ user: DEMO_USER, passwordHash: await hasher.hash(demoPassword) });
    audit.record({
      kind: 'operator_action',
      actor: 'operator',
      detail: { action: 'create_demo_account', user: DEMO_USER },
    });
  }

  const server = new BankServer({
    authenticator,
    hasher,
    totp,
    pii,
    ledger,
    audit,
    metrics,
    logger,
    limits: {
      idleTimeoutSec: config.idleTimeoutSec,
      maxAmountCents: config.maxAmountCents,
      dailyWithdrawalLimitCents: config.dailyWithdrawalLimitCents,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      currency: CURRENCY,
    },
    clock,
    tls: { cert: prepared.tls.serverCert, key: prepared.tls.serverKey },
    limiter,
  });
  const startedAt = new Date(clock()).toISOString();
  let stopping = false;
  const admin = new AdminHttp({
    registry: metrics.registry,
    healthy: () => !stopping,
    status: async () => ({
      ...(await statusOf(server, metrics.registry, { startedAt, writer, config, stopping })),
      auditSigningKey: signing.fingerprint,
    }),
    auditHead: () => auditLog?.head ?? null,
  });

  // Operator actions taken by the CLI while we run (or while we were down) reach our audit log here.
  const auditOperatorActions = () => {
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
  };
  auditOperatorActions();
  const operatorTimer = setInterval(auditOperatorActions, OPERATOR_ACTION_POLL_MS);
  operatorTimer.unref();

  const port = await server.listen(config.port, config.host);
  const adminPort = await admin.listen(config.adminPort);
  audit.record({
    kind: 'server_start',
    actor: 'operator',
    detail: {
      port,
      adminPort,
      host: config.host,
      registration: config.allowRegistration,
      fraudAction: config.fraudAction,
      auditSigningKey: signing.fingerprint,
      ...(signing.rotatedFrom ? { auditSigningKeyRotatedFrom: signing.rotatedFrom } : {}),
    },
  });

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      clearInterval(pruneTimer);
      clearInterval(operatorTimer);
      await server.close();
      await writer.close();
      await outbox.close();
      await admin.close();
      auditOperatorActions();
      audit.record({ kind: 'server_stop', actor: 'operator' });
      await audit.close();
      await hasher.close();
      store.close();
      pii.wipe();
    })();
    return stopped;
  };

  return {
    port,
    adminPort,
    dataDir: paths.root,
    caCert: prepared.tls.caCert,
    demoPassword,
    auditSigningFingerprint: signing.fingerprint,
    server,
    stop,
  };
}

async function statusOf(
  server: BankServer,
  registry: import('prom-client').Registry,
  extra: { startedAt: string; writer: { readonly queueDepth: number }; config: ServerConfig; stopping: boolean },
): Promise<Record<string, unknown>> {
  const requests = await registry.getSingleMetric('bank_requests_total')?.get();
  const served = (requests?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  const stats = server.stats;
  return {
    status: extra.stopping ? 'stopping' : 'serving',
    startedAt: extra.startedAt,
    uptimeSec: Math.round(process.uptime()),
    connections: stats.connections,
    sessions: stats.sessions,
    connectionsAccepted: stats.acceptedTotal,
    connectionsRefused: stats.refusedTotal,
    requestsServed: served,
    writerQueueDepth: extra.writer.queueDepth,
    registration: extra.config.allowRegistration,
    fraudAction: extra.config.fraudAction,
    rssBytes: process.memoryUsage().rss,
  };
}

/** Where mutations are committed: the worker thread, or the main thread's own writer. */
interface LedgerMutations {
  mutate(
    target: MutationTarget,
    request: MutatingRequest,
    prepared?: PreparedChange,
    audit?: OutboxEnvelope,
  ): Promise<MutationOutcome>;
  /** Forget applied ids older than the retention; `store` is the main connection. */
  prune(olderThanMs: number, store: LedgerStore): Promise<number>;
  readonly queueDepth: number;
  close(): Promise<void>;
}

/** Pruning is a rare write, so it stays on the main connection (busy_timeout waits out a batch). */
function workerMutations(client: LedgerWorkerClient): LedgerMutations {
  return {
    mutate: (target, request, prepared, audit) => client.mutate(target, request, prepared, audit),
    prune: async (olderThanMs, store) => store.pruneApplied(olderThanMs),
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
    prune: (olderThanMs) => writer.submit((s) => s.pruneApplied(olderThanMs)),
    get queueDepth() {
      return writer.queueDepth;
    },
    close: () => writer.close(),
  };
}
