import { readFileSync } from 'node:fs';

/**
 * The protocol's test vectors (tests/fixtures/protocol-vectors.json), loaded and
 * shape-checked so a broken or moved file fails loudly instead of making tests vacuous.
 */

export interface SealedVector {
  direction: 'c2s' | 's2c';
  seq: number;
  plaintextUtf8: string;
  envelope: { seq: number; ct: string; mac: string };
}

export interface ProtocolVectors {
  x25519: { clientSecret: string; clientPublic: string; serverSecret: string; serverPublic: string; shared: string };
  clientNonce: string;
  serverNonce: string;
  sessionId: string;
  helloUtf8: string;
  welcomeUtf8: string;
  transcriptHash: string;
  okm: string;
  keys: { c2sEnc: string; c2sMac: string; s2cEnc: string; s2cMac: string };
  sealed: SealedVector[];
}

/** The protocol's test vectors, kept in the repository as data (copied unchanged). */
export const VECTORS_URL = new URL('../fixtures/protocol-vectors.json', import.meta.url);

/** The wire protocol as the repository itself states it. */
export const PROTOCOL_MD_URL = new URL('../../protocol/README.md', import.meta.url);

const HEX = /^(?:[0-9a-f]{2})+$/;

function expectHex(value: unknown, bytes: number | null, name: string): void {
  if (typeof value !== 'string' || !HEX.test(value) || (bytes !== null && value.length !== bytes * 2)) {
    throw new Error(`protocol-vectors.json: ${name} is not hex${bytes === null ? '' : ` of ${bytes} bytes`}`);
  }
}

export function loadVectors(): ProtocolVectors {
  const v = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as ProtocolVectors;
  for (const key of ['clientSecret', 'clientPublic', 'serverSecret', 'serverPublic', 'shared'] as const) {
    expectHex(v.x25519[key], 32, `x25519.${key}`);
  }
  expectHex(v.clientNonce, 32, 'clientNonce');
  expectHex(v.serverNonce, 32, 'serverNonce');
  expectHex(v.sessionId, 16, 'sessionId');
  expectHex(v.transcriptHash, 32, 'transcriptHash');
  expectHex(v.okm, 128, 'okm');
  for (const key of ['c2sEnc', 'c2sMac', 's2cEnc', 's2cMac'] as const) expectHex(v.keys[key], 32, `keys.${key}`);
  if (typeof v.helloUtf8 !== 'string' || typeof v.welcomeUtf8 !== 'string') {
    throw new Error('protocol-vectors.json: helloUtf8/welcomeUtf8 missing');
  }
  if (!Array.isArray(v.sealed) || v.sealed.length === 0) throw new Error('protocol-vectors.json: no sealed vectors');
  return v;
}

export function hex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

/** The sealed vectors of one direction, sorted by seq, checked to run 0, 1, 2, … without gaps. */
export function sealedInOrder(v: ProtocolVectors, direction: 'c2s' | 's2c'): SealedVector[] {
  const list = v.sealed.filter((s) => s.direction === direction).sort((a, b) => a.seq - b.seq);
  list.forEach((s, i) => {
    if (s.seq !== i) throw new Error(`protocol-vectors.json: ${direction} seqs must run 0..n without gaps`);
  });
  return list;
}
