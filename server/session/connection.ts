import type { Socket } from 'node:net';
import type { AuditEventInput } from '../../audit/index.js';
import {
  type AuditAction,
  type ParsedHello,
  type ServerSessionAction,
  ServerSessionEngine,
  type ServerSessionState,
} from '../../protocol/index.js';
import { TellerDesk } from '../tellers/teller-desk.js';
import type { TerminalVerdict } from '../terminals/terminal-gate.js';
import { checkLogin, type LoginVerdict } from './login-check.js';
import type { RequestContext } from './request-handler.js';
import { RequestPipeline } from './request-pipeline.js';
import type { SessionServices } from './services.js';

export type ConnectionState = ServerSessionState;

function sendsIn(actions: readonly ServerSessionAction[]): number {
  let sends = 0;
  for (const action of actions) if (action.type === 'send') sends++;
  return sends;
}

/** The engine's deadlines run on a monotonic clock, as Node's timers do. */
const MONOTONIC = { now: () => performance.now() };

/** After `end`, a peer that never reads must not hold the socket open forever. */
const END_GRACE_MS = 2_000;

/**
 * One TLS socket driven through the protocol engine (protocol/server-session-engine.ts): socket
 * bytes and events go in, and the engine's actions are carried out here — writes, closes, audit
 * events, the password check, dispatch into the request pipeline, timers, backpressure and
 * metrics. Every protocol decision is the engine's; business rules live in request-handler.ts.
 */
export class ServerConnection {
  private readonly engine: ServerSessionEngine;
  private readonly pipeline: RequestPipeline;
  private ctx: RequestContext | null = null;
  /** A teller session's desk (protocol/README.md §5.2); null for a customer's session. */
  private desk: TellerDesk | null = null;
  private readonly terminal: string | null;
  private login: LoginVerdict | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private pausedForBackpressure = false;
  private socketGone = false;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  /** Aborted when the socket closes: a password check still queued is dropped unstarted. */
  private readonly gone = new AbortController();
  readonly openedAt: number;
  /** When the TCP connection was accepted: the 10 s handshake deadline counts from here. */
  readonly acceptedAt: number;
  /** When welcome was sent. */
  private sessionOpenedAt: number | null = null;

  constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly services: SessionServices,
    /** What the TLS client certificate made of this connection (protocol/README.md §1.1). */
    private readonly verdict: TerminalVerdict = { kind: 'remote' },
    acceptedAt?: number,
  ) {
    this.openedAt = services.clock();
    this.acceptedAt = acceptedAt ?? this.openedAt;
    // The terminal id comes from the certificate only, never from hello.
    this.terminal = verdict.kind === 'terminal' ? verdict.id : null;
    const { limits } = services;
    this.engine = new ServerSessionEngine({
      clock: MONOTONIC,
      // The time since accept, on the services' clock, carried over to the monotonic one.
      startedAt: MONOTONIC.now() - (this.openedAt - this.acceptedAt),
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      idleTimeoutSec: limits.idleTimeoutSec,
      maxAmountCents: limits.maxAmountCents,
      certificate: verdict,
      queuedOutputBytes: () => socket.writableLength,
    });
    this.pipeline = new RequestPipeline({
      services,
      ctx: () => this.ctx as RequestContext,
      desk: () => this.desk,
      audit: (event) => this.audit(event),
      answer: (ticket, answer, handled) => {
        if (handled.expireAfter !== undefined) void this.expire(handled.expireAfter);
        this.act(this.engine.dispatched(ticket, answer));
      },
    });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get currentState(): ConnectionState {
    return this.engine.state;
  }

  get user(): string | null {
    return this.ctx?.account.user ?? null;
  }

  /** The enrolled terminal this connection's certificate names; null for a remote session. */
  get terminalIdentity(): { id: string; fingerprint: string } | null {
    return this.verdict.kind === 'terminal' ? { id: this.verdict.id, fingerprint: this.verdict.fingerprint } : null;
  }

  /** The terminal was revoked or re-enrolled: end the session now (SESSION_EXPIRED once open). */
  endForTerminal(reason: string): void {
    if (this.engine.state === 'closed' || this.engine.state === 'closing') return;
    this.audit({ kind: 'terminal_session_ended', actor: this.user, detail: { reason } });
    this.act(this.engine.endNow('SESSION_EXPIRED', `session ended: ${reason}`));
  }

  /** What the session authority sweep checks, while the session is open. */
  get session(): {
    accountId: number;
    passwordHash: string;
    pendingPasswordHash: string | undefined;
    openedAt: number;
    role: 'customer' | 'teller';
  } | null {
    if (this.engine.state !== 'open' || !this.ctx || this.sessionOpenedAt === null) return null;
    return {
      accountId: this.ctx.account.id,
      passwordHash: this.ctx.account.passwordHash,
      pendingPasswordHash: this.ctx.pendingPasswordHash,
      openedAt: this.sessionOpenedAt,
      role: this.ctx.account.role ?? 'customer',
    };
  }

  /** The customer a teller session serves, for the sweep; null otherwise. */
  get served(): { accountId: number; passwordHash: string; openedAt: number } | null {
    return this.engine.state === 'open' ? (this.desk?.servedSession ?? null) : null;
  }

  /** The served customer lost their authority: the teller's session goes on, serving no one. */
  stopServing(reason: string): void {
    this.desk?.stopServing(reason);
  }

  /**
   * The bank ends this session (an operator's lock or close, a password change elsewhere, the
   * maximum session length): stop reading, answer what was dispatched, notice SESSION_EXPIRED, close.
   */
  async expire(reason: string): Promise<void> {
    if (this.engine.state !== 'open') return;
    this.socket.pause();
    this.audit({ kind: 'session_expired', actor: this.user, detail: { reason } });
    this.act(this.engine.end('SESSION_EXPIRED', `session ended: ${reason}`));
  }

  /** Resolves once the socket is closed and cleaned up. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.act(this.engine.receive(chunk)));
    this.socket.on('drain', () => this.act(this.engine.writable()));
    this.socket.on('error', () => {
      // 'close' follows; a reset by the peer is not our fault and not worth a log line.
    });
    this.socket.on('close', () => this.onSocketClose());
    this.socket.on('end', () => this.act(this.engine.peerEnded()));
    this.syncTimer();
  }

  /** Server shutdown: stop reading, answer what was already dispatched, send the notice, close. */
  async shutdown(): Promise<void> {
    if (this.engine.state === 'open') this.socket.pause();
    this.act(this.engine.shutdown());
    return this.closed;
  }

  // -------------------------------------------------------------------------------------
  // The engine's actions
  // -------------------------------------------------------------------------------------

  private act(actions: ServerSessionAction[]): void {
    // Several frames in one call (pipelined answers released together, an answer and its notice):
    // corked, they leave in one TLS write instead of one write and one record each.
    const corked = !this.socketGone && sendsIn(actions) > 1;
    if (corked) this.socket.cork();
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          if (!this.socketGone) this.socket.write(action.bytes);
          break;
        case 'close':
          this.close(action.mode);
          break;
        case 'audit':
          this.onEngineAudit(action.event);
          break;
        case 'checkCredentials':
          this.checkCredentials(action.hello);
          break;
        case 'opened':
          this.onOpened(action.sessionId);
          break;
        case 'dispatch':
          this.pipeline.dispatch(action.ticket, action.request);
          break;
        case 'refused':
          this.pipeline.refused(action.fault, action.amount);
          break;
      }
    }
    if (corked) this.socket.uncork();
    this.syncReading();
    this.syncTimer();
  }

  private checkCredentials(hello: ParsedHello): void {
    // Reading goes on while bcrypt runs (early frames are held, at most 32): a client that hangs
    // up is seen at once, so its check is dropped unstarted instead of holding a place in the queue.
    checkLogin({
      services: this.services,
      hello,
      address: this.address,
      terminal: this.terminal,
      deadlineMs: this.acceptedAt + this.services.limits.handshakeTimeoutMs,
      signal: this.gone.signal,
      stillWaiting: () => this.engine.state === 'authenticating',
      audit: (event) => this.audit(event),
    })
      .then((verdict) => {
        if (!verdict) return;
        this.login = verdict;
        this.act(this.engine.credentialsChecked(verdict.credentials));
        this.login = null;
      })
      .catch((err: unknown) => {
        this.services.logger.error({ err }, 'login failed unexpectedly');
        this.act(this.engine.credentialsChecked({ ok: false, code: 'INTERNAL' }));
      });
  }

  private onOpened(sessionId: string): void {
    const login = this.login;
    if (!login?.account) return;
    this.ctx = {
      account: login.account,
      sessionId,
      address: this.address,
      terminal: this.terminal,
      terminalFingerprint: this.verdict.kind === 'terminal' ? this.verdict.fingerprint : null,
    };
    if ((login.account.role ?? 'customer') === 'teller') {
      this.desk = new TellerDesk({
        services: this.services,
        ctx: this.ctx,
        signal: this.gone.signal,
        audit: (event) => this.audit(event),
      });
    }
    this.sessionOpenedAt = this.services.clock();
    this.services.metrics.activeSessions.inc();
    this.audit({ kind: login.registered ? 'register' : 'login', actor: login.account.user, outcome: 'ok' });
    this.audit({ kind: 'session_open', actor: login.account.user });
  }

  /** The engine's audit events, with who and where; the metrics that follow them. */
  private onEngineAudit(event: AuditAction['event']): void {
    const { metrics } = this.services;
    if (event.kind === 'terminal_refused') metrics.connections.inc({ outcome: 'terminal_refused' });
    if (event.detail?.stage === 'sealed') metrics.integrityFailures.inc({ cause: event.code ?? 'unknown' });
    const actor = event.actor ?? this.user;
    this.audit({ ...event, ...(actor === null ? {} : { actor }) });
  }

  private close(mode: 'end' | 'destroy'): void {
    if (this.socketGone) return;
    if (mode === 'destroy') {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  /** Stop reading while the open session takes no frames (32 in flight, answers backed up). */
  private syncReading(): void {
    if (this.engine.state !== 'open') return;
    const pause = !this.engine.wantsInput;
    if (pause && !this.pausedForBackpressure) {
      this.pausedForBackpressure = true;
      this.socket.pause();
    } else if (!pause && this.pausedForBackpressure) {
      this.pausedForBackpressure = false;
      this.socket.resume();
    }
  }

  /** One timer at the engine's deadline; one that fires early (activity moved it) is re-armed. */
  private syncTimer(): void {
    const deadline = this.engine.deadline;
    if (deadline === null || this.socketGone) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerAt <= deadline) return;
    this.clearTimer();
    this.timerAt = deadline;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.act(this.engine.timeout());
      },
      Math.max(0, deadline - MONOTONIC.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onSocketClose(): void {
    const wasSession = this.ctx !== null;
    this.socketGone = true;
    this.gone.abort();
    this.clearTimer();
    const actions = this.engine.closed();
    if (wasSession) this.services.metrics.activeSessions.dec();
    this.act(actions);
    this.resolveClosed();
  }

  private audit(event: AuditEventInput): void {
    // Every event of a teller session names the teller and the customer served (§5.2).
    const counter = this.desk
      ? { actor: this.desk.teller, customer: event.customer !== undefined ? event.customer : this.desk.customer }
      : {};
    this.services.audit.record({
      address: this.address,
      terminal: this.terminal,
      sessionId: this.ctx?.sessionId ?? null,
      ...event,
      ...counter,
    });
  }
}
