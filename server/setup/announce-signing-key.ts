import type { Logger } from 'pino';
import { type AuditKeys, type AuditLog, commitSigningKeyRotation } from '../../audit/index.js';

/**
 * Every start names the key that signs this run's audit segments (the fingerprint an
 * auditor pinned at init, or the one a signed rotation handed over to); a pending
 * `audit rotate-key` is completed here, once the log has written the signed hand-over.
 */
export async function announceSigningKey(
  auditLog: AuditLog | null,
  keys: AuditKeys,
  keysDir: string,
  logger: Logger,
): Promise<{ fingerprint: string; rotatedFrom: string | null }> {
  let fingerprint = keys.signingFingerprint;
  let rotatedFrom: string | null = null;
  if (auditLog && keys.nextSigningSecretKey) {
    const rotated = await commitSigningKeyRotation(keysDir);
    logger.warn(
      { previousFingerprint: fingerprint, auditSigningKey: rotated.fingerprint },
      'audit signing key rotated: the last segment signed by the previous key hands over to the new one',
    );
    rotatedFrom = fingerprint;
    fingerprint = rotated.fingerprint;
  }
  keys.nextSigningSecretKey?.fill(0);
  const publicKey = auditLog ? Buffer.from(auditLog.signingPublicKey).toString('base64') : null;
  logger.info({ auditSigningKey: fingerprint, fingerprint, auditSigningPublicKey: publicKey }, 'audit signing key');
  return { fingerprint, rotatedFrom };
}
