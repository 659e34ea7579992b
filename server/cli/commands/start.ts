import { Command, Option } from 'commander';
import { startBank } from '../../app.js';
import { DEFAULT_SERVER_CONFIG, type ServerConfig } from '../../config.js';
import { resolveDataDir } from '../../data-dir.js';
import { createLogger, guardStdout } from '../../logger.js';
import { DEFAULT_INSTANCE_ID } from '../../setup/open-data-dir.js';
import { type CliIo, integerOption } from '../io.js';
import { ShutdownSignals } from '../shutdown-signals.js';

interface StartOptions {
  dataDir?: string;
  host: string;
  port: number;
  adminPort: number;
  allowRegistration: boolean;
  idleTimeout: number;
  lockoutThreshold: number;
  dailyWithdrawalLimit: number;
  maxAmount: number;
  auditorKey?: string;
  bcryptCost: number;
  maxFailedLoginsPerMinute: number;
  maxConnectionsPerAddress: number;
  reversalWindow: number;
  fraudAction: 'alert' | 'block';
  fraudLargeAmount: number;
  fraudVelocity: number;
  fraudVelocityWindow: number;
  demo: boolean;
  audit: boolean;
  ledgerWorker: boolean;
  logLevel: string;
  instanceId?: string;
  ledger?: string;
  lockoutDuration: number;
  maxSession: number;
  maxRegistrationsPerHour: number;
}

/** The ATM server's options, named as DESIGN.md fixes them. */
export function startCommand(io: CliIo): Command {
  const d = DEFAULT_SERVER_CONFIG;
  return new Command('start')
    .description('start the bank server (TLS ATM port + admin HTTP on 127.0.0.1)')
    .option('--data-dir <dir>', 'everything the server keeps (default: env BANK_DATA_DIR, else ./bank-data)')
    .option('--host <addr>', 'listen address', d.host)
    .option('--port <n>', 'ATM port; 0 = any free port', integerOption(0, 65535), d.port)
    .option('--admin-port <n>', 'admin HTTP port on 127.0.0.1; 0 = any free port', integerOption(0, 65535), d.adminPort)
    .option('--allow-registration', 'accept auth.method = register', false)
    .option('--idle-timeout <sec>', 'close idle sessions after this many seconds', integerOption(1), d.idleTimeoutSec)
    .option(
      '--lockout-threshold <n>',
      'consecutive failed logins that lock an account',
      integerOption(1),
      d.lockoutThreshold,
    )
    .option(
      '--daily-withdrawal-limit <cents>',
      'per account per UTC day, in cents',
      integerOption(0),
      d.dailyWithdrawalLimitCents,
    )
    .option('--max-amount <cents>', 'largest amount per request, in cents', integerOption(1), d.maxAmountCents)
    .option('--auditor-key <file>', "auditor's X25519 public key (default: the data dir's keys/auditor.pub)")
    .option('--bcrypt-cost <n>', 'password hashing cost', integerOption(4, 31), d.bcryptCost)
    .option(
      '--max-failed-logins-per-minute <n>',
      'failed logins per source address per minute before RATE_LIMITED',
      integerOption(1),
      d.maxFailedLoginsPerMinute,
    )
    .option(
      '--max-connections-per-address <n>',
      'concurrent connections per source address',
      integerOption(1),
      d.maxConnectionsPerAddress,
    )
    .option('--reversal-window <sec>', 'how long a withdrawal can be reversed', integerOption(0), d.reversalWindowSec)
    .addOption(
      new Option('--fraud-action <action>', 'what a tripped fraud rule does')
        .choices(['alert', 'block'])
        .default('alert'),
    )
    .option(
      '--fraud-large-amount <cents>',
      'fraud rule: one amount above this raises an alert',
      integerOption(1),
      d.fraudLargeAmountCents,
    )
    .option(
      '--fraud-velocity <n>',
      'fraud rule: more than n withdrawals or transfers within the window raise an alert',
      integerOption(1),
      d.fraudVelocityCount,
    )
    .option('--fraud-velocity-window <sec>', 'the velocity window', integerOption(1), d.fraudVelocityWindowSec)
    .option(
      '--ledger <url>',
      'the ledger: sqlite:<file> or postgres://user@host:port/db (default: env BANK_LEDGER_URL, else sqlite:<data-dir>/ledger.db)',
    )
    .option(
      '--instance-id <id>',
      "this instance's name: lock, audit chain, metrics label (default: env BANK_INSTANCE_ID, else main)",
    )
    .option(
      '--lockout-duration <sec>',
      'lock period after the lockout threshold (doubles per repeat lock within 24 h, at most 4 h); 0 = until an operator unlocks',
      integerOption(0),
      d.lockoutDurationSec,
    )
    .option('--max-session <sec>', 'longest a session lives, however active', integerOption(1), d.maxSessionSec)
    .option(
      '--max-registrations-per-hour <n>',
      'new accounts per source address per hour',
      integerOption(1),
      d.maxRegistrationsPerHour,
    )
    .option('--demo', 'create the demo account (user "demo") on first start and print its password', false)
    .option('--no-audit', 'benchmark only: turn the audit logs off')
    .option('--no-ledger-worker', 'benchmark only: run the ledger writer on the main thread')
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'),
    )
    .action(async (opts: StartOptions) => {
      const config: ServerConfig = {
        ...d,
        dataDir: resolveDataDir(opts.dataDir, io.env),
        host: opts.host,
        port: opts.port,
        adminPort: opts.adminPort,
        allowRegistration: opts.allowRegistration,
        idleTimeoutSec: opts.idleTimeout,
        lockoutThreshold: opts.lockoutThreshold,
        dailyWithdrawalLimitCents: opts.dailyWithdrawalLimit,
        maxAmountCents: opts.maxAmount,
        auditorKeyFile: opts.auditorKey,
        bcryptCost: opts.bcryptCost,
        maxFailedLoginsPerMinute: opts.maxFailedLoginsPerMinute,
        maxConnectionsPerAddress: opts.maxConnectionsPerAddress,
        reversalWindowSec: opts.reversalWindow,
        fraudAction: opts.fraudAction,
        fraudLargeAmountCents: opts.fraudLargeAmount,
        fraudVelocityCount: opts.fraudVelocity,
        fraudVelocityWindowSec: opts.fraudVelocityWindow,
        demo: opts.demo,
        auditEnabled: opts.audit,
        ledgerWorker: opts.ledgerWorker,
        instanceId: opts.instanceId ?? io.env.BANK_INSTANCE_ID ?? DEFAULT_INSTANCE_ID,
        ...ledgerUrlOf(opts.ledger ?? io.env.BANK_LEDGER_URL),
        lockoutDurationSec: opts.lockoutDuration,
        maxSessionSec: opts.maxSession,
        maxRegistrationsPerHour: opts.maxRegistrationsPerHour,
      };
      // The demo password goes to stderr: a closed stderr must not take the server down either.
      guardStdout(process.stderr);
      const logger = createLogger({ pretty: process.stdout.isTTY === true, level: opts.logLevel });
      // Signals are caught from the first moment: a Ctrl-C while the server starts, or a second
      // one while it stops, must not kill it before it has written its audit close record.
      const signals = new ShutdownSignals();
      try {
        const bank = await startBank(config, { logger });
        if (bank.demoPassword) {
          // Shown once on the terminal, never through the logger: a password is not a log line.
          io.err(`demo account created: user demo, password ${bank.demoPassword} (shown once; keep it)`);
        }
        logger.info(
          { port: bank.port, adminPort: bank.adminPort, host: config.host, dataDir: bank.dataDir },
          'listening',
        );
        const signal = await signals.next();
        logger.info({ signal }, 'shutting down');
        signals.onRepeat((again) => logger.warn({ signal: again }, 'already shutting down'));
        try {
          await bank.stop();
          logger.info('stopped');
        } catch (err) {
          logger.error({ err }, 'shutdown failed');
          process.exitCode = 1;
        }
      } finally {
        signals.dispose();
      }
    });
}

function ledgerUrlOf(url: string | undefined): { ledgerUrl?: string } {
  return url === undefined || url === '' ? {} : { ledgerUrl: url };
}
