const B64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding. */
export function toB64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Strict decode: only canonical, padded standard base64 is accepted (Node's own decoder
 * skips junk silently). With `bytes`, the decoded length must be exactly that.
 */
export function fromB64(text: unknown, bytes?: number): Buffer | null {
  if (typeof text !== 'string' || !B64_PATTERN.test(text)) return null;
  const out = Buffer.from(text, 'base64');
  if (bytes !== undefined && out.length !== bytes) return null;
  // Reject non-zero trailing bits: they would let two strings carry the same bytes.
  if (out.toString('base64') !== text) return null;
  return out;
}
