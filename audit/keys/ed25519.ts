import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

// RFC 8410 DER wrappers: node:crypto signs ~250x faster than tweetnacl, but wants KeyObjects.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const ED25519_SECRET_BYTES = 64;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Buffer;
}

/** A signer from a tweetnacl secret key (seed || public key, 64 bytes). */
export function ed25519Signer(tweetnaclSecret: Uint8Array): Ed25519Signer {
  if (tweetnaclSecret.length !== ED25519_SECRET_BYTES) throw new RangeError('Ed25519 secret must be 64 bytes');
  const seed = tweetnaclSecret.subarray(0, 32);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = ed25519PublicKeyOf(key);
  return { publicKey, sign: (message) => sign(null, message, key) };
}

/** The public key that belongs to a tweetnacl secret's seed (to check the stored half). */
export function ed25519PublicFromSecret(tweetnaclSecret: Uint8Array): Uint8Array {
  const seed = tweetnaclSecret.subarray(0, 32);
  return ed25519PublicKeyOf(
    createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
}

function ed25519PublicKeyOf(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - ED25519_PUBLIC_BYTES));
}

const publicKeyCache = new Map<string, KeyObject>();

/** Ed25519 verification; false (never a throw) for malformed keys or signatures. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  const id = Buffer.from(publicKey).toString('hex');
  let key = publicKeyCache.get(id);
  try {
    if (!key) {
      key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
      if (publicKeyCache.size > 64) publicKeyCache.clear();
      publicKeyCache.set(id, key);
    }
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
