import nacl from 'tweetnacl';
import type { AuditEvent } from '../events/audit-event.js';

/**
 * Open one sealed record with the shared key (nacl.box.before(segment public, auditor secret)).
 * 'unopenable': the box does not authenticate under this key; 'invalid': it opens but
 * does not hold an event.
 */
export function openSealedEvent(
  sharedKey: Uint8Array,
  nonce: Uint8Array,
  box: Uint8Array,
): AuditEvent | 'unopenable' | 'invalid' {
  const plain = nacl.box.open.after(box, nonce, sharedKey);
  if (!plain) return 'unopenable';
  try {
    const value: unknown = JSON.parse(Buffer.from(plain).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid';
    const event = value as Partial<AuditEvent>;
    if (typeof event.seq !== 'number' || typeof event.ts !== 'string' || typeof event.kind !== 'string')
      return 'invalid';
    return event as AuditEvent;
  } catch {
    return 'invalid';
  }
}
