import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { type AuditLog, type AuditSink, createNullAudit, openAuditLog, prepareAuditKeys } from '../audit/index.js';
import { AdminHttp } from './admin/admin-http.js';
import { readLiveFigures } from './admin/live-figures.js';
import { BankServer } from './bank-server.js';
import { CURRENCY, type ServerConfig } from './config.js';
import { createServerMetrics } from './metrics.js';
import { announceSigningKey } from './setup/announce-signing-key.js';
import { DeferredAudit } from './setup/deferred-audit.js';
import { explainListenError } from './setup/listen-errors.js';
import { DEFAULT_INSTANCE_ID, type OpenedDataDir } from './setup/open-data-dir.js';
import { openInstance } from './setup/open-instance.js';
import { operatorIdentity } from './setup/operator-identity.js';
import { prepareDataDir } from './setup/prepare-data-dir.js';
import { narrowDataDirModes } from './setup/secure-file-modes.js';
import { startRevocationSweep } from './terminals/index.js';
import { authServicesOf } from './wiring/auth-services.js';
import { prepareDemo } from './wiring/demo-bank.js';
import { ledgerConfigOf, openBankLedger } from './wiring/open-bank-ledger.js';
import { operatorActionPoller, sessionLedgerOf } from './wiring/session-ledger.js';

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

const APPLIED_ID_RETENTION_MS = 24 * 3600 * 1000;
const PRUNE_INTERVAL_MS = 3600 * 1000;
const OPERATOR_ACTION_POLL_MS = 1000;

/**
 * Wire every part of the server from its config: data dir, keys, ledger, auth, audit, listeners.
 * The data dir is locked before anything in it is touched, and the audit log (a new segment)
 * is opened only once the listeners are bound; a start that fails closes what it opened and
 * leaves the data dir as it found it.
 */
export async function startBank(config: ServerConfig, options: StartBankOptions): Promise<RunningBank> {
  const clock = options.clock ?? Date.now;
  // On PostgreSQL the instance id's advisory lock comes first: a refused id touches no file.
  const opened = await openInstance({
    dataDir: config.dataDir,
    instanceId: config.instanceId ?? DEFAULT_INSTANCE_ID,
    ledgerUrl: config.ledgerUrl,
    auditorKeyFile: config.auditorKeyFile,
    clock,
    onInstanceLockLost: (err) =>
      options.logger.error(
        { err },
        'the database session holding this instance id ended: another process could now start with the same id',
      ),
  });
  const undo: Array<() => unknown> = [() => opened.release()];
  try {
    return await wireBank(config, options, opened, undo);
  } catch (err) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => {});
    throw err;
  }
}

async function wireBank(
  config: ServerConfig,
  options: StartBankOptions,
  opened: OpenedDataDir,
  undo: Array<() => unknown>,
): Promise<RunningBank> {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const prepared = await prepareDataDir(config.dataDir, { instanceId: opened.instance.instanceId });
  const { paths, instance } = prepared;
  const auditKeys = await prepareAuditKeys({
    keysDir: paths.keysDir,
    signingKeyPath: instance.signingKeyPath,
    ...(config.auditorKeyFile === undefined ? {} : { auditorKeyFile: config.auditorKeyFile }),
  });
  if (auditKeys.demoAuditorSecretPath) {
    logger.warn(
      { auditorSecretKey: auditKeys.demoAuditorSecretPath },
      'DEMO AUDITOR KEY: the auditor secret key sits beside the logs it protects; generate one with `bank-audit keygen` and start with --auditor-key for real use',
    );
  }
  // Opened after the listeners are bound (below); until then events wait in the deferred sink.
  const audit = new DeferredAudit();
  let auditLog: AuditLog | null = null;
  const openAudit = async (): Promise<AuditSink> => {
    if (options.audit) return options.audit;
    if (!config.auditEnabled) return createNullAudit();
    auditLog = await openAuditLog({
      dir: instance.auditDir,
      instance: instance.instanceId,
      auditorPublicKey: auditKeys.auditorPublicKey,
      signingSecretKey: auditKeys.signingSecretKey,
      rotateTo: auditKeys.nextSigningSecretKey,
      // Test seam (crash tests): audit batches wait this long, so SIGKILL finds events in flight.
      batchDelayMs: Number(process.env.SECURE_ATM_TEST_AUDIT_DELAY_MS ?? 0) || 0,
      onError: (err: unknown) => logger.error({ err }, 'audit write failed; events are no longer being recorded'),
    });
    return auditLog;
  };
  // Known now; a pending rotation hands over when the log opens (announceSigningKey, after bind).
  let signing: { fingerprint: string; rotatedFrom: string | null } = {
    fingerprint: auditKeys.signingFingerprint,
    rotatedFrom: null,
  };

  // Request fingerprints are keyed so a stored hash cannot be brute-forced back to a password or phone.
  const requestHashKey = createHmac('sha256', prepared.dataKey).update('secure-atm ledger request hash').digest();
  const metrics = createServerMetrics({ instance: config.instanceId ?? DEFAULT_INSTANCE_ID });
  const bankLedger = await openBankLedger({
    url: config.ledgerUrl,
    dataDirLedger: paths.ledgerDb,
    instanceId: config.instanceId ?? DEFAULT_INSTANCE_ID,
    requestHashKey,
    config: ledgerConfigOf(config),
    worker: config.ledgerWorker,
    ...(config.ledgerPoolSize === undefined ? {} : { poolSize: config.ledgerPoolSize }),
    lockout: { threshold: config.lockoutThreshold, lockoutMs: config.lockoutDurationSec * 1000 },
    clock,
    // A test clock goes to the database too; otherwise PostgreSQL's own clock rules (DESIGN.md).
    passClock: options.clock !== undefined,
    hooks: {
      onBatch: (size: number, ms: number) => {
        metrics.batchSize.observe(size);
        metrics.batchSeconds.observe(ms / 1000);
      },
      onJobError: (err: unknown) => logger.error({ err }, 'ledger job failed; request answered INTERNAL'),
    },
    onError: (err: unknown) => logger.error({ err }, 'ledger call failed'),
  });
  undo.push(() => bankLedger.close());
  undo.push(() => bankLedger.closeWriter());
  if (bankLedger.writerThreadStat) metrics.watchThreadCpu('ledger', bankLedger.writerThreadStat);
  const { store } = bankLedger;
  // After the ledger is open (its -wal and -shm exist): nothing in the data dir is for others.
  await narrowDataDirModes(paths.root);
  // Applied request ids are kept for at least 24 h (protocol/README.md §5), then pruned.
  const pruneTimer = setInterval(() => {
    bankLedger.prune(APPLIED_ID_RETENTION_MS).catch(() => {});
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();
  undo.push(() => clearInterval(pruneTimer));
  const outbox = bankLedger.outbox(audit, (err: unknown) =>
    logger.error({ err }, 'audit outbox drain failed; the next start drains what is left'),
  );
  const { ledger, ready: outboxReady } = sessionLedgerOf(bankLedger, outbox);

  const { hasher, pii, totp, limiter, authenticator } = authServicesOf(config, bankLedger, prepared.dataKey, clock);
  undo.push(() => hasher.close());
  undo.push(() => pii.wipe());

  const terminalLookup = bankLedger.terminalLookup;

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
      maxSessionSec: config.maxSessionSec,
    },
    clock,
    tls: { cert: prepared.tls.serverCert, key: prepared.tls.serverKey },
    limiter,
    terminals: { caCert: prepared.tls.terminalCaCert, lookup: terminalLookup },
  });
  const revocationSweep = startRevocationSweep({
    sessions: () => server.terminalConnections(),
    lookup: terminalLookup,
    onError: (err) => logger.error({ err }, 'terminal revocation sweep failed'),
  });
  const startedAt = new Date(clock()).toISOString();
  let stopping = false;
  const admin = new AdminHttp({
    registry: metrics.registry,
    healthy: () => !stopping,
    status: async () => {
      const figures = await readLiveFigures({
        registry: metrics.registry,
        clock,
        terminals: () => bankLedger.terminalFigures(),
        alerts: (limit) => bankLedger.alertFigures(limit),
      });
      return {
        status: stopping ? 'stopping' : 'serving',
        startedAt,
        uptimeSec: Math.round(process.uptime()),
        ...figures,
        writerQueueDepth: bankLedger.queueDepth,
        registration: config.allowRegistration,
        fraudAction: config.fraudAction,
        rssBytes: process.memoryUsage().rss,
        ledger: bankLedger.kind,
        instance: config.instanceId ?? DEFAULT_INSTANCE_ID,
        auditSigningKey: signing.fingerprint,
      };
    },
    auditHead: () => auditLog?.head ?? null,
  });

  const operatorActions = operatorActionPoller({
    bank: bankLedger,
    audit,
    outbox,
    sweep: () => server.sweepSessions(),
    onError: (err) => logger.error({ err }, 'operator actions could not be audited; next poll retries'),
  });
  const port = await server.listen(config.port, config.host).catch((err: unknown) => {
    throw explainListenError(err, { host: config.host, port: config.port, option: '--port' });
  });
  undo.push(() => server.close());
  const adminPort = await admin.listen(config.adminPort).catch((err: unknown) => {
    throw explainListenError(err, { host: '127.0.0.1', port: config.adminPort, option: '--admin-port' });
  });
  undo.push(() => admin.close());

  // Bound: from here on this start is real, so the audit chain and the manifest move on.
  audit.attach(await openAudit());
  undo.push(() => audit.close());
  signing = await announceSigningKey(auditLog, auditKeys, instance.signingKeysDir, logger);
  // What a crash left in the outbox reaches the logs first, exactly once; then mutations flow.
  const recovered = await outbox.recover(auditLog ? instance.auditLog : null);
  if (recovered.alreadyLogged + recovered.pending > 0)
    logger.info(recovered, 'audit outbox: rows left by the last run');
  outbox.start();
  undo.push(() => outbox.close());
  outboxReady();
  const manifest = await opened.commit();
  if (opened.created.length > 0) {
    audit.record({
      kind: 'data_dir_prepared',
      actor: 'operator',
      detail: { created: opened.created, fromVersion: opened.previousVersion, ...operatorIdentity() },
    });
  }
  if (manifest.changed.length > 0) {
    logger.warn({ files: manifest.changed }, 'data dir files differ from the manifest (replaced since the last start)');
    audit.record({ kind: 'data_dir_changed', actor: 'operator', detail: { files: manifest.changed } });
  }
  const demoPassword = config.demo
    ? await prepareDemo({
        store,
        registrar: bankLedger.registrar,
        sqliteStore: bankLedger.sqliteStore,
        hash: (password) => hasher.hash(password),
        audit,
        paths,
        now: new Date(clock()),
        log: (detail, message) => logger.info(detail, message),
      })
    : null;

  await operatorActions.poll();
  const operatorTimer = setInterval(() => void operatorActions.poll(), OPERATOR_ACTION_POLL_MS);
  operatorTimer.unref();

  audit.record({
    kind: 'server_start',
    actor: 'operator',
    detail: {
      port,
      adminPort,
      host: config.host,
      registration: config.allowRegistration,
      fraudAction: config.fraudAction,
      ...operatorIdentity(),
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
      revocationSweep.stop();
      await server.close();
      await bankLedger.closeWriter();
      await operatorActions.settled();
      await operatorActions.poll();
      await outbox.close();
      await admin.close();
      audit.record({ kind: 'server_stop', actor: 'operator', detail: { ...operatorIdentity() } });
      await audit.close();
      await hasher.close();
      await bankLedger.close();
      pii.wipe();
      await opened.release();
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
