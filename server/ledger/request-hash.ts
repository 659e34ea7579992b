import { createHash, createHmac } from 'node:crypto';
import { canonicalRequestParams, type Request } from '../../protocol/index.js';

/** Fields whose values are secrets or personal data; see {@link requestHash}. */
const SENSITIVE_FIELDS = ['current', 'new', 'email', 'phone'] as const;

/**
 * The fingerprint stored with an applied request id, so a reused id with other content is told
 * apart (IDEMPOTENCY_CONFLICT). With a key it is HMAC-SHA256 over the canonical params, which
 * hides passwords and contact data from anyone holding only the database file. Without a key it
 * is SHA-256, and then passwords and contact values are left out of the input: an unkeyed fast
 * hash of a password or a phone number can be reversed by brute force, so in that mode a reused
 * id is matched on its op and non-sensitive params only.
 */
export function requestHash(request: Request, key?: Uint8Array): string {
  if (key) return createHmac('sha256', key).update(canonicalRequestParams(request)).digest('hex');
  let hashed: Request = request;
  if (SENSITIVE_FIELDS.some((field) => Object.hasOwn(request, field))) {
    const copy: Record<string, unknown> = { ...request };
    for (const field of SENSITIVE_FIELDS) if (Object.hasOwn(copy, field)) copy[field] = '[withheld]';
    hashed = copy as Request;
  }
  return createHash('sha256').update(canonicalRequestParams(hashed)).digest('hex');
}
