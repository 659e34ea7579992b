import { isSecretKeyName, redactDetail, redactString } from './redact.js';

/** What call sites pass. `seq` and `ts` are assigned by the log. */
export interface AuditEventInput {
  /** e.g. server_start, login, login_failed, session_open, request, integrity_failure, lockout, fraud_alert... */
  kind: string;
  /** User name or 'operator'. */
  actor?: string | null;
  /** Remote address. */
  address?: string | null;
  terminal?: string | null;
  sessionId?: string | null;
  op?: string | null;
  amountCents?: number | null;
  outcome?: 'ok' | 'error' | null;
  /** The protocol error code (e.g. INSUFFICIENT_FUNDS): not a secret, kept as is. */
  code?: string | null | undefined;
  balanceAfterCents?: number | null | undefined;
  txId?: string | null | undefined;
  requestId?: string | null;
  /**
   * A teller session's served customer (protocol/README.md §5.2): the actor is the teller. Kept as null
   * while the teller serves no one; absent from every event outside a teller session (undefined
   * counts as absent: neither JSON nor normalizing writes it).
   */
  customer?: string | null | undefined;
  /** Free-form context; keys that name secrets are censored at any depth. Undefined counts as absent. */
  detail?: Record<string, unknown> | undefined;
}

/** An event as both logs hold it. */
export interface AuditEvent extends AuditEventInput {
  seq: number;
  /** ISO 8601 time the event was recorded. */
  ts: string;
}

/** The top-level fields, in the order both logs write them. */
export const EVENT_STRING_FIELDS = [
  'actor',
  'address',
  'terminal',
  'sessionId',
  'op',
  'outcome',
  'code',
  'txId',
  'requestId',
  'customer',
] as const;
export const EVENT_NUMBER_FIELDS = ['amountCents', 'balanceAfterCents'] as const;

/** Every key an event may carry; a plaintext line with any other key (but pino's `level`) differs. */
export const EVENT_KEYS: ReadonlySet<string> = new Set([
  'seq',
  'ts',
  'kind',
  ...EVENT_STRING_FIELDS,
  ...EVENT_NUMBER_FIELDS,
  'detail',
]);

const MAX_FIELD_CHARS = 512;

/**
 * A detached, JSON-safe copy of `input` with its seq and time: fields in one fixed order,
 * null/undefined/ill-typed fields left out, `detail` redacted. Never throws, so a bad
 * call site cannot take the audit log (or the request it describes) down.
 */
export function normalizeAuditEvent(input: AuditEventInput, seq: number, ts: string): AuditEvent {
  return normalizedFields({ seq, ts }, input) as unknown as AuditEvent;
}

/**
 * `kind` and then every optional field of `input` into `event`, in the order both logs write them.
 * Written out field by field, not as a loop over the key list (keyed reads and writes, a set
 * lookup per key): the ledger normalizes every outbox event. Measured under tsx on the event
 * tests/bench/ledger-minimum.bench.ts stores: normalizedEventJson 2.15 → 1.49 µs per event.
 */
function normalizedFields(event: Record<string, unknown>, input: AuditEventInput): Record<string, unknown> {
  const source = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<string, unknown>>;
  const kind = source.kind;
  event.kind = typeof kind === 'string' && kind.length > 0 ? clip(kind) : 'unknown';
  const { actor, address, terminal, sessionId, op, amountCents, outcome, code } = source;
  if (typeof actor === 'string') event.actor = text(actor);
  if (typeof address === 'string') event.address = text(address);
  if (typeof terminal === 'string') event.terminal = text(terminal);
  if (typeof sessionId === 'string') event.sessionId = text(sessionId);
  if (typeof op === 'string') event.op = text(op);
  if (typeof amountCents === 'number' && Number.isFinite(amountCents)) event.amountCents = amountCents;
  if (typeof outcome === 'string') event.outcome = text(outcome);
  if (typeof code === 'string') event.code = text(code);
  const { balanceAfterCents, txId, requestId, customer, detail } = source;
  if (typeof balanceAfterCents === 'number' && Number.isFinite(balanceAfterCents)) {
    event.balanceAfterCents = balanceAfterCents;
  }
  if (typeof txId === 'string') event.txId = text(txId);
  if (typeof requestId === 'string') event.requestId = text(requestId);
  // A teller session says so even while serving no one: `customer: null` (§5.2).
  if (typeof customer === 'string') event.customer = text(customer);
  else if (customer === null && 'customer' in source) event.customer = null;
  if (detail !== undefined && detail !== null) {
    const redacted = redactDetail(detail);
    if (redacted !== undefined) event.detail = redacted;
  }
  return event;
}

/**
 * An event's JSON as both logs hold it, less its seq and ts: `normalizeAuditEvent(input, 0, '')`
 * serialised, then `{"seq":0,"ts":"",` cut back to `{` (so it stays valid JSON). Made only by
 * {@link normalizedEventJson} and {@link withDetailNumber}: the type says the text is normalized and
 * redacted, which is what lets a writer take it without parsing it again.
 */
export type NormalizedEventJson = string & { readonly normalizedEventJson: unique symbol };

/** The normalized, redacted JSON of `input` without seq and ts (see {@link NormalizedEventJson}). */
export function normalizedEventJson(input: AuditEventInput): NormalizedEventJson {
  // The same text as cutting the seq and ts out of the whole event's JSON, without making it first.
  return JSON.stringify(normalizedFields({}, input)) as NormalizedEventJson;
}

/**
 * `event` with `detail[key] = value` added as detail's last key, as normalizing
 * `{ ...input, detail: { ...input.detail, [key]: value } }` would write it; null when that cannot be
 * done by splicing text (the key may be there already, or is not a plain non-secret name, or the
 * value is not a safe integer): then parse and normalize instead. detail is always the last field
 * and the only object-valued one, so the text ends in `}}` exactly when it has one.
 */
export function withDetailNumber(event: NormalizedEventJson, key: string, value: number): NormalizedEventJson | null {
  if (!PLAIN_KEY.test(key) || !Number.isSafeInteger(value) || isSecretKeyName(key)) return null;
  const field = `"${key}":${value}`;
  if (event.includes(`"${key}"`)) return null;
  if (!event.endsWith('}}')) return `${event.slice(0, -1)},"detail":{${field}}}` as NormalizedEventJson;
  const comma = event.endsWith('{}}') ? '' : ',';
  return `${event.slice(0, -2)}${comma}${field}}}` as NormalizedEventJson;
}

/** The line both logs hold for a normalized event recorded as `seq` at `ts` (an ISO 8601 time). */
export function eventJsonAt(event: NormalizedEventJson, seq: number, ts: string): string {
  return `{"seq":${seq},"ts":${JSON.stringify(ts)},${event.slice(1)}`;
}

const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function clip(text: string): string {
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

/** A string field as the logs hold it: clipped, and censored if it is a secret whatever its key. */
function text(value: string): string {
  return redactString(clip(value));
}
