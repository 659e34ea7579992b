import { createHash } from 'node:crypto';

/**
 * The segment hash rules re-implemented from the format's documentation (not from the
 * writer), so that tamper tests can play a careful attacker who fixes up the chain.
 */
export type Line = Record<string, unknown> & { type: string; i: number; seq: number; hash: string };

const enc = (text: string) => Buffer.from(text, 'utf8');

export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function headerHash(headerText: string): Buffer {
  return sha256(enc('secure-atm-audit/1 header\0'), enc(headerText));
}

export function checkpointMessage(prev: Buffer, i: number, seq: number): Buffer {
  return Buffer.concat([enc('secure-atm-audit/1 checkpoint\0'), prev, u64(i), u64(seq)]);
}

export function closeMessage(prev: Buffer, i: number, seq: number, records: number): Buffer {
  return Buffer.concat([enc('secure-atm-audit/1 close\0'), prev, u64(i), u64(seq), u64(records)]);
}

export function lineHash(prev: Buffer, line: Line): Buffer {
  const b64 = (k: string) => Buffer.from(String(line[k]), 'base64');
  switch (line.type) {
    case 'record':
      return sha256(prev, u64(line.i), enc('R'), u64(line.seq), b64('nonce'), b64('box'));
    case 'checkpoint':
      return sha256(prev, u64(line.i), enc('C'), u64(line.seq), b64('sig'));
    case 'close':
      return sha256(prev, u64(line.i), enc('E'), u64(line.seq), u64(Number(line.records)), b64('sig'));
    default:
      throw new Error(`unknown line type ${line.type}`);
  }
}

/** Chain value before body line `index` (index 0 = header), recomputed from the lines as they are. */
export function chainBefore(lines: string[], index: number): Buffer {
  let head = headerHash(lines[0] ?? '');
  for (let k = 1; k < index; k++) head = lineHash(head, JSON.parse(lines[k] ?? '') as Line);
  return head;
}

/** Recompute every `hash` from `from` on, as an attacker who changed a line would. */
export function rechain(lines: string[], from: number): string[] {
  const out = [...lines];
  let head = chainBefore(out, from);
  for (let k = from; k < out.length; k++) {
    const line = JSON.parse(out[k] ?? '') as Line;
    head = lineHash(head, line);
    out[k] = JSON.stringify({ ...line, hash: head.toString('base64') });
  }
  return out;
}
