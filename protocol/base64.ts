/** Standard base64 with padding. */
export function toB64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Strict decode: only canonical, padded standard base64 is accepted (Node's own decoder
 * skips junk, url-safe letters and missing padding silently). With `bytes`, the decoded length
 * must be exactly that.
 *
 * Encoding the decoded bytes again must give back the very text: Node's encoder only ever writes
 * canonical padded standard base64, so junk, whitespace, `-`/`_`, missing padding and non-zero
 * trailing bits all fail that comparison, and it is the whole check (a separate pattern test was
 * 5% of a sealed frame's open, measured with tests/bench/sealed-frame.bench.ts).
 */
export function fromB64(text: unknown, bytes?: number): Buffer | null {
  if (typeof text !== 'string') return null;
  const out = Buffer.from(text, 'base64');
  if (bytes !== undefined && out.length !== bytes) return null;
  if (out.toString('base64') !== text) return null;
  return out;
}
