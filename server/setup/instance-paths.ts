import { join } from 'node:path';
import type { DataDirPaths } from '../data-dir.js';
import { SetupError } from './setup-error.js';

/** Instance ids name lock files and audit folders: kept to a safe file-name alphabet. */
export const INSTANCE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const DEFAULT_INSTANCE_ID = 'main';

/**
 * Where one instance keeps its own audit chain and signing key (DESIGN.md "Ledger backends and
 * instances"). Instance `main` uses `audit/` and `keys/audit-signing.key` exactly as a data dir
 * always has; any other id uses `audit/instances/<id>/` and `keys/instances/<id>/`.
 */
export interface InstancePaths {
  instanceId: string;
  /** The folder openAuditLog writes: audit.log and segments/. */
  auditDir: string;
  auditLog: string;
  segmentsDir: string;
  /** The folder of the signing files (what the key rotation commands take). */
  signingKeysDir: string;
  /** Ed25519 secret, 0600. */
  signingKeyPath: string;
  /** Its public half (`audit-signing-ed25519-public:<b64>`), what the auditor pins. */
  signingPubPath: string;
  /** The same signing key, relative to the data dir (`/`-separated), as the manifest lists it. */
  signingKeyFile: string;
}

/** Throws SetupError INSTANCE_ID_INVALID for an id that is not 1–32 of [a-z0-9_-] (starting with a letter or digit). */
export function assertInstanceId(instanceId: string): void {
  if (!INSTANCE_ID_PATTERN.test(instanceId)) {
    throw new SetupError('INSTANCE_ID_INVALID', `instance id "${instanceId}" must be 1-32 of [a-z0-9_-]`);
  }
}

export function instancePaths(paths: DataDirPaths, instanceId: string): InstancePaths {
  assertInstanceId(instanceId);
  if (instanceId === DEFAULT_INSTANCE_ID) {
    return {
      instanceId,
      auditDir: paths.auditDir,
      auditLog: paths.auditLog,
      segmentsDir: paths.segmentsDir,
      signingKeysDir: paths.keysDir,
      signingKeyPath: paths.signingKey,
      signingPubPath: join(paths.keysDir, 'audit-signing.pub'),
      signingKeyFile: 'keys/audit-signing.key',
    };
  }
  const auditDir = join(paths.auditDir, 'instances', instanceId);
  const signingKeysDir = join(paths.keysDir, 'instances', instanceId);
  return {
    instanceId,
    auditDir,
    auditLog: join(auditDir, 'audit.log'),
    segmentsDir: join(auditDir, 'segments'),
    signingKeysDir,
    signingKeyPath: join(signingKeysDir, 'audit-signing.key'),
    signingPubPath: join(signingKeysDir, 'audit-signing.pub'),
    signingKeyFile: `keys/instances/${instanceId}/audit-signing.key`,
  };
}
