/** Field checks shared by the parsers: strict UTF-8 JSON objects, key sets, patterns, cents. */

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first key of `value` that is not in `allowed`, or null. */
export function onlyKeys(value: Obj, allowed: readonly string[]): string | null {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) return key;
  return null;
}

export function isString(value: unknown, pattern: RegExp): value is string {
  return typeof value === 'string' && pattern.test(value);
}

/** Integer cents: a safe integer ≥ 1 (the upper bound is the server's). */
export function isValidAmount(value: unknown, maxAmountCents = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= maxAmountCents;
}

/** A detail number of an error object (§6): a safe integer ≥ 0. */
export function isDetailNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** JSON bytes → object, or null when the bytes are not UTF-8 JSON of an object. */
export function parseJsonObject(bytes: Uint8Array | string): Obj | null {
  let text: string;
  try {
    // Invalid UTF-8 is refused rather than silently replaced with U+FFFD.
    text = typeof bytes === 'string' ? bytes : STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}
