import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireErrorCode } from '../../protocol/index.js';
import { RunRetention } from '../../server/ledger/applied-retention.js';
import {
  AuditOutboxDrain,
  DEFAULT_LEDGER_CONFIG,
  type LedgerConfig,
  type LedgerStore,
  openLedger,
  verifyLedgerFile,
} from '../../server/ledger/index.js';
import { createServerMetrics } from '../../server/metrics.js';
import type { RequestContext } from '../../server/session/request-handler.js';
import type { SessionAccount, SessionServices } from '../../server/session/services.js';
import { SimAuditSink } from './sim-audit.js';
import { SimLedger } from './sim-ledger.js';
import { US_PER_MS } from './sim-loop.js';
import type { SimLink } from './sim-network.js';
import { ServerConnection } from './sim-server-connection.js';
import type { World } from './world.js';

/**
 * The bank server: the real request handling (server/session/request-handler.ts) on the real
 * ledger, one incarnation per start. Each connection runs the REAL request pipeline
 * (server/session/request-pipeline.ts: mutations handed to the writer in order, reads after what
 * came before, answers in request order) and its audit rule (a mutation's records come through
 * the audit outbox, committed with it and drained by the REAL AuditOutboxDrain; other requests'
 * records are queued, then the answer is sent). A start recovers the outbox from the audit file as app.ts does (the file is
 * written out for the drain's own reader). The connection state machine itself (handshake
 * bytes, sealing, idle timers) is not simulated.
 */

/** The session's terminal: the enrolled id and the certificate fingerprint it presented. */
export interface SimTerminal {
  id: string;
  fingerprint: string;
}

const unused = (what: string) => () => {
  throw new Error(`the simulation does not provide ${what}`);
};

export class SimServer {
  epoch = 0;
  up = false;
  private store: LedgerStore | null = null;
  private ledger: SimLedger | null = null;
  private audit: SimAuditSink | null = null;
  private outbox: AuditOutboxDrain | null = null;
  private retention: RunRetention | null = null;
  private services: SessionServices | null = null;
  private readonly connections = new Set<ServerConnection>();
  readonly config: LedgerConfig;

  constructor(private readonly world: World) {
    this.config = {
      ...DEFAULT_LEDGER_CONFIG,
      reversalWindowSec: world.profile.reversalWindowSec,
      fraudAction: world.profile.fraudAction,
    };
  }

  isCurrent(epoch: number): boolean {
    return this.up && epoch === this.epoch;
  }

  /** Open the ledger (verify first, as an operator would after a crash) and start serving. */
  async start(): Promise<void> {
    const { world } = this;
    const report = verifyLedgerFile(world.ledgerPath);
    if (!report.ok) world.oracle.fail(`ledger verify after ${this.epoch === 0 ? 'setup' : 'restart'}: ${report.fault}`);
    const store = openLedger(world.ledgerPath, { clock: world.wallMs, requestHashKey: world.requestHashKey });
    let outbox: AuditOutboxDrain | null = null;
    const ledger = new SimLedger(world, store, this.config, world.options.plant, (rows) => outbox?.accept(rows));
    const sink = new SimAuditSink(
      world.loop,
      world.auditDisk,
      () => new Date(world.wallMs()),
      (lo, hi) => world.rng.int(lo, hi),
      // Planted: the start trusts a killed run's unsynced log lines (the fixed "recover-unsynced").
      world.options.plant !== 'trust-unsynced',
    );
    const audit =
      world.options.plant === 'drop-audit'
        ? {
            // Planted: every 25th record of an applied mutation never reaches the log.
            record: (event: Parameters<SimAuditSink['record']>[0]) => {
              if (event.kind === 'request' && event.outcome === 'ok' && event.txId && world.rng.chance(0.04)) return;
              sink.record(event);
            },
            flush: () => sink.flush(),
            close: () => sink.close(),
          }
        : sink;
    this.store = store;
    this.ledger = ledger;
    // As the bank ledger's wiring does at open: this run's ids are also aged by running time.
    this.retention = new RunRetention(world.wallMs(), () => world.loop.nowUs / US_PER_MS);
    this.audit = sink;
    this.services = {
      authenticator: {
        login: unused('login'),
        register: unused('register'),
        checkPassword: unused('passwords'),
        recordFailure: unused('re-authentication'),
      },
      hasher: { hash: unused('bcrypt') },
      totp: { enroll: unused('TOTP'), verify: unused('TOTP') },
      pii: { seal: (text: string) => `sealed:${text.length}` },
      ledger,
      audit,
      metrics: createServerMetrics(),
      // The pipeline logs a request that failed inside the server (answered INTERNAL).
      logger: {
        error: (fields: { op?: string; err?: unknown }, message: string) =>
          world.trace(`server: ${message} (${fields.op ?? '?'}): ${String(fields.err)}`),
      } as unknown as SessionServices['logger'],
      limits: {
        idleTimeoutSec: 300,
        maxAmountCents: this.config.maxAmountCents,
        dailyWithdrawalLimitCents: this.config.dailyWithdrawalLimitCents,
        handshakeTimeoutMs: 10_000,
        currency: this.config.currency,
      },
      clock: world.wallMs,
    };
    audit.record({ kind: 'server_start' });
    // app.ts: what the last run left in the outbox reaches the log first, then mutations flow.
    // The drain's periodic timer (real time) is not started: every commit hands its rows over,
    // and the outbox is pruned by the clean shutdown's close().
    outbox = new AuditOutboxDrain({ db: store.database, audit });
    const logPath = join(world.dir, 'audit.log');
    writeFileSync(logPath, world.auditDisk.file.map((event) => `${JSON.stringify(event)}\n`).join(''));
    const disk = world.auditDisk;
    world.oracle.noteTrustedUnsynced(disk.file.slice(disk.synced).filter((e) => typeof e.detail?.outbox === 'number'));
    const recovered = await outbox.recover(logPath);
    const drained = outbox.drainNow();
    world.stats.outboxRecovered += drained;
    if (recovered.alreadyLogged + drained > 0) {
      world.trace(`audit outbox: ${recovered.alreadyLogged} row(s) already logged, ${drained} drained`);
    }
    this.outbox = outbox;
    this.up = true;
    this.schedulePrune(this.epoch);
  }

  /** SIGKILL (or power loss): connections break, queued work and unsynced audit are lost, the file keeps its commits. */
  crash(where: string): void {
    const { world } = this;
    if (!this.up) return;
    const powerLoss = world.rng.chance(world.profile.powerLoss);
    world.stats.crashes++;
    world.trace(`SERVER CRASH ${where}${powerLoss ? ' (power loss)' : ''}`);
    this.up = false;
    this.epoch++;
    this.ledger?.kill();
    this.outbox = null;
    this.audit?.crash(powerLoss);
    for (const connection of this.connections) connection.kill();
    this.connections.clear();
    this.store?.close();
    this.store = null;
    const downMs = world.rng.int(20, 2_000);
    world.loop.after(downMs * US_PER_MS, 'server restarts', () => this.restart());
  }

  private async restart(): Promise<void> {
    await this.start();
    this.world.trace(`server restarted (epoch ${this.epoch})`);
    this.world.oracle.fullCheck();
    // What the outbox recovery just drained is queued for the file: on its way, and still in
    // the outbox should this run crash before it is written.
    this.world.oracle.auditCheck(
      [...this.world.auditDisk.file, ...(this.audit?.queued ?? [])],
      this.world.auditDisk.lost,
    );
  }

  /** Clean stop at the end of a run: what is queued commits, the audit log is flushed. */
  async shutdown(): Promise<void> {
    if (!this.up) await this.start();
    await this.ledger?.drain();
    await this.outbox?.close();
    await this.audit?.close();
    this.up = false;
    this.store?.close();
    this.store = null;
  }

  get currentLedger(): SimLedger | null {
    return this.up ? this.ledger : null;
  }

  /** The authenticator's account checks (the password itself is not simulated). */
  login(user: string): { ok: true; account: SessionAccount } | { ok: false; code: WireErrorCode } {
    const account = this.store?.findAccount(user);
    const ok = account?.status === 'active' && !account.locked;
    this.audit?.record({ kind: ok ? 'login' : 'login_failed', actor: user, outcome: ok ? 'ok' : 'error' });
    if (account?.status !== 'active') return { ok: false, code: 'AUTH_FAILED' };
    if (account.locked) return { ok: false, code: 'ACCOUNT_LOCKED' };
    return { ok: true, account };
  }

  accept(link: SimLink | null, account: SessionAccount, terminal: SimTerminal | null): ServerConnection {
    const services = this.services as SessionServices;
    const ctx: RequestContext = {
      account,
      sessionId: `e${this.epoch}`,
      address: 'sim',
      terminal: terminal?.id ?? null,
      terminalFingerprint: terminal?.fingerprint ?? null,
    };
    const connection = new ServerConnection(this.world, services, ctx, link, this.epoch, () =>
      this.connections.delete(connection),
    );
    this.connections.add(connection);
    return connection;
  }

  /** A duplicate of a request on a connection nobody reads any more. */
  onGhostRequest(user: string, terminal: SimTerminal | null, json: string): void {
    if (!this.up) return;
    const account = this.store?.findAccount(user);
    if (account?.status !== 'active') return;
    this.accept(null, account, terminal).onRequest(json);
  }

  private schedulePrune(epoch: number): void {
    this.world.loop.after(this.world.profile.pruneEveryMs * US_PER_MS, 'prune applied ids', () => {
      if (!this.isCurrent(epoch)) return;
      const retentionMs = 24 * 3600 * 1000;
      // Planted: wall-clock age alone decides (the fixed "retention" finding within one run).
      const notAfter =
        this.world.options.plant === 'wall-clock-retention'
          ? Number.MAX_SAFE_INTEGER
          : (this.retention?.notAfterMs(retentionMs) ?? Number.MAX_SAFE_INTEGER);
      this.ledger?.prune(retentionMs, notAfter);
      this.schedulePrune(epoch);
    });
  }
}
