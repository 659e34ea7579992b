import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataDirPaths, dataDirPaths } from '../data-dir.js';
import { DataKeyError, loadOrCreateDataKey } from '../secrets/data-key.js';
import { ensureDevCertificates, ensurePrivateDir, ensureTerminalCa } from '../tls/index.js';
import { DEFAULT_INSTANCE_ID, type InstancePaths, instancePaths } from './instance-paths.js';
import { exists, isDirectory } from './path-probe.js';

export interface PreparedDataDir {
  paths: DataDirPaths;
  /** The instance's audit folder and signing key paths (instance `main` unless one was given). */
  instance: InstancePaths;
  tls: { caCert: string; serverCert: string; serverKey: string; terminalCaCert: string };
  dataKey: Uint8Array;
  /** True when this call created the data dir or any file in it. */
  created: boolean;
}

/**
 * Makes the data dir ready to serve: the directory (0700) and its tls/, keys/, audit/ and
 * audit/segments/ subdirectories (0700), the development certificates and the data key. An
 * instance other than `main` gets audit/instances/<id>/segments/ and keys/instances/<id>/ (0700)
 * instead of audit/segments/.
 * Idempotent: later calls load what is there. Audit keys are prepared by audit/'s prepareAuditKeys.
 *
 * An existing data dir keeps its own mode (it may be a directory the operator chose, like a
 * home directory); the subdirectories that hold secrets are narrowed to 0700.
 */
export async function prepareDataDir(
  dataDir: string,
  options: { clock?: () => number; instanceId?: string } = {},
): Promise<PreparedDataDir> {
  const paths = dataDirPaths(dataDir);
  const instance = instancePaths(paths, options.instanceId ?? DEFAULT_INSTANCE_ID);
  const rootExisted = await isDirectory(paths.root);
  if (!rootExisted) await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const dirs =
    instance.instanceId === DEFAULT_INSTANCE_ID
      ? [paths.tlsDir, paths.keysDir, paths.auditDir, paths.segmentsDir]
      : [
          paths.tlsDir,
          paths.keysDir,
          join(paths.keysDir, 'instances'),
          instance.signingKeysDir,
          paths.auditDir,
          join(paths.auditDir, 'instances'),
          instance.auditDir,
          instance.segmentsDir,
        ];
  for (const dir of dirs) await ensurePrivateDir(dir);

  const tls = await ensureDevCertificates(paths, options);
  // Data dirs made before terminals existed get their terminal CA on the next start.
  const terminalCa = await ensureTerminalCa(paths, options);
  // A ledger without its data key would silently lose every sealed e-mail, phone and TOTP secret.
  if ((await exists(paths.ledgerDb)) && !(await exists(paths.dataKey))) {
    throw new DataKeyError(
      'DATA_KEY_MISSING',
      `${paths.dataKey} is missing but ${paths.ledgerDb} exists; restore the key from backup (a new one could not open sealed customer data)`,
    );
  }
  const dataKey = await loadOrCreateDataKey(paths.dataKey);
  return {
    paths,
    instance,
    tls: {
      caCert: tls.caCert,
      serverCert: tls.serverCert,
      serverKey: tls.serverKey,
      terminalCaCert: terminalCa.cert,
    },
    dataKey: dataKey.key,
    created: !rootExisted || tls.created || terminalCa.created || dataKey.created,
  };
}
