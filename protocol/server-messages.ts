/**
 * What the server sends inside sealed frames (protocol/README.md §5, §6): responses and notices,
 * each encoder beside the parser clients run. Results are typed by op when encoded and
 * checked per op (result-checks.ts) when a client reads them.
 */
import { NOTICE_KINDS, REQUEST_ID_PATTERN } from './constants.js';
import { fail, isWireErrorCode, ok, type Result, WIRE_ERRORS, type WireErrorCode } from './errors.js';
import { isDetailNumber, isObject, isString, type Obj, parseJsonObject } from './json-fields.js';
import type { NoticeKind, Op, OpResult, ServerMessage, WireError, WireErrorDetails } from './message-types.js';

// ---------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------

/** `{ "id", "ok": true, "result" }` with the result typed by the op it answers. */
export function encodeOkResponse<O extends Op>(id: string, _op: O, result: OpResult<O>): string {
  return JSON.stringify({ id, ok: true, result });
}

export interface ErrorResponseOptions extends WireErrorDetails {
  /** Defaults to the code's message in the error table. */
  message?: string | undefined;
}

/** The error object of a response: `code`, `message`, then the §6 detail fields that apply. */
export function wireError(code: WireErrorCode, options: ErrorResponseOptions = {}): WireError {
  const error: WireError = { code, message: options.message ?? WIRE_ERRORS[code] };
  if (options.remainingCents !== undefined) error.remainingCents = options.remainingCents;
  if (options.maxAmountCents !== undefined) error.maxAmountCents = options.maxAmountCents;
  if (options.retryAfterMs !== undefined) error.retryAfterMs = options.retryAfterMs;
  if (options.reason !== undefined) error.reason = options.reason;
  return error;
}

/** `{ "id", "ok": false, "error" }`; `id` is null when the request's id could not be read (§7.1). */
export function encodeErrorResponse(
  id: string | null,
  code: WireErrorCode,
  options: ErrorResponseOptions = {},
): string {
  return JSON.stringify({ id, ok: false, error: wireError(code, options) });
}

/** `{ "notice", "message" }`: the last message of a session before the server closes. */
export function encodeNotice(notice: NoticeKind, message: string): string {
  return JSON.stringify({ notice, message });
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

/** Validate a decrypted server message: a response or a notice. */
export function parseServerMessage(payload: Uint8Array | string): Result<ServerMessage> {
  const value = parseJsonObject(payload);
  if (!value) return fail('PROTOCOL_ERROR', 'server message is not a JSON object');
  if ('notice' in value) {
    if (!(NOTICE_KINDS as readonly unknown[]).includes(value.notice) || typeof value.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'notice malformed');
    }
    return ok({ kind: 'notice', notice: { notice: value.notice as NoticeKind, message: value.message } });
  }
  const id = value.id;
  if (id !== null && !isString(id, REQUEST_ID_PATTERN)) return fail('PROTOCOL_ERROR', 'response id malformed');
  if (value.ok === true) {
    if (!isObject(value.result)) return fail('PROTOCOL_ERROR', 'response result malformed');
    return ok({ kind: 'response', response: { id, ok: true, result: value.result } });
  }
  if (value.ok === false) {
    const error = value.error;
    if (!isObject(error) || !isWireErrorCode(error.code) || typeof error.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'response error malformed');
    }
    return ok({ kind: 'response', response: { id, ok: false, error: wireErrorOf(error.code, error.message, error) } });
  }
  return fail('PROTOCOL_ERROR', 'response must say ok true or false');
}

/** Keep the known detail fields of an error object (§6); anything else is ignored. */
function wireErrorOf(code: WireErrorCode, message: string, raw: Obj): WireError {
  const error: WireError = { code, message };
  if (isDetailNumber(raw.remainingCents)) error.remainingCents = raw.remainingCents;
  if (isDetailNumber(raw.maxAmountCents)) error.maxAmountCents = raw.maxAmountCents;
  if (isDetailNumber(raw.retryAfterMs)) error.retryAfterMs = raw.retryAfterMs;
  if (raw.reason === 'USED') error.reason = 'USED';
  return error;
}
