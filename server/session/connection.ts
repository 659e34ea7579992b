import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AuditEventInput } from '../../audit/index.js';
import {
  deriveSessionKeys,
  encodeFrame,
  FrameDecoder,
  generateX25519KeyPair,
  MAX_PIPELINED_REQUESTS,
  NONCE_BYTES,
  type ParsedHello,
  PROTOCOL_ID,
  ProtocolError,
  parseHello,
  parseRequest,
  type Request,
  SESSION_ID_BYTES,
  SealedChannel,
  toB64,
  WIRE_ERRORS,
  type WireErrorCode,
  wipeSessionKeys,
  x25519,
} from '../../protocol/index.js';
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
  private closed: Promise<void>;
  private resolveClosed!: () => void;
  readonly openedAt: number;

  constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly services: SessionServices,
  ) {
    this.openedAt = services.clock();
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

  /** Resolves once the socket is closed and cleaned up. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), this.services.limits.handshakeTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.drainBacklog());
    this.socket.on('error', () => {
      // 'close' follows; a reset by the peer is not our fault and not worth a log line.
    });
    this.socket.on('close', () => this.onSocketClose());
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
    this.state = 'authenticating';
    this.terminal = parsed.value.message.terminal ?? null;
    // Nothing legitimate arrives before welcome; stop reading while bcrypt runs.
    this.socket.pause();
    this.authenticate(parsed.value, Buffer.from(payload)).catch((err: unknown) => {
      this.services.logger.error({ err }, 'login failed unexpectedly');
      this.refuseHandshake('INTERNAL');
    });
  }

  private async authenticate(hello: ParsedHello, helloBytes: Buffer): Promise<void> {
    const { auth } = hello.message;
    const { authenticator, metrics } = this.services;
    const outcome =
      auth.method === 'register'
        ? await authenticator.register({ user: auth.user, password: auth.password, address: this.address })
        : await authenticator.login({
            user: auth.user,
            password: auth.password,
            address: this.address,
            ...(auth.totp === undefined ? {} : { totp: auth.totp }),
          });
    metrics.logins.inc({ method: auth.method, outcome: outcome.ok ? 'ok' : outcome.code });
    if (this.state !== 'authenticating') return;
    if (!outcome.ok) {
      this.audit({
        kind: 'login_failed',
        actor: auth.user,
        outcome: 'error',
        code: outcome.code,
        detail: { method: auth.method },
      });
      if (outcome.lockedNow) {
        metrics.lockouts.inc();
        this.audit({ kind: 'lockout', actor: auth.user, code: 'ACCOUNT_LOCKED' });
      }
      return this.refuseHandshake(outcome.code);
    }

    const ephemeral = generateX25519KeyPair();
    const shared = x25519(ephemeral.secretKey, hello.clientKey);
    ephemeral.secretKey.fill(0);
    if (!shared.ok) return this.refuseHandshake('PROTOCOL_ERROR', 'key exchange failed');
    const serverNonce = randomBytes(NONCE_BYTES);
    const sessionId = randomBytes(SESSION_ID_BYTES);
    const welcomeBytes = Buffer.from(
      JSON.stringify({
        type: 'welcome',
        protocol: PROTOCOL_ID,
        serverNonce: toB64(serverNonce),
        serverKey: toB64(ephemeral.publicKey),
        sessionId: toB64(sessionId),
        user: outcome.account.user,
        idleTimeoutSec: this.services.limits.idleTimeoutSec,
      }),
      'utf8',
    );
    const keys = deriveSessionKeys({
      shared: shared.value,
      clientNonce: hello.clientNonce,
      serverNonce,
      helloBytes,
      welcomeBytes,
    });
    shared.value.fill(0);
    this.channel = new SealedChannel('server', keys, sessionId);
    wipeSessionKeys(keys);
    this.ctx = {
      account: outcome.account,
      sessionId: toB64(sessionId),
      address: this.address,
      terminal: this.terminal,
    };

    this.socket.write(encodeFrame(welcomeBytes));
    this.clearHandshakeTimer();
    this.state = 'open';
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
      this.respond(
        Promise.resolve({
          response: errorResponse(id, code, error.message),
          outcome: code,
          audit: { detail: { reason: error.message } },
          alerts: [],
          closeAfter: false,
        }),
        null,
        started,
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
    if (isMutation(request)) {
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

  private respond(result: Promise<HandledRequest>, request: Request | null, started: number): void {
    this.inFlight++;
    const op = request?.op ?? 'invalid';
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
      }
      if (this.closeAfterResponses && this.inFlight === 0) this.end();
      else this.drainBacklog();
    });
  }

  private finishRequest(handled: HandledRequest, request: Request | null, op: string, started: number): void {
    const { metrics } = this.services;
    metrics.requests.inc({ op, outcome: handled.outcome });
    metrics.requestSeconds.observe({ op }, (performance.now() - started) / 1000);
    for (const alert of handled.alerts) metrics.fraudAlerts.inc({ rule: alert.rule });
    // A mutation's request and fraud-alert events were committed with it (the audit outbox).
    if (handled.audited) return;
    this.audit({
      kind: 'request',
      actor: this.ctx?.account.user ?? null,
      op,
      requestId: request?.id ?? null,
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

  private refuseHandshake(code: WireErrorCode, message?: string): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const frame = { type: 'error', code, message: code === 'PROTOCOL_ERROR' && message ? message : WIRE_ERRORS[code] };
    this.state = 'closing';
    this.socket.write(encodeFrame(JSON.stringify(frame)));
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
    this.services.audit.record({
      address: this.address,
      terminal: this.terminal,
      sessionId: this.ctx?.sessionId ?? null,
      ...event,
    });
  }
}
