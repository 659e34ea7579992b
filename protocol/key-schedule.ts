import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
} from 'node:crypto';
import { HKDF_INFO_LABEL, KEY_BYTES, NONCE_BYTES, OKM_BYTES, X25519_KEY_BYTES } from './constants.js';
import { fail, ok, type Result } from './errors.js';

// DER prefixes that wrap a raw X25519 key for node:crypto (RFC 8410).
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/** A fresh ephemeral X25519 key pair as raw 32-byte buffers. */
export function generateX25519KeyPair(): X25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' });
  const sec = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    publicKey: Buffer.from(pub.subarray(pub.length - X25519_KEY_BYTES)),
    secretKey: Buffer.from(sec.subarray(sec.length - X25519_KEY_BYTES)),
  };
}

/** The public key that belongs to a raw X25519 secret. */
export function x25519PublicKey(secretKey: Uint8Array): Buffer {
  const key = createPublicKey(createPrivateKey({ key: pkcs8(secretKey), format: 'der', type: 'pkcs8' }));
  const der = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - X25519_KEY_BYTES));
}

/** X25519(ownSecret, peerPublic). An all-zero result (a low-order peer key) is refused. */
export function x25519(ownSecret: Uint8Array, peerPublic: Uint8Array): Result<Buffer> {
  if (ownSecret.length !== X25519_KEY_BYTES || peerPublic.length !== X25519_KEY_BYTES) {
    return fail('KEY_EXCHANGE_FAILED', 'X25519 keys must be 32 bytes');
  }
  const privateKey = createPrivateKey({ key: pkcs8(ownSecret), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_X25519_PREFIX, peerPublic]),
    format: 'der',
    type: 'spki',
  });
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL refuses some low-order points outright; same outcome as an all-zero secret.
    return fail('KEY_EXCHANGE_FAILED');
  }
  if (shared.every((b) => b === 0)) return fail('KEY_EXCHANGE_FAILED');
  return ok(shared);
}

function pkcs8(secret: Uint8Array): Buffer {
  return Buffer.concat([PKCS8_X25519_PREFIX, secret]);
}

function u32be(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** th = SHA-256(u32be(len(hello)) || hello || u32be(len(welcome)) || welcome), over the bytes as they crossed the wire. */
export function transcriptHash(helloBytes: Uint8Array, welcomeBytes: Uint8Array): Buffer {
  return createHash('sha256')
    .update(u32be(helloBytes.length))
    .update(helloBytes)
    .update(u32be(welcomeBytes.length))
    .update(welcomeBytes)
    .digest();
}

/** The four direction keys. */
export interface SessionKeys {
  c2sEnc: Buffer;
  c2sMac: Buffer;
  s2cEnc: Buffer;
  s2cMac: Buffer;
}

export interface KeyScheduleInput {
  /** X25519 shared secret (32 bytes). */
  shared: Uint8Array;
  clientNonce: Uint8Array;
  serverNonce: Uint8Array;
  helloBytes: Uint8Array;
  welcomeBytes: Uint8Array;
}

/** okm = HKDF-SHA256(shared, clientNonce || serverNonce, "secure-atm/1 keys" || th, 128), cut into four keys. */
export function deriveSessionKeys(input: KeyScheduleInput): SessionKeys {
  if (input.clientNonce.length !== NONCE_BYTES || input.serverNonce.length !== NONCE_BYTES) {
    throw new RangeError('nonces must be 32 bytes');
  }
  const th = transcriptHash(input.helloBytes, input.welcomeBytes);
  const salt = Buffer.concat([input.clientNonce, input.serverNonce]);
  const info = Buffer.concat([Buffer.from(HKDF_INFO_LABEL, 'ascii'), th]);
  const okm = Buffer.from(hkdfSync('sha256', input.shared, salt, info, OKM_BYTES));
  const keys: SessionKeys = {
    c2sEnc: Buffer.from(okm.subarray(0, KEY_BYTES)),
    c2sMac: Buffer.from(okm.subarray(KEY_BYTES, 2 * KEY_BYTES)),
    s2cEnc: Buffer.from(okm.subarray(2 * KEY_BYTES, 3 * KEY_BYTES)),
    s2cMac: Buffer.from(okm.subarray(3 * KEY_BYTES, 4 * KEY_BYTES)),
  };
  okm.fill(0);
  return keys;
}

/**
 * The whole §3 schedule for one side: X25519, then HKDF. `ownSecret` is wiped afterwards,
 * whether or not the exchange succeeded, and so is the shared secret.
 */
export function completeKeyExchange(
  ownSecret: Uint8Array,
  peerPublic: Uint8Array,
  transcript: Omit<KeyScheduleInput, 'shared'>,
): Result<SessionKeys> {
  const shared = x25519(ownSecret, peerPublic);
  ownSecret.fill(0);
  if (!shared.ok) return shared;
  try {
    return ok(deriveSessionKeys({ ...transcript, shared: shared.value }));
  } finally {
    shared.value.fill(0);
  }
}

/** Zero every key in place once a session ends. */
export function wipeSessionKeys(keys: SessionKeys): void {
  keys.c2sEnc.fill(0);
  keys.c2sMac.fill(0);
  keys.s2cEnc.fill(0);
  keys.s2cMac.fill(0);
}
