/**
 * One server connection of secure-atm/1 as a sans-IO state machine: the handshake
 * (protocol/README.md §1.1–§3), early frames (§2.1), sealed frames in order (§4), requests answered
 * in the order they came (§5), broken channels (§6), both timeouts, the peer's half-close, and the
 * ways the server ends a session. The driver feeds it bytes and events and carries out the
 * actions it returns; sockets, timers, the password check and the business rules stay outside.
 *
 *   awaiting_hello ──hello──▶ authenticating ──credentials ok──▶ open ──▶ closing ──▶ closed
 *         └─────────── bad frame, refusal, timeout: error frame or silence ──▶ closing
 *
 * The hello steps live in server-session-hello.ts, the in-order answers and request reading in
 * server-session-answers.ts, the action buffer in server-session-output.ts, the types in
 * server-session-types.ts. What is left is over the usual file size on purpose: the transition
 * table and every event that moves along it are read together.
 */
import { toB64 } from './base64.js';
import { HANDSHAKE_TIMEOUT_MS, MAX_PIPELINED_REQUESTS, type NOTICE_KINDS } from './constants.js';
import { brokenChannelKind, checkedMove, type EngineAuditKind } from './engine-types.js';
import type { ErrorCode, WireErrorCode } from './errors.js';
import { FrameDecoder } from './frame.js';
import { type ErrorFrameOptions, encodeErrorFrame } from './handshake-messages.js';
import type { SealedChannel } from './sealed-channel.js';
import { encodeNotice } from './server-messages.js';
import { AnswerQueue, readRequest } from './server-session-answers.js';
import {
  type AcceptedHello,
  type HelloRefusal,
  openSession,
  readHello,
  terminalRefusal,
  wipeAcceptedHello,
} from './server-session-hello.js';
import { SessionOutput } from './server-session-output.js';
import type {
  CredentialsOutcome,
  ServerSessionAction,
  ServerSessionOptions,
  SessionAnswer,
} from './server-session-types.js';

export type ServerSessionState = 'awaiting_hello' | 'authenticating' | 'open' | 'closing' | 'closed';

/** Every move the engine may make; anything else is a bug (checked at run time). */
export const SERVER_SESSION_TRANSITIONS: Readonly<Record<ServerSessionState, readonly ServerSessionState[]>> = {
  awaiting_hello: ['authenticating', 'closing', 'closed'],
  authenticating: ['open', 'closing', 'closed'],
  open: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** Frames held between hello and welcome (§2.1); one more breaks the connection. */
export const MAX_EARLY_FRAMES = MAX_PIPELINED_REQUESTS;

/** Answers queued for a peer that does not read, beyond which no further request is opened. */
export const MAX_QUEUED_OUTPUT_BYTES = 256 * 1024;

type Notice = { notice: (typeof NOTICE_KINDS)[number]; message: string };

export class ServerSessionEngine {
  private current: ServerSessionState = 'awaiting_hello';
  private readonly decoder = new FrameDecoder();
  private readonly startedAt: number;
  private lastActivity = 0;
  private accepted: AcceptedHello | null = null;
  private channel: SealedChannel | null = null;
  private wasOpen = false;
  /** Frames not yet opened: early ones before welcome, then any the session cannot take yet. */
  private backlog: Buffer[] = [];
  private readonly answers = new AnswerQueue();
  /** Set once the session is ending: close (after this notice, if any) when every answer is out. */
  private ending: { notice: Notice | null } | null = null;
  /** The close action was given: nothing more is sent. */
  private closeGiven = false;
  /** The peer half-closed: answer what it sent, then close. */
  private peerDone = false;
  private readonly out = new SessionOutput();

  constructor(private readonly options: ServerSessionOptions) {
    this.startedAt = options.startedAt ?? options.clock.now();
  }

  get state(): ServerSessionState {
    return this.current;
  }

  /** Requests dispatched or refused whose answers have not been sent yet. */
  get inFlight(): number {
    return this.answers.pending;
  }

  /**
   * False while the engine takes no frames: a login running (frames are only held), 32 in
   * flight, frames held, or answers backed up. A driver may still read while authenticating, to see
   * a hang-up at once; the engine holds up to 32 frames there and breaks the handshake beyond.
   */
  get wantsInput(): boolean {
    if (this.current === 'awaiting_hello') return true;
    return this.current === 'open' && this.backlog.length === 0 && this.canOpen();
  }

  /** When `timeout()` next has an effect (on the options' clock), or null. */
  get deadline(): number | null {
    if (this.current === 'awaiting_hello' || this.current === 'authenticating') {
      return this.startedAt + (this.options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    }
    return this.current === 'open' ? this.lastActivity + this.options.idleTimeoutSec * 1000 : null;
  }

  receive(bytes: Uint8Array): ServerSessionAction[] {
    if (this.current === 'closing' || this.current === 'closed') return [];
    const { frames, error } = this.decoder.push(bytes);
    for (const frame of frames) {
      if (this.current === 'awaiting_hello') this.onFirstFrame(frame);
      else if (this.current === 'authenticating') this.hold(frame);
      else if (this.current === 'open') this.backlog.push(frame);
      else break;
    }
    if (this.current === 'open') this.pump();
    if (error) this.frameError(error.code, error.message);
    return this.flush();
  }

  credentialsChecked(outcome: CredentialsOutcome): ServerSessionAction[] {
    const accepted = this.accepted;
    if (this.current !== 'authenticating' || !accepted) return [];
    if (!outcome.ok) {
      this.refuse(outcome.code, {
        message: outcome.message,
        retryAfterMs: outcome.retryAfterMs,
        reason: outcome.reason,
      });
      return this.flush();
    }
    const fields = { user: outcome.user, role: outcome.role, idleTimeoutSec: this.options.idleTimeoutSec };
    const session = openSession(accepted, fields, this.options.random);
    this.forgetHello();
    this.channel = session.channel;
    this.send(session.welcome);
    this.move('open');
    this.wasOpen = true;
    this.lastActivity = this.options.clock.now();
    const role = outcome.role ?? 'customer';
    this.out.push({ type: 'opened', sessionId: toB64(session.sessionId), user: outcome.user, role });
    this.pump();
    return this.flush();
  }

  dispatched(ticket: number, answer: SessionAnswer): ServerSessionAction[] {
    if (!this.answers.answer(ticket, answer)) return [];
    this.sendAnswers();
    this.pump();
    return this.flush();
  }

  /** The driver's write queue drained: open what was held back. */
  writable(): ServerSessionAction[] {
    this.pump();
    return this.flush();
  }

  timeout(): ServerSessionAction[] {
    const deadline = this.deadline;
    const now = this.options.clock.now();
    if (deadline === null || now < deadline) return [];
    if (this.current !== 'open') {
      this.audit('handshake_timeout', undefined, { partialFrame: this.decoder.hasPartialFrame });
      this.close('destroy');
    } else if (this.inFlight > 0) {
      // An answer still being worked on is not idleness.
      this.lastActivity = now;
    } else {
      this.endAfterAnswers({ notice: 'SESSION_EXPIRED', message: 'session closed after inactivity' });
    }
    return this.flush();
  }

  /** The peer half-closed: before welcome that is a hang-up; after it, answer what came, then close. */
  peerEnded(): ServerSessionAction[] {
    this.peerDone = true;
    if (this.current === 'awaiting_hello' || this.current === 'authenticating') this.close('destroy');
    else this.pump();
    return this.flush();
  }

  /** End an open session: answer what was dispatched, send the notice, close. Anything else closes at once. */
  end(notice: Notice['notice'], message: string): ServerSessionAction[] {
    if (this.current === 'open') this.endAfterAnswers({ notice, message });
    else if (this.current !== 'closed' && this.current !== 'closing') this.close('destroy');
    return this.flush();
  }

  /** End an open session now: the notice, then close; answers still being worked on are not sent. */
  endNow(notice: Notice['notice'], message: string): ServerSessionAction[] {
    if (this.current === 'open') {
      this.sendNotice({ notice, message });
      this.close('end');
    } else if (this.current !== 'closed' && this.current !== 'closing') this.close('destroy');
    return this.flush();
  }

  /** Server shutdown: an open session ends as `end()` does; any other connection is dropped at once. */
  shutdown(): ServerSessionAction[] {
    if (this.current === 'open')
      this.endAfterAnswers({ notice: 'SERVER_SHUTDOWN', message: 'the bank server is shutting down' });
    else if (this.current !== 'closed') this.close('destroy');
    return this.flush();
  }

  closed(): ServerSessionAction[] {
    if (this.current === 'closed') return [];
    this.move('closed');
    this.backlog = [];
    this.forgetHello();
    this.channel?.destroy();
    if (this.wasOpen) this.audit('session_close');
    return this.flush();
  }

  // -------------------------------------------------------------------------------------

  private onFirstFrame(frame: Buffer): void {
    const read = this.firstFrameRefusal() ?? readHello(frame, this.options.certificate, this.options.keyPair);
    if (!read.ok) {
      this.refuseHello(read);
      return;
    }
    this.accepted = read.accepted;
    this.move('authenticating');
    this.out.push({ type: 'checkCredentials', hello: read.accepted.hello });
  }

  /** The certificate decides before anything the client says (§2.1): any first frame, or a broken one. */
  private firstFrameRefusal(): HelloRefusal | null {
    const { certificate, refuseFirstFrame } = this.options;
    if (certificate?.kind === 'refused') return terminalRefusal(certificate.reason, certificate.id);
    return refuseFirstFrame ? { ok: false, code: refuseFirstFrame } : null;
  }

  private refuseHello(read: HelloRefusal): void {
    if (read.audit) this.out.audit(read.audit.kind, read.audit.code, read.audit.detail, read.audit.actor);
    this.refuse(read.code, { message: read.message });
  }

  private hold(frame: Buffer): void {
    if (this.backlog.length >= MAX_EARLY_FRAMES) {
      this.frameError('PROTOCOL_ERROR', `more than ${MAX_EARLY_FRAMES} frames before welcome`);
      return;
    }
    this.backlog.push(frame);
  }

  /** Before welcome a bad frame is answered PROTOCOL_ERROR (§6); after it, never answered. */
  private frameError(code: ErrorCode, message: string): void {
    if (this.current === 'open') {
      this.brokenChannel(code, message);
      return;
    }
    if (this.current !== 'awaiting_hello' && this.current !== 'authenticating') return;
    const refusal = this.current === 'awaiting_hello' ? this.firstFrameRefusal() : null;
    if (refusal) {
      this.refuseHello(refusal);
      return;
    }
    const stage = this.current === 'awaiting_hello' ? 'hello' : 'early';
    this.audit('protocol_error', code, { stage, reason: message });
    this.refuse('PROTOCOL_ERROR', { message });
  }

  /** Answers are not backed up and fewer than 32 requests are in flight. */
  private canOpen(): boolean {
    if (this.inFlight >= MAX_PIPELINED_REQUESTS) return false;
    const queued = (this.options.queuedOutputBytes?.() ?? 0) + this.out.bytes;
    return queued <= (this.options.maxQueuedOutputBytes ?? MAX_QUEUED_OUTPUT_BYTES);
  }

  /** Open and dispatch held frames while the session can take them; close a half-closed peer once done. */
  private pump(): void {
    while (this.current === 'open' && this.backlog.length > 0 && this.canOpen()) {
      this.openFrame(this.backlog.shift() as Buffer);
    }
    if (this.peerDone && this.current === 'open' && this.backlog.length === 0 && this.inFlight === 0) {
      this.close('end');
    }
  }

  private openFrame(frame: Buffer): void {
    const opened = (this.channel as SealedChannel).open(frame);
    if (!opened.ok) {
      this.brokenChannel(opened.error.code, opened.error.message);
      return;
    }
    this.lastActivity = this.options.clock.now();
    const read = readRequest(opened.value, this.options.maxAmountCents ?? Number.MAX_SAFE_INTEGER);
    if (read.ok) {
      const ticket = this.answers.take(read.request);
      this.out.push({ type: 'dispatch', ticket, request: read.request });
      return;
    }
    const ticket = this.answers.takeAnswered(read.answer);
    this.out.push({ type: 'refused', ticket, fault: read.fault, ...(read.amount ? { amount: read.amount } : {}) });
    this.sendAnswers();
  }

  /** Seal every answer that is next in line; finish an ending session once none is left. */
  private sendAnswers(): void {
    for (let next = this.answers.release(); next; next = this.answers.release()) {
      if (this.current !== 'open' && this.current !== 'closing') continue;
      this.sendSealed(next.answer);
      if (next.closeAfter && this.current === 'open') this.endAfterAnswers(null);
    }
    this.finishIfDone();
  }

  private endAfterAnswers(notice: Notice | null): void {
    this.backlog = [];
    this.ending = { notice };
    this.move('closing');
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.current !== 'closing' || this.inFlight > 0 || !this.ending) return;
    const { notice } = this.ending;
    this.ending = null;
    if (notice) this.sendNotice(notice);
    this.close('end');
  }

  private sendNotice(notice: Notice): void {
    this.sendSealed(encodeNotice(notice.notice, notice.message));
    this.audit('session_notice', notice.notice);
  }

  private sendSealed(text: string): void {
    if (this.closeGiven) return;
    const sealed = this.channel?.sealer.sealFrame(text);
    if (!sealed) return;
    if (!sealed.ok) {
      this.brokenChannel(sealed.error.code, sealed.error.message);
      return;
    }
    this.out.sendFrame(sealed.value);
  }

  /** After welcome a bad length, envelope, seq or MAC is never answered: close at once, audit why. */
  private brokenChannel(code: ErrorCode, message: string): void {
    this.audit(brokenChannelKind(code), code, { stage: 'sealed', reason: message });
    this.close('destroy');
  }

  private refuse(code: WireErrorCode, options: ErrorFrameOptions = {}): void {
    this.send(encodeErrorFrame(code, options));
    this.forgetHello();
    this.close('end');
  }

  private close(mode: 'end' | 'destroy'): void {
    this.backlog = [];
    this.ending = null;
    this.closeGiven = true;
    if (this.current !== 'closing') this.move('closing');
    this.out.push({ type: 'close', mode });
  }

  private send(payload: Buffer): void {
    if (!this.closeGiven) this.out.send(payload);
  }

  private audit(kind: EngineAuditKind, code?: string, detail?: Record<string, unknown>): void {
    this.out.audit(kind, code, detail);
  }

  private forgetHello(): void {
    if (this.accepted) wipeAcceptedHello(this.accepted);
    this.accepted = null;
  }

  private move(to: ServerSessionState): void {
    this.current = checkedMove(SERVER_SESSION_TRANSITIONS, this.current, to);
  }

  private flush(): ServerSessionAction[] {
    return this.out.flush();
  }
}
