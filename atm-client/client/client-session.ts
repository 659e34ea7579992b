/**
 * A logged-in session: pipelining, in-order answers, and recovery on a fresh login with the same
 * request ids. Over the house's ~350 lines on purpose: it is one state machine whose queues, timers
 * and recovery share every field, and splitting it would pass that state between files; the typed
 * ops (session-ops.ts), a call's record and errors (session-call.ts), listeners (session-events.ts)
 * and who is served (served-customer.ts) are already their own modules.
 */
import {
  encodeRequest,
  isValidResult,
  isWireErrorCode,
  MAX_PIPELINED_REQUESTS,
  type Op,
  type OpResult,
  parseRequest,
  type Request,
  type RequestBody,
  type Role,
  type ServerMessage,
  type WelcomeMessage,
} from '../../protocol/index.js';
import { doublingBackoff, jittered } from './backoff.js';
import { clientError, failure, fromWireError } from './client-errors.js';
import type { Clock } from './clock.js';
import type { SealedConnection } from './sealed-connection.js';
import { ServedCustomer } from './served-customer.js';
import {
  type Call,
  endedOutcome,
  newCall,
  type Obj,
  PERMANENT_LOGIN_CODES,
  passwordCandidates,
  refusedAfterClose,
  reserveCall,
  retryReportOf,
  unconfirmed,
} from './session-call.js';
import { SessionOps } from './session-ops.js';
import type { BankSession, ClientError, Credentials, MutationOptions, Outcome } from './types.js';

/** A logged-in connection as the connector hands it over. */
export interface OpenedConnection {
  connection: SealedConnection;
  welcome: WelcomeMessage;
}

export interface SessionDeps {
  /** Logs in again on a fresh connection (always `method: password`). */
  reopen(credentials: Credentials): Promise<Outcome<OpenedConnection>>;
  /** The terminal id of the ATM's certificate; null for a remote session. */
  terminal?: string | null;
  clock: Clock;
  newId(): string;
  timeoutMs: number;
  maxRetries: number;
  retryBackoffMs: number;
  /** For the jitter on reconnect and SERVER_BUSY waits (default Math.random). */
  random?: () => number;
}

type Phase = 'open' | 'recovering' | 'closed';

/**
 * A logged-in session. Requests are pipelined (up to 32 in flight, the rest queued) and
 * answered strictly in order. When the connection drops, or an answer does not come in time,
 * every unanswered request is re-sent on a fresh login with the SAME id and the same bytes
 * (the server applies an id at most once and replays its answer), within `maxRetries`
 * reconnects; what could not be confirmed fails with CONNECTION_LOST or TIMEOUT and, for a
 * state-changing request, its `requestId`. In a teller session the customer served is served
 * again on the fresh connection before any of their requests is re-sent.
 */
export class ClientSession extends SessionOps implements BankSession {
  private phase: Phase = 'open';
  private connection: SealedConnection | null = null;
  private welcome: WelcomeMessage;
  private credentials: Credentials;
  private inFlight: Call[] = [];
  private waiting: Call[] = [];
  /** Calls answered SERVER_BUSY, waiting out their backoff before they are queued again. */
  private readonly parked = new Set<Call>();
  private closeReason: ClientError | null = null;
  private lossCause: ClientError = clientError('CONNECTION_LOST');
  private recoveries = 0;
  private reconnectTimer: unknown = null;
  private readonly served = new ServedCustomer();

  constructor(
    opened: OpenedConnection,
    credentials: Credentials,
    private readonly deps: SessionDeps,
  ) {
    super();
    this.welcome = opened.welcome;
    // A private copy: the caller's object may change, and close() must be able to drop it.
    this.credentials = { ...credentials };
    this.attach(opened.connection);
  }

  get user(): string {
    return this.welcome.user;
  }

  /** The current connection's session id (it changes when the library reconnects). */
  get sessionId(): string {
    return this.welcome.sessionId;
  }

  get idleTimeoutSec(): number {
    return this.welcome.idleTimeoutSec;
  }

  get terminal(): string | null {
    return this.deps.terminal ?? null;
  }

  get role(): Role {
    return this.welcome.role ?? 'customer';
  }

  get servedCustomer(): string | null {
    return this.served.user;
  }

  close(): void {
    this.end(null);
  }

  // -------------------------------------------------------------------------------------
  // Sending
  // -------------------------------------------------------------------------------------

  protected request<O extends Op>(
    body: Extract<RequestBody, { op: O }>,
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<O>>> {
    if (this.phase === 'closed') return Promise.resolve({ ok: false, error: refusedAfterClose(this.closeReason) });
    const id = options?.id ?? this.deps.newId();
    const json = encodeRequest({ id, ...body } as Request);
    // The protocol's own validator: a request the server would refuse is refused here, unsent.
    const checked = parseRequest(json);
    if (!checked.ok) {
      const { code, message } = checked.error.error;
      return Promise.resolve(failure(isWireErrorCode(code) ? code : 'INVALID_REQUEST', message));
    }
    return new Promise((resolve) => {
      const call = newCall(id, body, json, resolve as (outcome: Outcome<Obj>) => void);
      this.waiting.push(call);
      this.pump();
    });
  }

  /** Moves queued calls onto the wire while fewer than 32 are in flight. */
  private pump(): void {
    const connection = this.connection;
    if (this.phase !== 'open' || !connection) return;
    // While the library serves the customer again, the customer's requests wait for the answer.
    if (this.inFlight.some((call) => call.reserve) || [...this.parked].some((call) => call.reserve)) return;
    const batch: Call[] = [];
    while (this.inFlight.length + batch.length < MAX_PIPELINED_REQUESTS) {
      const call = this.waiting.shift();
      if (!call) break;
      batch.push(call);
      if (call.reserve) break;
    }
    if (batch.length === 0) return;
    for (const call of batch) {
      call.sends += 1;
      this.inFlight.push(call);
      call.timer = this.deps.clock.setTimeout(() => this.onTimeout(call), this.deps.timeoutMs);
    }
    if (!connection.send(batch.map((call) => call.json))) {
      this.connectionLost(clientError('CONNECTION_LOST', 'the channel cannot seal more frames'));
    }
  }

  // -------------------------------------------------------------------------------------
  // Receiving
  // -------------------------------------------------------------------------------------

  private attach(connection: SealedConnection): void {
    this.connection = connection;
    connection.start({
      message: (message) => {
        if (this.connection === connection) this.onMessage(message);
      },
      closed: (error) => {
        if (this.connection === connection) this.onConnectionClosed(error);
      },
    });
  }

  private onMessage(message: ServerMessage): void {
    if (message.kind === 'notice') {
      this.events.notice(message.notice);
      this.end(clientError(message.notice.notice, message.notice.message));
      return;
    }
    const response = message.response;
    const call = this.inFlight[0];
    if (!call || (response.id !== null && response.id !== call.id)) {
      this.end(clientError('BAD_SERVER_MESSAGE', 'a response did not match the oldest request in flight'));
      return;
    }
    if (response.ok && !isValidResult(call.op, response.result)) {
      this.end(clientError('BAD_SERVER_MESSAGE', `the ${call.op} result is malformed`));
      return;
    }
    this.inFlight.shift();
    this.deps.clock.clearTimeout(call.timer);
    const busy = !response.ok && response.error.code === 'SERVER_BUSY' && call.busyRetries < this.deps.maxRetries;
    if (!busy) {
      const code = response.ok ? undefined : response.error.code;
      const result = response.ok ? (response.result as { user?: unknown }) : null;
      const user = typeof result?.user === 'string' ? { user: result.user } : null;
      this.served.answered(call.op, response.ok, user, call.serveCredentials, code);
    }
    if (call.reserve && !response.ok && !busy) {
      this.reserveRefused(response.error.code);
    } else if (response.ok) {
      if (call.newPassword !== undefined) this.credentials.password = call.newPassword;
      this.complete(call, { ok: true, value: response.result });
      if (call.op === 'logout') {
        this.end(null);
        return;
      }
    } else if (busy) {
      this.park(call, response.error.retryAfterMs);
    } else {
      this.complete(call, { ok: false, error: fromWireError(response.error) });
    }
    this.pump();
  }

  private onTimeout(call: Call): void {
    if (!this.inFlight.includes(call)) return;
    // Answers come in order, so one missing answer stalls everything behind it: start over.
    this.connectionLost(clientError('TIMEOUT', `no answer to ${call.op} within ${this.deps.timeoutMs} ms`));
  }

  private onConnectionClosed(error: ClientError | null): void {
    if (error?.code === 'BAD_SERVER_MESSAGE') {
      this.end(error);
      return;
    }
    this.connectionLost(
      error?.code === 'CONNECTION_LOST' ? error : clientError('CONNECTION_LOST', 'the bank closed the connection'),
    );
  }

  /** SERVER_BUSY means "retry later with the same id": wait, then queue the call again. */
  private park(call: Call, retryAfterMs?: number): void {
    call.busyRetries += 1;
    const wait = retryAfterMs === undefined ? this.backoff(call.busyRetries) : jittered(retryAfterMs, this.deps.random);
    this.parked.add(call);
    call.timer = this.deps.clock.setTimeout(() => {
      this.parked.delete(call);
      call.timer = null;
      if (call.reserve) this.waiting.unshift(call);
      else this.waiting.push(call);
      this.pump();
    }, wait);
  }

  // -------------------------------------------------------------------------------------
  // Losing the connection and getting it back
  // -------------------------------------------------------------------------------------

  private connectionLost(cause: ClientError): void {
    if (this.phase === 'closed') return;
    this.connection?.close();
    this.connection = null;
    // The library's own serve is made afresh on the next connection.
    const pending = [...this.inFlight, ...this.waiting].filter((call) => !call.reserve);
    this.inFlight = [];
    this.waiting = [];
    for (const call of pending) this.deps.clock.clearTimeout(call.timer);
    this.lossCause = cause;

    // A logout in the air: the session is over whichever way it went.
    const logout = pending.find((call) => call.op === 'logout');
    if (logout) {
      this.complete(logout, { ok: true, value: {} });
      this.waiting = pending.filter((call) => call !== logout);
      this.giveUp(cause.message);
      return;
    }
    const stillTrying: Call[] = [];
    for (const call of pending) {
      if (call.sends > this.deps.maxRetries) this.complete(call, { ok: false, error: unconfirmed(call, cause) });
      else stillTrying.push(call);
    }
    this.waiting = stillTrying;
    if (stillTrying.length === 0 && this.parked.size === 0) {
      this.end(cause);
      return;
    }
    this.phase = 'recovering';
    this.recoveries = 0;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.recoveries += 1;
    if (this.recoveries > this.deps.maxRetries) {
      this.giveUp(`${this.lossCause.message}; gave up after ${this.deps.maxRetries} reconnects`);
      return;
    }
    this.reconnectTimer = this.deps.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.reconnect();
    }, this.backoff(this.recoveries));
  }

  private async reconnect(): Promise<void> {
    let opened: Outcome<OpenedConnection>;
    try {
      opened = await this.relogin();
    } catch (error) {
      // A bug below must not become an unhandled rejection with calls left hanging.
      opened = failure('CONNECT_FAILED', error instanceof Error ? error.message : String(error));
    }
    if (this.phase === 'closed') {
      if (opened.ok) opened.value.connection.close();
      return;
    }
    if (!opened.ok) {
      if (PERMANENT_LOGIN_CODES.has(opened.error.code)) {
        this.giveUp(`${this.lossCause.message}; logging in again failed: ${opened.error.code}`);
      } else {
        this.scheduleReconnect();
      }
      return;
    }
    this.welcome = opened.value.welcome;
    for (const call of this.waiting) if (call.sends > 0) call.reconnected = true;
    for (const call of this.parked) call.reconnected = true;
    this.phase = 'open';
    this.attach(opened.value.connection);
    // A fresh teller session serves no one: serve the customer again before their requests go out.
    const again = this.served.again;
    if (again !== null) this.waiting.unshift(reserveCall(again, this.deps.newId()));
    this.pump();
  }

  /**
   * The customer could not be served again after a reconnect (a used code, a lock): nothing sent
   * before the drop can be confirmed now, so those requests fail with their ids; requests never
   * sent go out and the bank answers NOT_SERVING.
   */
  private reserveRefused(code: string): void {
    const cause = clientError(
      this.lossCause.code === 'TIMEOUT' ? 'TIMEOUT' : 'CONNECTION_LOST',
      `${this.lossCause.message}; serving the customer again failed: ${code}`,
    );
    const unsent: Call[] = [];
    for (const call of this.waiting) {
      if (call.sends > 0) this.complete(call, { ok: false, error: unconfirmed(call, cause) });
      else unsent.push(call);
    }
    this.waiting = unsent;
  }

  /**
   * Logs in with the session's credentials. A password change that was in flight may have
   * been applied before the drop, so its new password is tried when the current one fails.
   */
  private async relogin(): Promise<Outcome<OpenedConnection>> {
    const candidates = passwordCandidates(this.credentials.password, [...this.waiting, ...this.parked]);
    let outcome: Outcome<OpenedConnection> = failure('CONNECTION_LOST');
    for (const password of candidates) {
      outcome = await this.deps.reopen({ ...this.credentials, password });
      if (outcome.ok) this.credentials.password = password;
      if (outcome.ok || outcome.error.code !== 'AUTH_FAILED' || this.phase === 'closed') break;
    }
    return outcome;
  }

  private giveUp(reason: string): void {
    const cause = clientError(this.lossCause.code, reason);
    const pending = [...this.waiting, ...this.parked];
    this.waiting = [];
    this.parked.clear();
    for (const call of pending) {
      this.deps.clock.clearTimeout(call.timer);
      this.complete(call, { ok: false, error: unconfirmed(call, cause) });
    }
    this.end(cause);
  }

  // -------------------------------------------------------------------------------------
  // Ending
  // -------------------------------------------------------------------------------------

  /** Ends the session for good: every unanswered call fails, keys and credentials are dropped. */
  private end(reason: ClientError | null): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.closeReason = reason;
    this.deps.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connection?.close();
    this.connection = null;
    const pending = [...this.inFlight, ...this.waiting, ...this.parked];
    this.inFlight = [];
    this.waiting = [];
    this.parked.clear();
    for (const call of pending) {
      this.deps.clock.clearTimeout(call.timer);
      this.complete(call, endedOutcome(call, reason));
    }
    this.credentials = { user: this.credentials.user, password: '' };
    this.served.clear();
    this.events.closed(reason);
  }

  private complete(call: Call, outcome: Outcome<Obj>): void {
    this.deps.clock.clearTimeout(call.timer);
    call.timer = null;
    const report = retryReportOf(call, outcome);
    if (report) this.events.retried(report);
    call.settle(outcome);
  }

  private backoff(attempt: number): number {
    return doublingBackoff(attempt, this.deps.retryBackoffMs, this.deps.random);
  }
}
