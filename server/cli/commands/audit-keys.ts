import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { requestSigningKeyRotation } from '../../../audit/index.js';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
import { DEFAULT_INSTANCE_ID, instancePaths } from '../../setup/instance-paths.js';
import { CliError } from '../io.js';
import {
  type DataDirOptions,
  type LedgerCommandDeps,
  operatorGroup,
  recordOperatorAction,
  withCommonOptions,
} from './operator-command.js';

/**
 * `bank-server audit rotate-key`: a new audit signing key, taken into use at the next start.
 * Rotating at start and not in a running server is deliberate: the hand-over is one
 * segment that the old key closes naming the new key, written before anything else of that
 * run, and a crash anywhere in it is repaired by the next start (see prepare-audit-keys.ts).
 */
export function auditCommand(deps: LedgerCommandDeps): Command {
  const audit = operatorGroup('audit', 'the audit log: signing key rotation', deps);
  withCommonOptions(
    audit
      .command('rotate-key')
      .description(
        'make a new audit signing key; the next start hands over to it with a close record signed by the current key',
      )
      .option('--instance-id <id>', 'the instance whose signing key to rotate (keys/instances/<id>/; default main)'),
  ).action(async (opts: DataDirOptions & { instanceId?: string }) => {
    const paths = dataDirPaths(resolveDataDir(opts.dataDir, deps.env ?? process.env));
    if (!existsSync(paths.keysDir)) {
      throw new CliError(
        'NO_DATA_DIR',
        `no data dir keys at ${paths.keysDir}; run \`bank-server init\` or pass --data-dir`,
      );
    }
    const instance = instancePaths(paths, opts.instanceId ?? DEFAULT_INSTANCE_ID);
    if (instance.instanceId !== DEFAULT_INSTANCE_ID && !existsSync(instance.signingKeyPath)) {
      throw new CliError(
        'NO_SIGNING_KEY',
        `instance ${instance.instanceId} has no signing key yet (${instance.signingKeyPath} is made on its first start)`,
      );
    }
    const next = await requestSigningKeyRotation(instance.signingKeysDir);
    const publicKey = Buffer.from(next.publicKey).toString('base64');
    if (existsSync(paths.ledgerDb)) {
      const store = deps.openStore(paths.ledgerDb);
      try {
        recordOperatorAction(deps, store, {
          action: 'audit_key_rotation_requested',
          fingerprint: next.fingerprint,
          ...(instance.instanceId === DEFAULT_INSTANCE_ID ? {} : { instance: instance.instanceId }),
        });
      } finally {
        store.close();
      }
    }
    if (opts.json) {
      deps.out(JSON.stringify({ pending: next.file, fingerprint: next.fingerprint, publicKey }));
      return;
    }
    deps.out(`new audit signing key: ${next.fingerprint} (${publicKey})`);
    deps.out(`  pending in ${next.file}; the next \`bank-server start\` hands over to it (restart a running server)`);
  });
  return audit;
}
