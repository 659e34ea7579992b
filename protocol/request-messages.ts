/**
 * Requests inside sealed frames (protocol/README.md §5): the op table, the strict parser the
 * server runs on every request (and the client runs before sending), and the encoder.
 */
import {
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  MAX_EMAIL_CHARS,
  MAX_PASSWORD_CHARS,
  MAX_PHONE_CHARS,
  REQUEST_ID_PATTERN,
  REVERSAL_REASONS,
  TOTP_CODE_PATTERN,
  TX_ID_PATTERN,
  USER_PATTERN,
} from './constants.js';
import { ok, type Refusal, type Result, refusal, type WireErrorCode } from './errors.js';
import { isString, isValidAmount, type Obj, parseJsonObject } from './json-fields.js';
import type { Op, Request, RequestOf } from './message-types.js';

export interface RequestLimits {
  /** Per-request maximum amount; above it is INVALID_AMOUNT. */
  maxAmountCents?: number;
}

/** A refused request: the id if one could be read (so the response can carry it), and the refusal. */
export interface RequestFault {
  id: string | null;
  error: Refusal;
}

type FieldCheck = (value: unknown, limits: Required<RequestLimits>) => WireErrorCode | null;

const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;
const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{3,19}$/;

const amountField: FieldCheck = (v, limits) => (isValidAmount(v, limits.maxAmountCents) ? null : 'INVALID_AMOUNT');
const requiredString =
  (pattern: RegExp): FieldCheck =>
  (v) =>
    isString(v, pattern) ? null : 'INVALID_REQUEST';
const passwordField: FieldCheck = (v) =>
  typeof v === 'string' && v.length >= 1 && v.length <= MAX_PASSWORD_CHARS ? null : 'INVALID_REQUEST';

interface OpSpec {
  required: Record<string, FieldCheck>;
  optional: Record<string, FieldCheck>;
}

const txIdField = requiredString(TX_ID_PATTERN);

/** Every op with its fields: one table, read by the parser and by the tests. */
export const OP_SPECS: Readonly<Record<Op, OpSpec>> = {
  balance: { required: {}, optional: {} },
  deposit: { required: { amountCents: amountField }, optional: {} },
  withdraw: { required: { amountCents: amountField }, optional: {} },
  transfer: { required: { amountCents: amountField, to: requiredString(USER_PATTERN) }, optional: {} },
  reverse: {
    required: {
      txId: txIdField,
      reason: (v) => ((REVERSAL_REASONS as readonly unknown[]).includes(v) ? null : 'INVALID_REQUEST'),
    },
    optional: {},
  },
  history: {
    required: {},
    optional: {
      limit: (v) =>
        typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= HISTORY_LIMIT_MAX ? null : 'INVALID_REQUEST',
      before: txIdField,
    },
  },
  change_password: { required: { current: passwordField, new: passwordField }, optional: {} },
  update_contact: {
    required: {},
    optional: {
      email: (v) =>
        typeof v === 'string' && v.length <= MAX_EMAIL_CHARS && EMAIL_PATTERN.test(v) ? null : 'INVALID_REQUEST',
      phone: (v) =>
        typeof v === 'string' && v.length <= MAX_PHONE_CHARS && PHONE_PATTERN.test(v) ? null : 'INVALID_REQUEST',
    },
  },
  // Revision 2: re-enrolment needs the password (and the current code when two-factor is on, §5.1).
  totp_enroll: { required: { password: passwordField }, optional: { totp: requiredString(TOTP_CODE_PATTERN) } },
  totp_confirm: { required: { code: requiredString(TOTP_CODE_PATTERN) }, optional: {} },
  totp_disable: {
    required: { password: passwordField, totp: requiredString(TOTP_CODE_PATTERN) },
    optional: {},
  },
  logout: { required: {}, optional: {} },
  ping: { required: {}, optional: {} },
  serve: {
    required: { user: requiredString(USER_PATTERN), password: passwordField },
    optional: { totp: requiredString(TOTP_CODE_PATTERN) },
  },
  release: { required: {}, optional: {} },
  open_account: { required: { user: requiredString(USER_PATTERN), password: passwordField }, optional: {} },
};

function isOp(value: unknown): value is Op {
  return typeof value === 'string' && Object.hasOwn(OP_SPECS, value);
}

/**
 * Validate a decrypted request. Faults are plain values (no Error is built): INVALID_REQUEST
 * for shape, INVALID_AMOUNT for money, with the id when it was readable.
 */
export function parseRequest(payload: Uint8Array | string, limits: RequestLimits = {}): Result<Request, RequestFault> {
  const full: Required<RequestLimits> = { maxAmountCents: limits.maxAmountCents ?? Number.MAX_SAFE_INTEGER };
  const value = parseJsonObject(payload);
  if (!value) return refuse(null, 'INVALID_REQUEST', 'request is not a JSON object');
  const id = isString(value.id, REQUEST_ID_PATTERN) ? value.id : null;
  if (id === null) return refuse(null, 'INVALID_REQUEST', 'id must be 1-64 chars of [A-Za-z0-9_-]');
  if (!isOp(value.op)) return refuse(id, 'INVALID_REQUEST', 'unknown op');
  const spec = OP_SPECS[value.op];
  for (const key of Object.keys(value)) {
    if (key === 'id' || key === 'op') continue;
    if (!Object.hasOwn(spec.required, key) && !Object.hasOwn(spec.optional, key)) {
      return refuse(id, 'INVALID_REQUEST', `unexpected field for ${value.op}`);
    }
  }
  for (const [key, check] of Object.entries(spec.required)) {
    if (!Object.hasOwn(value, key)) return refuse(id, 'INVALID_REQUEST', `${value.op} needs ${key}`);
    const code = check(value[key], full);
    if (code) return refuse(id, code, code === 'INVALID_AMOUNT' ? undefined : `${key} is malformed`);
  }
  for (const [key, check] of Object.entries(spec.optional)) {
    if (!Object.hasOwn(value, key)) continue;
    const code = check(value[key], full);
    if (code) return refuse(id, code, `${key} is malformed`);
  }
  return ok(value as unknown as Request);
}

function refuse(id: string | null, code: WireErrorCode, message?: string): { ok: false; error: RequestFault } {
  return { ok: false, error: { id, error: refusal(code, message) } };
}

/** The JSON text of a request: `id`, then `op`, then the params in the order given. */
export function encodeRequest(request: Request): string {
  const { id, op, ...params } = request;
  return JSON.stringify({ id, op, ...params });
}

/** The `limit` a history request asks for, with the protocol default. */
export function historyLimit(request: RequestOf<'history'>): number {
  return request.limit ?? HISTORY_LIMIT_DEFAULT;
}

/** The params of a request (everything but `id`), in a canonical key order, for idempotency hashes. */
export function canonicalRequestParams(request: Request): string {
  const { id: _id, ...params } = request;
  const sorted: Obj = {};
  for (const key of Object.keys(params).sort()) sorted[key] = (params as Obj)[key];
  return JSON.stringify(sorted);
}
