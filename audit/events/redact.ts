/** What a censored value becomes in both logs. */
export const REDACTED = '[REDACTED]';

// A key is secret when one of its words (camelCase, snake_case, kebab-case) is one of these...
const SECRET_WORDS: ReadonlySet<string> = new Set([
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'pass',
  'pwd',
  'secret',
  'secrets',
  'totp',
  'hotp',
  'otp',
  'otpauth',
  'key',
  'keys',
  'privkey',
  'token',
  'tokens',
  'seed',
  'credential',
  'credentials',
  'mnemonic',
  'pin',
  'cvv',
  'cookie',
  'authorization',
  'bearer',
]);
// ...or when the whole key is one of these: password.change carries { current, new }.
const SECRET_KEYS: ReadonlySet<string> = new Set(['current', 'new', 'old', 'newpassword', 'oldpassword']);
// A `code` inside detail is an error code unless it looks like a one-time code.
const OTP_LIKE = /^\s*\d{4,10}\s*$/;
const MAX_DEPTH = 8;
const MAX_ARRAY = 200;
const MAX_STRING = 2048;
const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;

const keyCache = new Map<string, boolean>();

/** True when a property of that name must never reach a log. */
export function isSecretKeyName(key: string): boolean {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  const lower = key.toLowerCase();
  let secret = SECRET_KEYS.has(lower) || lower.includes('password') || lower.includes('otpauth');
  if (!secret) {
    for (const word of key.match(WORD) ?? []) {
      if (SECRET_WORDS.has(word.toLowerCase())) {
        secret = true;
        break;
      }
    }
  }
  // Bounded: keys come from call sites, not from users, but be safe against a key flood.
  if (keyCache.size < 4096) keyCache.set(key, secret);
  return secret;
}

/** Strings that are secrets whatever their key: TOTP enrolment URIs and PEM private keys. */
export function redactString(value: string): string {
  if (value.includes('otpauth://') || value.includes('PRIVATE KEY-----')) return REDACTED;
  return value;
}

/**
 * A JSON-safe deep copy of `detail` with every secret-named key censored at any depth.
 * Binary values are never copied (they are usually keys); cycles, functions and depth past
 * 8 are cut. Returns undefined when `detail` is not an object.
 */
export function redactDetail(detail: unknown): Record<string, unknown> | undefined {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return undefined;
  const out = copyValue(detail, 0, new WeakSet());
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : undefined;
}

function copyValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[binary]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return copyArray(value, depth, seen);
    if (value instanceof Set) return copyArray([...value], depth, seen);
    if (value instanceof Map) return copyObject(Object.fromEntries(value), depth, seen);
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return copyObject(
        { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) },
        depth,
        seen,
      );
    }
    return copyObject(value as Record<string, unknown>, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function copyArray(items: unknown[], depth: number, seen: WeakSet<object>): unknown[] {
  const out: unknown[] = [];
  for (const item of items.slice(0, MAX_ARRAY)) {
    const copy = copyValue(item, depth + 1, seen);
    out.push(copy === undefined ? null : copy);
  }
  if (items.length > MAX_ARRAY) out.push(`[+${items.length - MAX_ARRAY} more]`);
  return out;
}

function copyObject(source: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const value = source[key];
    const secret =
      isSecretKeyName(key) || (key.toLowerCase() === 'code' && typeof value === 'string' && OTP_LIKE.test(value));
    const copy = secret ? REDACTED : copyValue(value, depth + 1, seen);
    // defineProperty: a plain assignment to "__proto__" would change the copy's prototype.
    if (copy !== undefined)
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
