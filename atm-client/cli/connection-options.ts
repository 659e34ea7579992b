import { type Command, Option } from 'commander';
import { DEFAULT_CA_PATH } from '../client/ca-source.js';
import type { ConnectOptions, Credentials } from '../client/types.js';
import type { AtmIo } from './atm-io.js';
import { UsageError } from './cli-errors.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7443;
export const INSECURE_FLAG = '--insecure-skip-certificate-verification';

/** Option values as commander collects them (no commander defaults: env and defaults are applied here). */
export interface RawConnectionOptions {
  host?: string;
  port?: string;
  ca?: string;
  terminalCert?: string;
  terminalKey?: string;
  insecureSkipCertificateVerification?: boolean;
  timeout?: string;
  user?: string;
  password?: string;
  totp?: string;
}

/**
 * --host, --port, --ca, --terminal-cert/--terminal-key, --timeout and the loudly named switch that
 * turns verification off. There is no --terminal: the terminal id is the certificate's CN.
 */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--host <host>', `bank host (env ATM_HOST, default ${DEFAULT_HOST})`)
    .option('--port <port>', `bank port (env ATM_PORT, default ${DEFAULT_PORT})`)
    .option('--ca <file>', `CA certificate that signed the bank's certificate (env ATM_CA, default ${DEFAULT_CA_PATH})`)
    .option(
      '--terminal-cert <file>',
      "this ATM's terminal certificate from `bank-server terminals enroll` (env ATM_TERMINAL_CERT); without it a remote session: no cash",
    )
    .option('--terminal-key <file>', 'the key of the terminal certificate (env ATM_TERMINAL_KEY)')
    .option('--timeout <ms>', 'how long to wait to connect and for each answer (default 10000)')
    .addOption(
      new Option(INSECURE_FLAG, 'DANGER: do not verify the bank certificate (anyone can impersonate the bank)'),
    );
}

/** --user, --password, --totp (env ATM_USER, ATM_PASSWORD, ATM_TOTP). */
export function addCredentialOptions(command: Command): Command {
  return command
    .option('--user <name>', 'account user name (env ATM_USER)')
    .option('--password <password>', 'password (env ATM_PASSWORD; prefer the env var: argv is visible to others)')
    .option('--totp <code>', 'two-factor code, when the account has it enabled (env ATM_TOTP)');
}

/** Option values of this command and its parents; the nearest command wins. */
export function collectOptions(command: Command): RawConnectionOptions & Record<string, unknown> {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  return Object.assign({}, ...chain.map((c) => c.opts()));
}

function positiveInt(text: string, what: string, max: number): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new UsageError(`${what} must be 1-${max}, not ${text}`);
  return Number(text);
}

/** Flags over environment over defaults. */
export function resolveConnection(raw: RawConnectionOptions, io: AtmIo): ConnectOptions {
  const env = io.env;
  const options: ConnectOptions = {
    host: raw.host ?? env.ATM_HOST ?? DEFAULT_HOST,
    port: positiveInt(raw.port ?? env.ATM_PORT ?? String(DEFAULT_PORT), 'port', 65_535),
    ca: raw.ca ?? env.ATM_CA ?? DEFAULT_CA_PATH,
  };
  const terminalCert = raw.terminalCert ?? env.ATM_TERMINAL_CERT;
  const terminalKey = raw.terminalKey ?? env.ATM_TERMINAL_KEY;
  if ((terminalCert === undefined) !== (terminalKey === undefined)) {
    throw new UsageError('--terminal-cert and --terminal-key go together (or ATM_TERMINAL_CERT and ATM_TERMINAL_KEY)');
  }
  if (terminalCert !== undefined) options.terminalCert = terminalCert;
  if (terminalKey !== undefined) options.terminalKey = terminalKey;
  if (raw.timeout !== undefined) options.timeoutMs = positiveInt(raw.timeout, 'timeout', 3_600_000);
  if (raw.insecureSkipCertificateVerification === true) {
    options.dangerouslySkipCertificateVerification = true;
    io.stderr(`WARNING: ${INSECURE_FLAG}: the bank's certificate is NOT checked; do not use this with real money\n`);
  }
  return options;
}

/** Credentials from flags or the environment; a missing one is a usage error. */
export function resolveCredentials(raw: RawConnectionOptions, io: AtmIo): Credentials {
  const user = raw.user ?? io.env.ATM_USER;
  const password = raw.password ?? io.env.ATM_PASSWORD;
  if (!user) throw new UsageError('no user: pass --user or set ATM_USER');
  if (!password) throw new UsageError('no password: set ATM_PASSWORD or pass --password');
  const totp = raw.totp ?? io.env.ATM_TOTP;
  return totp === undefined ? { user, password } : { user, password, totp };
}
