import type { Command } from 'commander';
import { REVERSAL_REASONS, type ReversalReason } from '../../../protocol/index.js';
import { createConnector } from '../../client/connector.js';
import { formatCents, parseMoney } from '../../client/money.js';
import type { BankSession, MutationOptions, Outcome } from '../../client/types.js';
import type { AtmIo } from '../atm-io.js';
import { OperationFailed, UsageError } from '../cli-errors.js';
import {
  addConnectionOptions,
  addCredentialOptions,
  collectOptions,
  resolveConnection,
  resolveCredentials,
} from '../connection-options.js';
import { historyLine, printError } from '../output.js';

type Result = Record<string, unknown>;

/** What one `atm exec` op does once logged in, and how its success reads to a person. */
interface OpRun {
  request(session: BankSession): Promise<Outcome<object>>;
  describe(result: Result): string;
  /** What --json prints, when the bank's result alone (often `{}`) would not say what happened. */
  json?(result: Result): Result;
}

/** A two-factor code as typed: exactly 6 digits, or a usage mistake. */
function totpArg(code: string, what: string): string {
  if (!/^[0-9]{6}$/.test(code)) throw new UsageError(`${what} must be 6 digits, not ${JSON.stringify(code)}`);
  return code;
}

function amountArg(text: string): number {
  const parsed = parseMoney(text);
  if (!parsed.ok) throw new UsageError(parsed.message);
  if (parsed.cents < 1) throw new UsageError('amount must be at least 0.01');
  return parsed.cents;
}

function cents(result: Result, key: string): string {
  const value = result[key];
  return typeof value === 'number' ? formatCents(value) : '?';
}

function replayed(result: Result): string {
  return result.replayed === true ? ' (replayed: this id was already applied)' : '';
}

function mutationOptions(opts: { id?: string }): MutationOptions {
  return opts.id === undefined ? {} : { id: opts.id };
}

const ID_HELP = 'request id to use (retrying with the same id is safe: the bank applies it once)';

/** The `--id` option of every state-changing command. */
const withIdOption = (command: Command): Command => command.option('--id <id>', ID_HELP);

/**
 * `atm exec <op>`: log in (or register), run one request, log out, print the result (JSON
 * with --json). Exit 0 on success, 1 when the bank refuses or cannot be reached (the code on
 * stderr), 2 for a usage mistake.
 */
export function registerExecCommand(program: Command, io: AtmIo): void {
  const exec = program
    .command('exec')
    .description('run one request against the bank and print the result')
    .option('--json', 'print the result as JSON');
  addCredentialOptions(addConnectionOptions(exec));

  const op = (
    usage: string,
    description: string,
    build: (args: (string | undefined)[], opts: Record<string, unknown>) => OpRun,
    configure: (command: Command) => Command = (c) => c,
    login: 'login' | 'register' = 'login',
  ): void => {
    const command = configure(
      exec.command(usage).description(description).option('--json', 'print the result as JSON'),
    );
    addCredentialOptions(addConnectionOptions(command));
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      const args = params.slice(0, -2) as (string | undefined)[];
      const opts = collectOptions(self);
      const run = build(args, opts);
      const connection = resolveConnection(opts, io);
      const credentials = resolveCredentials(opts, io);
      if (credentials.totp !== undefined) totpArg(credentials.totp, '--totp (or ATM_TOTP)');
      const json = opts.json === true;
      const connector = createConnector(connection);
      const opened = login === 'register' ? await connector.register(credentials) : await connector.login(credentials);
      if (!opened.ok) {
        printError(io, opened.error, json);
        throw new OperationFailed();
      }
      const session = opened.value;
      let outcome: Outcome<object>;
      try {
        outcome = await run.request(session);
      } finally {
        await session.logout();
        session.close();
      }
      if (!outcome.ok) {
        printError(io, outcome.error, json);
        throw new OperationFailed();
      }
      const result = outcome.value as Result;
      io.stdout(json ? `${JSON.stringify(run.json ? run.json(result) : result)}\n` : `${run.describe(result)}\n`);
    });
  };

  op('balance', 'show the balance', () => ({
    request: (s) => s.balance(),
    describe: (r) => `balance ${cents(r, 'balanceCents')} ${String(r.currency)}`,
  }));

  for (const [name, done] of [
    ['deposit', 'deposited'],
    ['withdraw', 'withdrew'],
  ] as const) {
    op(
      `${name} <amount>`,
      `${name} an amount (decimal, e.g. 20 or 20.50)`,
      ([amount = ''], opts) => {
        const amountCents = amountArg(amount);
        return {
          request: (s) => s[name](amountCents, mutationOptions(opts)),
          describe: (r) =>
            `${done} ${formatCents(amountCents)}; balance ${cents(r, 'balanceCents')} (tx ${String(r.txId)})${replayed(r)}`,
        };
      },
      withIdOption,
    );
  }

  op(
    'transfer <to> <amount>',
    'transfer an amount to another account',
    ([to = '', amount = ''], opts) => {
      const amountCents = amountArg(amount);
      return {
        request: (s) => s.transfer(to, amountCents, mutationOptions(opts)),
        describe: (r) =>
          `transferred ${formatCents(amountCents)} to ${to}; balance ${cents(r, 'balanceCents')} (tx ${String(r.txId)})${replayed(r)}`,
      };
    },
    withIdOption,
  );

  op(
    'reverse <txId> <reason>',
    `reverse a withdrawal of this account (reason: ${REVERSAL_REASONS.join(', ')})`,
    ([txId = '', reason = ''], opts) => {
      if (!(REVERSAL_REASONS as readonly string[]).includes(reason)) {
        throw new UsageError(`reason must be one of ${REVERSAL_REASONS.join(', ')}, not ${reason}`);
      }
      return {
        request: (s) => s.reverse(txId, reason as ReversalReason, mutationOptions(opts)),
        describe: (r) =>
          `reversed ${String(r.reversedTxId)}; balance ${cents(r, 'balanceCents')} (tx ${String(r.txId)})${replayed(r)}`,
      };
    },
    withIdOption,
  );

  op(
    'history',
    'list recent transactions, newest first',
    (_args, opts) => {
      const query: { limit?: number; before?: string } = {};
      if (opts.limit !== undefined) {
        const text = String(opts.limit);
        if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 100)
          throw new UsageError(`--limit must be 1-100, not ${text}`);
        query.limit = Number(text);
      }
      if (opts.before !== undefined) query.before = String(opts.before);
      return {
        request: (s) => s.history(query),
        describe: (r) => {
          const entries = r.entries as Parameters<typeof historyLine>[0][];
          const lines = entries.length === 0 ? ['no transactions'] : entries.map(historyLine);
          if (typeof r.next === 'string') lines.push(`more: --before ${r.next}`);
          return lines.join('\n');
        },
      };
    },
    (c) =>
      c.option('--limit <n>', 'how many entries (1-100, default 20)').option('--before <txId>', 'page before this tx'),
  );

  op('ping', 'check the connection and the bank clock', () => ({
    request: (s) => s.ping(),
    describe: (r) => `pong; server time ${String(r.serverTime)}`,
  }));

  op(
    'change-password [new-password]',
    'change the password (new one from the argument or env ATM_NEW_PASSWORD)',
    ([next], opts) => {
      const newPassword = next ?? io.env.ATM_NEW_PASSWORD;
      if (!newPassword) throw new UsageError('no new password: pass it or set ATM_NEW_PASSWORD');
      return {
        request: (s) => s.changePassword(resolveCredentials(opts, io).password, newPassword, mutationOptions(opts)),
        describe: (r) => `password changed${replayed(r)}`,
        json: (r) => ({ ...r, passwordChanged: true }),
      };
    },
    withIdOption,
  );

  op(
    'update-contact',
    'update the contact e-mail and/or phone',
    (_args, opts) => {
      const contact: { email?: string; phone?: string } = {};
      if (opts.email !== undefined) contact.email = String(opts.email);
      if (opts.phone !== undefined) contact.phone = String(opts.phone);
      if (contact.email === undefined && contact.phone === undefined) {
        throw new UsageError('update-contact needs --email and/or --phone');
      }
      return {
        request: (s) => s.updateContact(contact, mutationOptions(opts)),
        describe: (r) => `contact updated${replayed(r)}`,
        json: (r) => ({ ...r, contactUpdated: true, ...contact }),
      };
    },
    (c) =>
      c
        .option('--email <address>', 'new e-mail address')
        .option('--phone <number>', 'new phone number')
        .option('--id <id>', ID_HELP),
  );

  op(
    'totp-enroll',
    'start two-factor enrolment (re-checks the password): prints the otpauth URI and secret',
    (_a, opts) => ({
      request: (s) => s.totpEnroll(resolveCredentials(opts, io).password),
      describe: (r) =>
        `otpauth URI: ${String(r.otpauthUri)}\nsecret: ${String(r.secret)}\nconfirm with: atm exec totp-confirm <code>`,
    }),
  );

  // Two-factor login on (finishing enrolment) or off: each takes a current code from the authenticator.
  for (const [name, on, help] of [
    ['totp-confirm', true, 'finish two-factor enrolment with a code from the authenticator'],
    ['totp-disable', false, 'turn two-factor login off (the password and a current code from the authenticator)'],
  ] as const) {
    op(
      `${name} <code>`,
      help,
      ([code = ''], opts) => {
        const checked = totpArg(code, 'the code');
        return {
          request: (s) =>
            on
              ? s.totpConfirm(checked, mutationOptions(opts))
              : s.totpDisable(resolveCredentials(opts, io).password, checked, mutationOptions(opts)),
          describe: (r) => `two-factor login ${on ? 'enabled' : 'disabled'}${replayed(r)}`,
          json: (r) => ({ ...r, twoFactor: on }),
        };
      },
      withIdOption,
    );
  }

  op(
    'open-account <user>',
    'as a teller: open an account for a customer (their password from --customer-password or env ATM_CUSTOMER_PASSWORD)',
    ([user = ''], opts) => {
      const password =
        opts.customerPassword === undefined ? io.env.ATM_CUSTOMER_PASSWORD : String(opts.customerPassword);
      if (!password)
        throw new UsageError('no customer password: pass --customer-password or set ATM_CUSTOMER_PASSWORD');
      return {
        request: (s) => s.openAccount(user, password, mutationOptions(opts)),
        describe: (r) => `opened account ${String(r.user)}${replayed(r)}`,
      };
    },
    (c) =>
      c
        .option('--customer-password <password>', "the new customer's password (prefer env ATM_CUSTOMER_PASSWORD)")
        .option('--id <id>', ID_HELP),
  );

  op(
    'register',
    'open an account with --user/--password (if the bank allows registration)',
    (_args, opts) => {
      const { user } = resolveCredentials(opts, io);
      return {
        request: async () => ({ ok: true, value: {} }),
        describe: () => `registered ${user}`,
        json: () => ({ registered: user }),
      };
    },
    (c) => c,
    'register',
  );
}
