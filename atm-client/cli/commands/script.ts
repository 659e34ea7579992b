import type { Command } from 'commander';
import { createConnector, DEFAULT_TIMEOUT_MS } from '../../client/connector.js';
import { dialTls } from '../../client/tls-dial.js';
import { parseScript, SCRIPT_USAGE } from '../../script/parse-script.js';
import { runScript } from '../../script/run-script.js';
import { scriptVariables } from '../../script/script-variables.js';
import type { AtmIo } from '../atm-io.js';
import { OperationFailed, UsageError } from '../cli-errors.js';
import {
  addConnectionOptions,
  addCredentialOptions,
  collectOptions,
  type RawConnectionOptions,
  resolveConnection,
} from '../connection-options.js';

/** --user/--password/--totp become $ATM_USER/$ATM_PASSWORD/$ATM_TOTP for the script. */
function credentialVariables(opts: RawConnectionOptions): Record<string, string> {
  const vars: Record<string, string> = {};
  if (opts.user !== undefined) vars.ATM_USER = opts.user;
  if (opts.password !== undefined) vars.ATM_PASSWORD = opts.password;
  if (opts.totp !== undefined) vars.ATM_TOTP = opts.totp;
  return vars;
}

/**
 * `atm script <file>`: parse the whole file first (a syntax error names file:line and
 * exits 2 before anything runs), then run it, one PASS/FAIL line per step and the summary
 * `N passed, M failed`; exit 1 when any step failed.
 */
export function registerScriptCommand(program: Command, io: AtmIo): void {
  const command = program
    .command('script <file>')
    .description('run a scripted ATM session and report pass/fail per step')
    .addHelpText(
      'after',
      [
        '',
        'Script statements, one per line; # starts a comment. Variables ($NAME, or NAME in braces',
        'after the $) expand from the environment; $RUN_ID is a fresh id for each run.',
        ...SCRIPT_USAGE.map((usage) => `  ${usage}`),
      ].join('\n'),
    );
  addCredentialOptions(addConnectionOptions(command));
  command.action(async (file: string, _options: unknown, self: Command) => {
    const opts = collectOptions(self);
    let source: string;
    try {
      source = await io.readTextFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(`cannot read script ${file} (${code})`);
    }
    const vars = scriptVariables({ ...io.env, ...credentialVariables(opts) });
    const parsed = parseScript(source, vars);
    if (!parsed.ok) {
      const [first, ...more] = parsed.errors;
      const also = more.length > 0 ? ` (and ${more.length} more syntax error${more.length > 1 ? 's' : ''})` : '';
      throw new UsageError(`${file}:${first?.line ?? 0}: ${first?.message ?? 'syntax error'}${also}`);
    }
    const connection = resolveConnection(opts, io);
    const report = await runScript(parsed.script, {
      connectorFor: (target) => createConnector(target ? { ...connection, ...target } : connection),
      write: (line) => io.stdout(`${line}\n`),
      // TCP and TLS (the certificate checked) to the bank, then closed before any hello.
      reach: async (target) => {
        const where = target ? { ...connection, ...target } : connection;
        const link = await dialTls({
          host: where.host,
          port: where.port,
          timeoutMs: where.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          ...(where.ca === undefined ? {} : { ca: where.ca }),
          ...(where.dangerouslySkipCertificateVerification === true
            ? { dangerouslySkipCertificateVerification: true }
            : {}),
        });
        if (link.ok) link.value.close();
        return link;
      },
    });
    if (report.failed > 0) throw new OperationFailed();
  });
}
