/**
 * One server connection of secure-atm/1 as a sans-IO state machine: the handshake
 * (protocol/README.md §2–§3), early frames (§2.1), sealed frames in order (§4), requests answered
 * in the order they came (§5), broken channels (§6) and both timeouts. The driver feeds it
 * bytes and events and carries out the actions it returns; sockets, timers, the password
 * check and the business rules stay outside.
 *
 *   awaiting_hello ──hello──▶ authenticating ──credentials ok──▶ open ──▶ closing ──▶ closed
 *         └─────────── bad frame, refusal, timeout: error frame or silence ──▶ closing
 *
 * Slightly over the usual file size on purpose: the transition table and every event that
 * moves along it are read together (its types live in server-session-types.ts).
 */
import { randomBytes } from 'node:crypto';
import { toB64 } from './base64.js';
import {
  HANDSHAKE_TIMEOUT_MS,
  MAX_PIPELINED_REQUESTS,
  NONCE_BYTES,
  type NOTICE_KINDS,
  SESSION_ID_BYTES,
} from './constants.js';
import type { EngineAuditKind } from './engine-types.js';
import { checkedMove } from './engine-types.js';
import type { ErrorCode, WireErrorCode } from './errors.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import { encodeErrorFrame, encodeWelcome, parseHello } from './handshake-messages.js';
import { deriveSessionKeys, generateX25519KeyPair, wipeSessionKeys, x25519 } from './key-schedule.js';
import type { ParsedHello, Request } from './message-types.js';
import { parseRequest } from './request-messages.js';
import { SealedChannel } from './sealed-channel.js';
import { encodeErrorResponse, encodeNotice } from './server-messages.js';
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

type Notice = { notice: (typeof NOTICE_KINDS)[number]; message: string };

interface Slot {
  request: Request | null;
  answer: string | null;
  /** logout answered ok: the server closes once it is sent (§5). */
  closeAfter: boolean;
}

export class ServerSessionEngine {
  private current: ServerSessionState = 'awaiting_hello';
  private readonly decoder = new FrameDecoder();
  private readonly startedAt: number;
  private lastActivity = 0;
  private helloBytes: Buffer | null = null;
  private hello: ParsedHello | null = null;
  private channel: SealedChannel | null = null;
  private wasOpen = false;
  /** Frames not yet opened: early ones before welcome, then any beyond 32 requests in flight. */
  private backlog: Buffer[] = [];
  private readonly slots = new Map<number, Slot>();
  private nextTicket = 0;
  private nextToSend = 0;
  /** Set once the session is ending: close (after this notice, if any) when every answer is out. */
  private ending: { notice: Notice | null } | null = null;
  private out: ServerSessionAction[] = [];

  constructor(private readonly options: ServerSessionOptions) {
    this.startedAt = options.clock.now();
  }

  get state(): ServerSessionState {
    return this.current;
  }

  /** Requests dispatched or refused whose answers have not been sent yet. */
  get inFlight(): number {
    return this.nextTicket - this.nextToSend;
  }

  /** False while the driver should stop reading (login running, 32 in flight, or frames held). */
  get wantsInput(): boolean {
    if (this.current === 'awaiting_hello') return true;
    return this.current === 'open' && this.backlog.length === 0 && this.inFlight < MAX_PIPELINED_REQUESTS;
  }

  /** When `timeout()` next has an effect (ms since the epoch), or null. */
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
    if (this.current !== 'authenticating' || !this.hello || !this.helloBytes) return [];
    if (!outcome.ok) {
      this.refuse(outcome.code, { message: outcome.message, retryAfterMs: outcome.retryAfterMs });
      return this.flush();
    }
    const random = this.options.random ?? randomBytes;
    const ephemeral = (this.options.keyPair ?? generateX25519KeyPair)();
    const shared = x25519(ephemeral.secretKey, this.hello.clientKey);
    ephemeral.secretKey.fill(0);
    if (!shared.ok) {
      this.refuse('PROTOCOL_ERROR', { message: 'key exchange failed' });
      return this.flush();
    }
    const serverNonce = Buffer.from(random(NONCE_BYTES));
    const sessionId = Buffer.from(random(SESSION_ID_BYTES));
    const role = outcome.role ?? 'customer';
    const welcome = encodeWelcome({
      serverNonce,
      serverKey: ephemeral.publicKey,
      sessionId,
      user: outcome.user,
      role: outcome.role,
      idleTimeoutSec: this.options.idleTimeoutSec,
    });
    const keys = deriveSessionKeys({
      shared: shared.value,
      clientNonce: this.hello.clientNonce,
      serverNonce,
      helloBytes: this.helloBytes,
      welcomeBytes: welcome,
    });
    shared.value.fill(0);
    this.channel = new SealedChannel('server', keys, sessionId);
    wipeSessionKeys(keys);
    this.forgetHello();
    this.send(welcome);
    this.move('open');
    this.wasOpen = true;
    this.lastActivity = this.options.clock.now();
    this.out.push({ type: 'opened', sessionId: toB64(sessionId), user: outcome.user, role });
    this.pump();
    return this.flush();
  }

  dispatched(ticket: number, answer: SessionAnswer): ServerSessionAction[] {
    const slot = this.slots.get(ticket);
    if (!slot || slot.answer !== null || slot.request === null) return [];
    const id = slot.request.id;
    slot.answer = answer.ok
      ? JSON.stringify({ id, ok: true, result: answer.result })
      : encodeErrorResponse(id, answer.code, answer);
    slot.closeAfter = slot.request.op === 'logout' && answer.ok;
    this.sendAnswers();
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

  /** End an open session: answer what was dispatched, send the notice, close. Anything else closes at once. */
  end(notice: Notice['notice'], message: string): ServerSessionAction[] {
    if (this.current === 'open') this.endAfterAnswers({ notice, message });
    else if (this.current !== 'closed' && this.current !== 'closing') this.close('destroy');
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
    if (this.options.refuseFirstFrame) {
      this.refuse(this.options.refuseFirstFrame);
      return;
    }
    const parsed = parseHello(frame);
    if (!parsed.ok) {
      this.audit('protocol_error', parsed.error.code, { stage: 'hello', reason: parsed.error.message });
      const code = parsed.error.code as WireErrorCode;
      this.refuse(code, code === 'PROTOCOL_ERROR' ? { message: parsed.error.message } : {});
      return;
    }
    this.hello = parsed.value;
    this.helloBytes = Buffer.from(frame);
    this.move('authenticating');
    this.out.push({ type: 'checkCredentials', hello: parsed.value });
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
    const stage = this.current === 'awaiting_hello' ? 'hello' : 'early';
    this.audit('protocol_error', code, { stage, reason: message });
    this.refuse('PROTOCOL_ERROR', { message });
  }

  /** Open and dispatch held frames while fewer than 32 requests are in flight. */
  private pump(): void {
    while (this.current === 'open' && this.backlog.length > 0 && this.inFlight < MAX_PIPELINED_REQUESTS) {
      this.openFrame(this.backlog.shift() as Buffer);
    }
  }

  private openFrame(frame: Buffer): void {
    const opened = (this.channel as SealedChannel).open(frame);
    if (!opened.ok) {
      this.brokenChannel(opened.error.code, opened.error.message);
      return;
    }
    this.lastActivity = this.options.clock.now();
    const ticket = this.nextTicket++;
    const limits = this.options.maxAmountCents === undefined ? {} : { maxAmountCents: this.options.maxAmountCents };
    const parsed = parseRequest(opened.value, limits);
    if (parsed.ok) {
      this.slots.set(ticket, { request: parsed.value, answer: null, closeAfter: false });
      this.out.push({ type: 'dispatch', ticket, request: parsed.value });
      return;
    }
    const { id, error } = parsed.error;
    const answer = encodeErrorResponse(id, error.code, { message: error.message });
    this.slots.set(ticket, { request: null, answer, closeAfter: false });
    this.out.push({ type: 'refused', ticket, fault: parsed.error });
    this.sendAnswers();
  }

  /** Seal every answer that is next in line; finish an ending session once none is left. */
  private sendAnswers(): void {
    for (let slot = this.slots.get(this.nextToSend); slot?.answer; slot = this.slots.get(this.nextToSend)) {
      this.slots.delete(this.nextToSend);
      this.nextToSend += 1;
      if (this.current !== 'open' && this.current !== 'closing') continue;
      this.sendSealed(slot.answer);
      if (slot.closeAfter && this.current === 'open') this.endAfterAnswers(null);
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
    if (notice) {
      this.sendSealed(encodeNotice(notice.notice, notice.message));
      this.audit('session_notice', notice.notice);
    }
    this.out.push({ type: 'close', mode: 'end' });
  }

  private sendSealed(text: string): void {
    const sealed = this.channel?.sealer.seal(text);
    if (!sealed) return;
    if (!sealed.ok) {
      this.brokenChannel(sealed.error.code, sealed.error.message);
      return;
    }
    this.send(sealed.value);
  }

  /** After welcome a bad length, envelope, seq or MAC is never answered: close at once, audit why. */
  private brokenChannel(code: ErrorCode, message: string): void {
    const kind: EngineAuditKind =
      code === 'SEQUENCE_ERROR'
        ? 'sequence_error'
        : code === 'INTEGRITY_FAILURE'
          ? 'integrity_failure'
          : 'protocol_error';
    this.audit(kind, code, { stage: 'sealed', reason: message });
    this.close('destroy');
  }

  private refuse(
    code: WireErrorCode,
    options: { message?: string | undefined; retryAfterMs?: number | undefined } = {},
  ): void {
    this.send(encodeErrorFrame(code, options));
    this.forgetHello();
    this.close('end');
  }

  private close(mode: 'end' | 'destroy'): void {
    this.backlog = [];
    this.ending = null;
    if (this.current !== 'closing') this.move('closing');
    this.out.push({ type: 'close', mode });
  }

  private send(payload: Buffer): void {
    this.out.push({ type: 'send', bytes: encodeFrame(payload), payload });
  }

  private audit(kind: EngineAuditKind, code?: string, detail?: Record<string, unknown>): void {
    this.out.push({
      type: 'audit',
      event: { kind, ...(code === undefined ? {} : { code }), ...(detail === undefined ? {} : { detail }) },
    });
  }

  private forgetHello(): void {
    // The hello holds the password.
    this.helloBytes?.fill(0);
    this.helloBytes = null;
    this.hello = null;
  }

  private move(to: ServerSessionState): void {
    this.current = checkedMove(SERVER_SESSION_TRANSITIONS, this.current, to);
  }

  private flush(): ServerSessionAction[] {
    const actions = this.out;
    this.out = [];
    return actions;
  }
}
