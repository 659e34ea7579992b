import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AuditEventInput } from '../../audit/index.js';
import {
  deriveSessionKeys,
  encodeErrorFrame,
  encodeFrame,
  encodeWelcome,
  FrameDecoder,
  generateX25519KeyPair,
  MAX_PIPELINED_REQUESTS,
  NONCE_BYTES,
  type ParsedHello,
  ProtocolError,
  parseHello,
  parseRequest,
  type Request,
  SESSION_ID_BYTES,
  SealedChannel,
  toB64,
  type WireErrorCode,
  wipeSessionKeys,
  x25519,
} from '../../protocol/index.js';
import { TellerDesk } from '../tellers/teller-desk.js';
import { helloTerminalProblem, type TerminalVerdict } from '../terminals/terminal-gate.js';
import { describeAmountFault } from './amount-fault.js';
import {
  errorResponse,
  type HandledRequest,
  handleRead,
  isMutation,
  prepareMutation,
  type RequestContext,
  submitMutation,
} from './request-handler.js';
import type { SessionServices } from './services.js';

export type ConnectionState = 'awaiting_hello' | 'authenticating' | 'open' | 'closing' | 'closed';

/** Frames held while a login is checked; a real client sends nothing until welcome. */
const MAX_EARLY_FRAMES = MAX_PIPELINED_REQUESTS;

/**
 * Answers queued on the socket beyond which the session stops reading: a client that sends
 * without reading must fill its own buffers, not the server's memory (issue 3: backpressure).
 */
const MAX_QUEUED_ANSWER_BYTES = 256 * 1024;

/**
 * One connection's state machine: awaiting hello → authenticating → open (sealed) → closing.
 * Owns the socket's framing, the sealed channel, the in-order response pipeline and the
 * idle and handshake timers. Business rules live in request-handler.ts.
 */
export class ServerConnection {
  private state: ConnectionState = 'awaiting_hello';
  private readonly decoder = new FrameDecoder();
  private channel: SealedChannel | null = null;
  private ctx: RequestContext | null = null;
  /** A teller session's desk (protocol/README.md §5.2); null for a customer's session. */
  private desk: TellerDesk | null = null;
  private terminal: string | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Authenticated frames not yet opened: bounded by pausing the socket. */
  private backlog: Buffer[] = [];
  /** Requests dispatched whose responses are not yet written. */
  private inFlight = 0;
  /** Serialises dispatch so a session's requests apply in the order they came. */
  private dispatchChain: Promise<void> = Promise.resolve();
  /** Resolves when everything dispatched so far has completed. */
  private lastCompletion: Promise<unknown> = Promise.resolve();
  /** Serialises writes so responses leave in request order. */
  private sendChain: Promise<void> = Promise.resolve();
  private pausedForBackpressure = false;
  private closeAfterResponses = false;
  /** The client half-closed: answer what it sent, then close (the socket allows half-open). */
  private peerEnded = false;
  private closed: Promise<void>;
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
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get currentState(): ConnectionState {
    return this.state;
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
    if (this.state === 'closed' || this.state === 'closing') return;
    this.audit({ kind: 'terminal_session_ended', actor: this.user, detail: { reason } });
    if (this.state !== 'open') {
      this.destroy();
      return;
    }
    this.sendNotice('SESSION_EXPIRED', `session ended: ${reason}`);
    this.state = 'closing';
    this.end();
  }

  /** What the session authority sweep checks, while the session is open. */
  get session(): {
    accountId: number;
    passwordHash: string;
    pendingPasswordHash: string | undefined;
    openedAt: number;
    role: 'customer' | 'teller';
  } | null {
    if (this.state !== 'open' || !this.ctx || this.sessionOpenedAt === null) return null;
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
    return this.state === 'open' ? (this.desk?.servedSession ?? null) : null;
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
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.socket.pause();
    this.backlog = [];
    this.audit({ kind: 'session_expired', actor: this.user, detail: { reason } });
    await this.lastCompletion;
    await this.sendChain;
    this.sendNotice('SESSION_EXPIRED', `session ended: ${reason}`);
    this.end();
  }

  /** Resolves once the socket is closed and cleaned up. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  start(): void {
    this.socket.setNoDelay(true);
    const left = this.acceptedAt + this.services.limits.handshakeTimeoutMs - this.services.clock();
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), Math.max(0, left));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.drainBacklog());
    this.socket.on('error', () => {
      // 'close' follows; a reset by the peer is not our fault and not worth a log line.
    });
    this.socket.on('close', () => this.onSocketClose());
    this.socket.on('end', () => this.onPeerEnd());
  }

  /** Server shutdown: stop reading, answer what was already dispatched, send the notice, close. */
  async shutdown(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'open') {
      this.destroy();
      return this.closed;
    }
    this.state = 'closing';
    this.socket.pause();
    this.backlog = [];
    await this.lastCompletion;
    await this.sendChain;
    this.sendNotice('SERVER_SHUTDOWN', 'the bank server is shutting down');
    this.end();
    return this.closed;
  }

  // -------------------------------------------------------------------------------------
  // Incoming bytes
  // -------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const { frames, error } = this.decoder.push(chunk);
    if (this.state === 'awaiting_hello' && this.verdict.kind === 'refused' && (error || frames.length > 0)) {
      // The certificate decides before anything the client says (protocol/README.md §2.1).
      this.refuseTerminal(this.verdict.reason, this.verdict.id);
      return;
    }
    if (this.state === 'awaiting_hello') {
      if (error || frames.length > 1) {
        this.refuseHandshake('PROTOCOL_ERROR', error?.message);
        return;
      }
      const hello = frames[0];
      if (hello) this.onHello(hello);
      return;
    }
    for (const frame of frames) this.backlog.push(frame);
    if (this.state === 'authenticating') {
      if (error || this.backlog.length > MAX_EARLY_FRAMES)
        this.brokenChannel(error ?? new ProtocolError('BAD_ENVELOPE'));
      return;
    }
    this.drainBacklog();
    if (error) this.brokenChannel(error);
  }

  private onHello(payload: Buffer): void {
    const parsed = parseHello(payload);
    if (!parsed.ok) {
      this.audit({
        kind: 'protocol_error',
        code: parsed.error.code,
        detail: { stage: 'hello', reason: parsed.error.message },
      });
      this.refuseHandshake(parsed.error.code as WireErrorCode, parsed.error.message);
      return;
    }
    const terminalProblem = helloTerminalProblem(this.verdict, parsed.value.message.terminal);
    if (terminalProblem) {
      this.refuseTerminal(terminalProblem, parsed.value.message.terminal ?? null);
      return;
    }
    // Everything in hello is checked before the password (§2.1): a key that yields no shared
    // secret is refused here, audited, and costs no bcrypt work and no lockout count.
    const ephemeral = generateX25519KeyPair();
    const shared = x25519(ephemeral.secretKey, parsed.value.clientKey);
    ephemeral.secretKey.fill(0);
    if (!shared.ok) {
      const { auth } = parsed.value.message;
      this.audit({
        kind: 'protocol_error',
        actor: auth.user,
        code: 'PROTOCOL_ERROR',
        detail: { stage: 'hello', reason: 'key exchange failed', method: auth.method },
      });
      this.refuseHandshake('PROTOCOL_ERROR', 'key exchange failed');
      return;
    }
    this.state = 'authenticating';
    // Reading goes on while bcrypt runs (early frames are held, at most 32): a client that hangs
    // up is seen at once, so its check is dropped unstarted instead of holding a place in the queue.
    this.authenticate(parsed.value, Buffer.from(payload), ephemeral.publicKey, shared.value).catch((err: unknown) => {
      this.services.logger.error({ err }, 'login failed unexpectedly');
      this.refuseHandshake('INTERNAL');
    });
  }

  private async authenticate(
    hello: ParsedHello,
    helloBytes: Buffer,
    serverKey: Uint8Array,
    shared: Uint8Array,
  ): Promise<void> {
    const { auth } = hello.message;
    const { authenticator, metrics } = this.services;
    const attempt = {
      user: auth.user,
      password: auth.password,
      address: this.address,
      deadlineMs: this.acceptedAt + this.services.limits.handshakeTimeoutMs,
      signal: this.gone.signal,
    };
    let outcome: Awaited<ReturnType<typeof authenticator.login>>;
    try {
      outcome =
        auth.method === 'register'
          ? await authenticator.register(attempt)
          : await authenticator.login({ ...attempt, ...(auth.totp === undefined ? {} : { totp: auth.totp }) });
    } catch (err) {
      shared.fill(0);
      throw err;
    }
    metrics.logins.inc({ method: auth.method, outcome: outcome.ok ? 'ok' : outcome.code });
    // Every attempt leaves an audit event, whether or not its connection is still open (§2.1).
    const connectionOpen = this.state === 'authenticating';
    if (!outcome.ok) {
      shared.fill(0);
      const abandoned = outcome.code === 'ABANDONED';
      this.audit({
        kind: abandoned ? 'login_abandoned' : 'login_failed',
        actor: auth.user,
        outcome: 'error',
        code: abandoned ? null : outcome.code,
        detail: {
          method: auth.method,
          ...(connectionOpen ? {} : { connection: 'closed' }),
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        },
      });
      if (outcome.lockedNow) {
        metrics.lockouts.inc();
        this.audit({ kind: 'lockout', actor: auth.user, code: 'ACCOUNT_LOCKED' });
      }
      if (abandoned || !connectionOpen) return;
      return this.refuseHandshake(outcome.code as WireErrorCode, undefined, {
        ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      });
    }
    const role = outcome.account.role ?? 'customer';
    if (role === 'teller' && this.terminal === null) {
      // After the password check (§5.2): the role is told only to someone who knows the password.
      shared.fill(0);
      this.audit({
        kind: 'login_failed',
        actor: auth.user,
        outcome: 'error',
        code: 'TERMINAL_REQUIRED',
        detail: { method: auth.method, role, ...(connectionOpen ? {} : { connection: 'closed' }) },
      });
      if (connectionOpen) this.refuseHandshake('TERMINAL_REQUIRED');
      return;
    }
    if (!connectionOpen) {
      shared.fill(0);
      this.audit({
        kind: outcome.registered ? 'register' : 'login',
        actor: outcome.account.user,
        outcome: 'ok',
        detail: { connection: 'closed' },
      });
      return;
    }

    const serverNonce = randomBytes(NONCE_BYTES);
    const sessionId = randomBytes(SESSION_ID_BYTES);
    const welcomeBytes = encodeWelcome({
      serverNonce,
      serverKey,
      sessionId,
      user: outcome.account.user,
      role,
      idleTimeoutSec: this.services.limits.idleTimeoutSec,
    });
    const keys = deriveSessionKeys({
      shared,
      clientNonce: hello.clientNonce,
      serverNonce,
      helloBytes,
      welcomeBytes,
    });
    shared.fill(0);
    this.channel = new SealedChannel('server', keys, sessionId);
    wipeSessionKeys(keys);
    this.ctx = {
      account: outcome.account,
      sessionId: toB64(sessionId),
      address: this.address,
      terminal: this.terminal,
      terminalFingerprint: this.verdict.kind === 'terminal' ? this.verdict.fingerprint : null,
    };
    if (role === 'teller') {
      this.desk = new TellerDesk({
        services: this.services,
        ctx: this.ctx,
        signal: this.gone.signal,
        audit: (event) => this.audit(event),
      });
    }

    this.socket.write(encodeFrame(welcomeBytes));
    this.clearHandshakeTimer();
    this.state = 'open';
    this.sessionOpenedAt = this.services.clock();
    metrics.activeSessions.inc();
    this.audit({
      kind: outcome.registered ? 'register' : 'login',
      actor: outcome.account.user,
      outcome: 'ok',
    });
    this.audit({ kind: 'session_open', actor: outcome.account.user });
    this.armIdleTimer();
    this.socket.resume();
    this.drainBacklog();
  }

  /** Open and dispatch queued frames while fewer than 32 requests are in flight and the answers are not backed up. */
  /** A client that pipelines, then half-closes, still gets every answer (protocol/README.md §5 pipelining). */
  private onPeerEnd(): void {
    this.peerEnded = true;
    // Before welcome a half-close is a hang-up: nothing more can come, so a queued check is dropped.
    if (this.state === 'awaiting_hello' || this.state === 'authenticating') this.destroy();
    else this.endIfPeerDone();
  }

  private endIfPeerDone(): void {
    if (this.peerEnded && this.state === 'open' && this.backlog.length === 0 && this.inFlight === 0) this.end();
  }

  private drainBacklog(): void {
    const answersBackedUp = () => this.socket.writableLength > MAX_QUEUED_ANSWER_BYTES;
    while (
      this.state === 'open' &&
      this.backlog.length > 0 &&
      this.inFlight < MAX_PIPELINED_REQUESTS &&
      !answersBackedUp()
    ) {
      const frame = this.backlog.shift() as Buffer;
      this.onSealedFrame(frame);
    }
    this.endIfPeerDone();
    const mustPause = this.backlog.length > 0 || this.inFlight >= MAX_PIPELINED_REQUESTS || answersBackedUp();
    if (mustPause && !this.pausedForBackpressure && this.state === 'open') {
      this.pausedForBackpressure = true;
      this.socket.pause();
    } else if (!mustPause && this.pausedForBackpressure) {
      this.pausedForBackpressure = false;
      this.socket.resume();
    }
  }

  private onSealedFrame(frame: Buffer): void {
    const channel = this.channel;
    if (!channel) return;
    const opened = channel.open(frame);
    if (!opened.ok) {
      this.brokenChannel(opened.error);
      return;
    }
    this.armIdleTimer();
    const started = performance.now();
    const parsed = parseRequest(opened.value, { maxAmountCents: this.services.limits.maxAmountCents });
    if (!parsed.ok) {
      const { id, error } = parsed.error;
      const code = error.code as WireErrorCode;
      const amount =
        code === 'INVALID_AMOUNT' ? describeAmountFault(opened.value, this.services.limits.maxAmountCents) : null;
      const message = amount?.message ?? error.message;
      const response = errorResponse(id, code, message);
      if (amount?.maxAmountCents != null)
        (response.error as Record<string, unknown>).maxAmountCents = amount.maxAmountCents;
      this.respond(
        Promise.resolve({
          response,
          outcome: code,
          audit: {
            ...(amount?.amountCents != null ? { amountCents: amount.amountCents } : {}),
            detail: { reason: message },
          },
          alerts: [],
          closeAfter: false,
        }),
        null,
        started,
        amount?.op ?? undefined,
      );
      return;
    }
    this.respond(this.dispatch(parsed.value), parsed.value, started);
  }

  /** Reads wait for earlier requests of this session; mutations are handed to the writer in order. */
  private dispatch(request: Request): Promise<HandledRequest> {
    const ctx = this.ctx as RequestContext;
    const earlier = this.lastCompletion;
    let result: Promise<HandledRequest>;
    const desk = this.desk;
    if (desk) {
      // Who a teller's request is for depends on the serve before it: one request at a time.
      const done = Promise.all([this.dispatchChain, earlier]).then(() => desk.handle(request));
      this.dispatchChain = done.then(
        () => undefined,
        () => undefined,
      );
      result = done;
    } else if (isMutation(request)) {
      // The writer is FIFO: handing mutations over in order keeps them in order, while
      // slow preparation (bcrypt for change_password) holds back the ones behind it.
      const handed = this.dispatchChain.then(async () => {
        const prepared = await prepareMutation(this.services, ctx, request);
        return { outcome: submitMutation(this.services, ctx, request, prepared) };
      });
      this.dispatchChain = handed.then(
        () => undefined,
        () => undefined,
      );
      result = handed.then((h) => h.outcome);
    } else {
      const done = Promise.all([this.dispatchChain, earlier]).then(() => handleRead(this.services, ctx, request));
      this.dispatchChain = done.then(
        () => undefined,
        () => undefined,
      );
      result = done;
    }
    this.lastCompletion = result.catch(() => undefined);
    return result;
  }

  // -------------------------------------------------------------------------------------
  // Outgoing frames
  // -------------------------------------------------------------------------------------

  private respond(result: Promise<HandledRequest>, request: Request | null, started: number, opName?: string): void {
    this.inFlight++;
    const op = request?.op ?? opName ?? 'invalid';
    const safe = result.catch((err: unknown): HandledRequest => {
      const code: WireErrorCode =
        err instanceof ProtocolError && err.code === 'SERVER_BUSY' ? 'SERVER_BUSY' : 'INTERNAL';
      if (code === 'INTERNAL') this.services.logger.error({ err, op }, 'request failed');
      return {
        response: errorResponse(request?.id ?? null, code),
        outcome: code,
        audit: {},
        alerts: [],
        closeAfter: false,
      };
    });
    this.sendChain = this.sendChain.then(async () => {
      const handled = await safe;
      this.inFlight--;
      this.finishRequest(handled, request, op, started);
      if (this.state === 'open' || this.state === 'closing') {
        this.sendSealed(handled.response);
        if (handled.closeAfter) this.closeAfterResponses = true;
        if (handled.expireAfter !== undefined) void this.expire(handled.expireAfter);
      }
      if (this.closeAfterResponses && this.inFlight === 0) this.end();
      else this.drainBacklog();
    });
  }

  private finishRequest(handled: HandledRequest, request: Request | null, op: string, started: number): void {
    const { metrics } = this.services;
    metrics.observeRequest(op, handled.outcome, (performance.now() - started) / 1000);
    for (const alert of handled.alerts) metrics.fraudAlerts.inc({ rule: alert.rule });
    // A mutation's request and fraud-alert events were committed with it (the audit outbox).
    if (handled.audited) return;
    this.audit({
      kind: 'request',
      actor: this.ctx?.account.user ?? null,
      op,
      // A request that failed to parse still names its id when it was readable (the response carries it).
      requestId: request?.id ?? (typeof handled.response.id === 'string' ? handled.response.id : null),
      outcome: handled.outcome === 'ok' ? 'ok' : 'error',
      code: handled.outcome === 'ok' ? null : handled.outcome,
      ...handled.audit,
    });
    for (const alert of handled.alerts) {
      this.audit({
        kind: 'fraud_alert',
        actor: alert.user,
        op: alert.op,
        amountCents: alert.amountCents,
        requestId: request?.id ?? null,
        detail: { rule: alert.rule },
      });
    }
  }

  private sendSealed(message: Record<string, unknown>): void {
    const sealed = this.channel?.sealMessage(message);
    if (!sealed) return;
    if (!sealed.ok) {
      this.brokenChannel(sealed.error);
      return;
    }
    this.socket.write(encodeFrame(sealed.value));
  }

  private sendNotice(notice: 'SESSION_EXPIRED' | 'SERVER_SHUTDOWN', message: string): void {
    this.sendSealed({ notice, message });
    this.audit({ kind: 'session_notice', actor: this.user, code: notice });
  }

  private refuseTerminal(reason: string, claimed: string | null): void {
    this.services.metrics.connections.inc({ outcome: 'terminal_refused' });
    this.audit({ kind: 'terminal_refused', code: 'TERMINAL_REFUSED', detail: { reason, claimed } });
    this.refuseHandshake('TERMINAL_REFUSED');
  }

  private refuseHandshake(
    code: WireErrorCode,
    message?: string,
    extra: { retryAfterMs?: number; reason?: 'USED' } = {},
  ): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const frame = encodeErrorFrame(code, { ...(code === 'PROTOCOL_ERROR' && message ? { message } : {}), ...extra });
    this.state = 'closing';
    this.socket.write(encodeFrame(frame));
    this.end();
  }

  /** After welcome, a bad length, envelope, seq or MAC is never answered: close at once, audit why. */
  private brokenChannel(error: ProtocolError): void {
    if (this.state === 'closed') return;
    this.services.metrics.integrityFailures.inc({ cause: error.code });
    const kind =
      error.code === 'SEQUENCE_ERROR'
        ? 'sequence_error'
        : error.code === 'INTEGRITY_FAILURE'
          ? 'integrity_failure'
          : 'protocol_error';
    this.audit({ kind, actor: this.user, code: error.code, detail: { stage: 'sealed', reason: error.message } });
    this.destroy();
  }

  // -------------------------------------------------------------------------------------
  // Timers and teardown
  // -------------------------------------------------------------------------------------

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this.state !== 'awaiting_hello' && this.state !== 'authenticating') return;
    this.audit({ kind: 'handshake_timeout', detail: { partialFrame: this.decoder.hasPartialFrame } });
    this.destroy();
  }

  private armIdleTimer(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => this.onIdle(), this.services.limits.idleTimeoutSec * 1000);
  }

  private onIdle(): void {
    if (this.state !== 'open') return;
    if (this.inFlight > 0) {
      this.idleTimer?.refresh();
      return;
    }
    this.sendNotice('SESSION_EXPIRED', 'session closed after inactivity');
    this.state = 'closing';
    this.end();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private end(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'closing') this.state = 'closing';
    this.socket.end();
    // A peer that never reads must not hold the socket open forever.
    setTimeout(() => this.destroy(), 2_000).unref();
  }

  private destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.socket.destroy();
  }

  private onSocketClose(): void {
    const wasSession = this.ctx !== null && this.channel !== null;
    this.state = 'closed';
    this.gone.abort();
    this.clearHandshakeTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.backlog = [];
    this.channel?.destroy();
    if (wasSession) {
      this.services.metrics.activeSessions.dec();
      this.audit({ kind: 'session_close', actor: this.user });
    }
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
