import { createHash } from 'node:crypto';

/**
 * The fingerprint an auditor writes down out of band: `SHA256:` and the unpadded base64 of
 * SHA-256 over the 32 raw bytes of the Ed25519 public key (the form `ssh-keygen -l` uses),
 * short enough to read over the phone, long enough that no other key shares it.
 */
export function signingKeyFingerprint(publicKey: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')}`;
}
