/** One request of a session from first send to answer: its record, how one is made, and the error when none came. */
import { encodeRequest, IDEMPOTENT_OPS, type Op, type RequestBody } from '../../protocol/index.js';
import { clientError, failure } from './client-errors.js';
import type { ClientError, Credentials, Outcome, RetryReport } from './types.js';

export type Obj = Record<string, unknown>;

export interface Call {
  readonly id: string;
  readonly op: Op;
  /** The request exactly as sent, so every retry carries identical bytes and the same id. */
  readonly json: string;
  readonly idempotent: boolean;
  /** For change_password: the password a re-login may need once the change applied. */
  readonly newPassword?: string;
  /** For serve: the customer's credentials, kept once the bank accepts them (a reconnect serves again). */
  readonly serveCredentials?: Credentials;
  /** The library's own serve after a reconnect: nothing else is sent until it is answered. */
  readonly reserve?: boolean;
  sends: number;
  reconnected: boolean;
  busyRetries: number;
  timer: unknown;
  settle(outcome: Outcome<Obj>): void;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(IDEMPOTENT_OPS);

/** Login failures that another try with the same credentials cannot fix. */
export const PERMANENT_LOGIN_CODES: ReadonlySet<string> = new Set([
  'AUTH_FAILED',
  'ACCOUNT_LOCKED',
  'TOTP_REQUIRED',
  'TOTP_INVALID',
  'TLS_ERROR',
  'UNSUPPORTED_PROTOCOL',
  'PROTOCOL_ERROR',
  'BAD_SERVER_MESSAGE',
]);

/** A caller's request, not sent yet; `json` is its encoded form. */
export function newCall(id: string, body: RequestBody, json: string, settle: (outcome: Outcome<Obj>) => void): Call {
  return {
    id,
    op: body.op,
    json,
    idempotent: IDEMPOTENT.has(body.op),
    ...(body.op === 'change_password' ? { newPassword: body.new } : {}),
    ...(body.op === 'serve' ? { serveCredentials: serveCredentials(body) } : {}),
    sends: 0,
    reconnected: false,
    busyRetries: 0,
    timer: null,
    settle,
  };
}

/** The library's own serve of the customer after a reconnect; nobody waits for its answer. */
export function reserveCall(credentials: Credentials, id: string): Call {
  const body: Extract<RequestBody, { op: 'serve' }> = {
    op: 'serve',
    user: credentials.user,
    password: credentials.password,
  };
  if (credentials.totp !== undefined) body.totp = credentials.totp;
  return {
    id,
    op: 'serve',
    json: encodeRequest({ id, ...body }),
    idempotent: false,
    serveCredentials: credentials,
    reserve: true,
    sends: 0,
    reconnected: false,
    busyRetries: 0,
    timer: null,
    settle: () => {},
  };
}

/** The error for a call whose answer never came: for a sent mutation, with the id to retry or reverse. */
export function unconfirmed(call: Call, cause: ClientError): ClientError {
  const code = cause.code === 'TIMEOUT' ? 'TIMEOUT' : 'CONNECTION_LOST';
  if (call.sends === 0) return clientError(code, `${call.op} was not sent: ${cause.message}`);
  if (!call.idempotent) return clientError(code, cause.message);
  return clientError(
    code,
    `${call.op} ${call.id} was sent but not confirmed (${cause.message}); re-send it with the same id to learn its outcome`,
    call.id,
  );
}

/** What a call still unanswered when the session ends gets: the reason, and its id when it may have applied. */
export function endedOutcome(call: Call, reason: ClientError | null): Outcome<Obj> {
  const code = reason?.code ?? 'SESSION_CLOSED';
  const message = reason?.message ?? 'the session was closed before the answer came';
  const unknownOutcome = call.idempotent && call.sends > 0;
  return failure(code, message, unknownOutcome ? call.id : undefined);
}

/** A request made after the session ended: the notice that ended it, else SESSION_CLOSED. */
export function refusedAfterClose(reason: ClientError | null): ClientError {
  if (reason && (reason.code === 'SESSION_EXPIRED' || reason.code === 'SERVER_SHUTDOWN')) {
    return clientError(reason.code, reason.message);
  }
  return clientError('SESSION_CLOSED');
}

/** For the retry listeners: a call sent more than once or retried after SERVER_BUSY; null otherwise. */
export function retryReportOf(call: Call, outcome: Outcome<Obj>): RetryReport | null {
  if (call.sends <= 1 && call.busyRetries === 0) return null;
  return {
    id: call.id,
    attempts: call.sends,
    reconnected: call.reconnected,
    replayed: outcome.ok && outcome.value.replayed === true,
  };
}

/**
 * The passwords a re-login tries, in order: the session's, then the new password of any
 * change_password that was sent (it may have applied before the drop).
 */
export function passwordCandidates(current: string, calls: Iterable<Call>): string[] {
  const candidates = [current];
  for (const call of calls) {
    if (call.newPassword !== undefined && call.sends > 0) candidates.push(call.newPassword);
  }
  return candidates;
}

function serveCredentials(body: Extract<RequestBody, { op: 'serve' }>): Credentials {
  return body.totp === undefined
    ? { user: body.user, password: body.password }
    : { user: body.user, password: body.password, totp: body.totp };
}
