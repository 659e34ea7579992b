import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { requestSigningKeyRotation } from '../../../audit/index.js';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
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
      ),
  ).action(async (opts: DataDirOptions) => {
    const paths = dataDirPaths(resolveDataDir(opts.dataDir, deps.env ?? process.env));
    if (!existsSync(paths.keysDir)) {
      throw new CliError(
        'NO_DATA_DIR',
        `no data dir keys at ${paths.keysDir}; run \`bank-server init\` or pass --data-dir`,
      );
    }
    const next = await requestSigningKeyRotation(paths.keysDir);
    const publicKey = Buffer.from(next.publicKey).toString('base64');
    if (existsSync(paths.ledgerDb)) {
      const store = deps.openStore(paths.ledgerDb);
      try {
        recordOperatorAction(deps, store, { action: 'audit_key_rotation_requested', fingerprint: next.fingerprint });
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
