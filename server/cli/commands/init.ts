import { Command } from 'commander';
import { prepareAuditKeys } from '../../../audit/index.js';
import { type DataDirPaths, resolveDataDir } from '../../data-dir.js';
import { isPostgresUrl } from '../../ledger/ledger-backend.js';
import { initFromDataDir } from '../../setup/init-from.js';
import { checkLedgerUrl, describeLedgerInit, initLedger } from '../../setup/init-ledger.js';
import { openDataDir } from '../../setup/open-data-dir.js';
import { prepareDataDir } from '../../setup/prepare-data-dir.js';
import { CliError, type CliIo } from '../io.js';

interface InitOptions {
  dataDir?: string;
  auditorKey?: string;
  from?: string;
  ledger?: string;
}

/**
 * Create the data dir (CA, server certificate, keys, ledger) without starting the server; or,
 * with --from, a data dir for another instance sharing the keys and CAs of an existing one; with
 * --ledger, create (or migrate) that ledger's schema instead of the data dir's ledger.db.
 */
export function initCommand(io: CliIo): Command {
  return new Command('init')
    .description('create the data dir: dev CA + server certificate, keys, empty ledger')
    .option('--data-dir <dir>', 'data dir (default: env BANK_DATA_DIR, else ./bank-data)')
    .option('--auditor-key <file>', "auditor's X25519 public key (else a demo auditor pair is made in the data dir)")
    .option(
      '--from <data-dir>',
      "a new data dir for another instance: copy ONLY the data key, the server CA, the terminal CA and the auditor's public key from this data dir",
    )
    .option('--ledger <url>', 'create or migrate the schema of this ledger: postgres://… or sqlite:<file>')
    .action(async (opts: InitOptions) => {
      const dataDir = resolveDataDir(opts.dataDir, io.env);
      if (opts.ledger !== undefined) checkLedgerUrl(opts.ledger);
      // A database that cannot be reached fails the command before any file is made.
      const early = opts.ledger !== undefined && isPostgresUrl(opts.ledger) ? await initLedger(opts.ledger) : null;
      if (opts.from !== undefined) {
        if (opts.auditorKey !== undefined) {
          throw new CliError('INVALID_OPTION', "--from copies the auditor's public key; leave out --auditor-key");
        }
        const made = await initFromDataDir({ source: opts.from, target: dataDir });
        io.out(`data dir ready for another instance: ${made.paths.root}`);
        io.out(`  copied from ${made.source}: ${made.copied.join(', ')}`);
        io.out(`  server certificate issued by the shared CA: ${made.paths.serverCert}`);
        io.out(`  CA certificate (ATMs already trust it): ${made.paths.caCert}`);
        io.out(
          '  no ledger, audit log or signing key: its first start makes its own audit chain and signing key (keys/instances/<id>/audit-signing.pub to give the auditor)',
        );
      } else {
        await initDataDir(io, dataDir, opts);
      }
      if (opts.ledger !== undefined) {
        io.out(`  ledger ${describeLedgerInit(early ?? (await initLedger(opts.ledger)))}`);
      }
    });
}

/** The data dir of instance `main` (and of the default SQLite ledger unless --ledger names another). */
async function initDataDir(io: CliIo, dataDir: string, opts: InitOptions): Promise<void> {
  // Locked like a start, and checked against its manifest: init never replaces a listed file.
  const opened = await openDataDir({
    dataDir,
    instanceId: null,
    auditorKeyFile: opts.auditorKey,
    ledgerUrl: opts.ledger,
  });
  let keys: Awaited<ReturnType<typeof prepareAuditKeys>>;
  let paths: DataDirPaths;
  try {
    paths = (await prepareDataDir(opened.paths.root)).paths;
    keys = await prepareAuditKeys({
      keysDir: paths.keysDir,
      signingKeyPath: opened.instance.signingKeyPath,
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
  if (opts.ledger === undefined) io.out(`  ledger: ${paths.ledgerDb}`);
  // Not a secret: the auditor writes this down now, out of band, and pins it (bank-audit verify --signer).
  io.out(`  audit signing key: ${keys.signingPublicKeyPath}`);
  io.out(`  audit signing key fingerprint: ${keys.signingFingerprint}`);
  io.out(`  audit signing public key: ${Buffer.from(keys.signingPublicKey).toString('base64')}`);
  if (keys.demoAuditorSecretPath) {
    io.err(
      `warning: demo auditor secret key at ${keys.demoAuditorSecretPath} sits beside the logs; use \`bank-audit keygen\` and --auditor-key for real use`,
    );
  }
}
