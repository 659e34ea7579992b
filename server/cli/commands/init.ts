import { join } from 'node:path';
import { Command } from 'commander';
import { AUDIT_KEY_FILES, prepareAuditKeys } from '../../../audit/index.js';
import { type DataDirPaths, resolveDataDir } from '../../data-dir.js';
import { openDataDir } from '../../setup/open-data-dir.js';
import { prepareDataDir } from '../../setup/prepare-data-dir.js';
import type { CliIo } from '../io.js';

/** Create the data dir (CA, server certificate, keys, ledger) without starting the server. */
export function initCommand(io: CliIo): Command {
  return new Command('init')
    .description('create the data dir: dev CA + server certificate, keys, empty ledger')
    .option('--data-dir <dir>', 'data dir (default: env BANK_DATA_DIR, else ./bank-data)')
    .option('--auditor-key <file>', "auditor's X25519 public key (else a demo auditor pair is made in the data dir)")
    .action(async (opts: { dataDir?: string; auditorKey?: string }) => {
      // Locked like a start, and checked against its manifest: init never replaces a listed file.
      const opened = await openDataDir({
        dataDir: resolveDataDir(opts.dataDir, io.env),
        instanceId: null,
        auditorKeyFile: opts.auditorKey,
      });
      let keys: Awaited<ReturnType<typeof prepareAuditKeys>>;
      let paths: DataDirPaths;
      try {
        paths = (await prepareDataDir(opened.paths.root)).paths;
        keys = await prepareAuditKeys({
          keysDir: paths.keysDir,
          ...(opts.auditorKey === undefined ? {} : { auditorKeyFile: opts.auditorKey }),
        });
        keys.signingSecretKey.fill(0);
        await opened.commit();
      } finally {
        await opened.release();
      }
      io.out(`data dir ready: ${paths.root}`);
      io.out(`  CA certificate (give to ATMs): ${paths.caCert}`);
      io.out(`  terminal CA (signs ATM certificates: \`bank-server terminals enroll\`): ${paths.terminalCaCert}`);
      io.out(`  ledger: ${paths.ledgerDb}`);
      // Not a secret: the auditor writes this down now, out of band, and pins it (bank-audit verify --signer).
      io.out(`  audit signing key: ${join(paths.keysDir, AUDIT_KEY_FILES.signingPublic)}`);
      io.out(`  audit signing key fingerprint: ${keys.signingFingerprint}`);
      io.out(`  audit signing public key: ${Buffer.from(keys.signingPublicKey).toString('base64')}`);
      if (keys.demoAuditorSecretPath) {
        io.err(
          `warning: demo auditor secret key at ${keys.demoAuditorSecretPath} sits beside the logs; use \`bank-audit keygen\` and --auditor-key for real use`,
        );
      }
    });
}
