import { hashSync } from 'bcryptjs';
import type { Command } from 'commander';
import { formatCents, passwordProblems } from '../../../protocol/index.js';
import { generateStrongPassword } from '../../auth/index.js';
import { closedUserName } from '../../ledger/index.js';
import { CliError, integerOption } from '../io.js';
import { addExportCommand } from './account-export.js';
import { addRoleCommand, parseRole } from './account-roles.js';
import { LEDGER_URL_OPTION, type ReadOptions, withLedgerReads } from './ledger-reads.js';
import {
  LEDGER_OPTION,
  type LedgerTargetOptions,
  ledgerAction,
  recordLedgerAction,
  rolesUnsupported,
  withLedger,
} from './ledger-target.js';
import {
  type LedgerCommandDeps,
  noSuchAccount,
  operatorGroup,
  printTable,
  requireUser,
  withCommonOptions,
} from './operator-command.js';

export {
  type DataDirOptions,
  formatCents,
  type LedgerCommandDeps,
  ledgerPathOf,
  type OperatorAuditEvent,
  operatorGroup,
  printTable,
  recordOperatorAction,
  withCommonOptions,
  withStore,
} from './operator-command.js';

/**
 * `bank-server accounts list|show|create|lock|unlock|export|close`, on the data dir's ledger or
 * `--ledger <url>` (ledger-target.ts). Safe while servers run: each change is one short
 * transaction (on SQLite it waits out the server's writer, busy_timeout).
 */
export function accountsCommand(deps: LedgerCommandDeps): Command {
  const accounts = operatorGroup('accounts', 'list and administer customer accounts', deps);

  withCommonOptions(accounts.command('list').description('list customer accounts'))
    .option(...LEDGER_URL_OPTION)
    .action((opts: ReadOptions) =>
      withLedgerReads(opts, deps, async (reads) => {
        const rows = await reads.listAccounts();
        if (opts.json) {
          deps.out(JSON.stringify(rows));
          return;
        }
        printTable(
          deps.out,
          ['USER', 'ROLE', 'BALANCE', 'STATUS', 'LOCKED', 'FAILED', '2FA', 'CREATED'],
          rows.map((a) => [
            a.user,
            a.role ?? 'customer',
            formatCents(a.balanceCents),
            a.status,
            a.locked ? 'yes' : 'no',
            String(a.failedLogins),
            a.totpEnabled ? 'on' : 'off',
            a.createdAt,
          ]),
          [2, 5],
        );
        deps.out(`${rows.length} account${rows.length === 1 ? '' : 's'}`);
      }),
    );

  withCommonOptions(accounts.command('show').argument('<user>').description('show one account'))
    .option(...LEDGER_OPTION)
    .action((user: string, opts: LedgerTargetOptions) =>
      withLedger(opts, deps, async (ledger) => {
        const account = await ledger.findAccount(requireUser(user));
        if (!account) throw noSuchAccount(user);
        const role = account.role ?? 'customer';
        const counter = role === 'teller' ? await ledger.tellerTotals(account.id) : null;
        const view = {
          user: account.user,
          role,
          balanceCents: await ledger.balance(account.id),
          status: account.status,
          locked: account.locked,
          failedLogins: account.failedLogins,
          totpEnabled: account.totpEnabled,
          totpPending: account.totpPendingSealed !== null,
          emailOnFile: account.emailSealed !== null,
          phoneOnFile: account.phoneSealed !== null,
          createdAt: account.createdAt,
          ...(counter ? { tellerTotals: counter } : {}),
        };
        if (opts.json) {
          deps.out(JSON.stringify(view));
          return;
        }
        const lines: Array<[string, string]> = [
          ['user', view.user],
          ['role', view.role],
          ['balance', formatCents(view.balanceCents)],
          ['status', view.status],
          ['locked', view.locked ? 'yes' : 'no'],
          ['failed logins', String(view.failedLogins)],
          ['two-factor', view.totpEnabled ? 'on' : view.totpPending ? 'enrolment pending' : 'off'],
          ['e-mail', view.emailOnFile ? 'on file (sealed)' : 'none'],
          ['phone', view.phoneOnFile ? 'on file (sealed)' : 'none'],
          ['created', view.createdAt],
          ...(counter
            ? ([
                ['deposits', `${counter.deposits.count} for ${formatCents(counter.deposits.cents)} (at the counter)`],
                [
                  'withdrawals',
                  `${counter.withdrawals.count} for ${formatCents(counter.withdrawals.cents)} (at the counter)`,
                ],
              ] as Array<[string, string]>)
            : []),
        ];
        for (const [key, value] of lines) deps.out(`${key.padEnd(14)}${value}`);
      }),
    );

  ledgerAction(
    accounts
      .command('create')
      .argument('<user>')
      .description('open an account; prints a generated strong password unless --password is given')
      .option('--password <password>', 'the initial password (must meet the password policy)')
      .option('--bcrypt-cost <n>', 'bcrypt cost for the password hash', integerOption(4, 31), 12)
      .option('--role <role>', 'customer (default) or teller', 'customer'),
    deps,
    async (
      ledger,
      opts: LedgerTargetOptions & { password?: string; bcryptCost: number; role: string },
      user: string,
    ) => {
      requireUser(user);
      const role = parseRole(opts.role);
      if (role !== 'customer' && !ledger.roles) throw rolesUnsupported();
      const generated = opts.password === undefined;
      const password = opts.password ?? generateStrongPassword();
      const problems = passwordProblems(password);
      if (problems.length > 0) {
        throw new CliError('WEAK_PASSWORD', `password refused (${problems.join(', ')}): ${WEAK_PASSWORD_RULE}`);
      }
      if (await ledger.findAccount(user)) throw new CliError('USER_EXISTS', `an account named ${user} already exists`);
      const created = await ledger.createAccount({ user, passwordHash: hashSync(password, opts.bcryptCost), role });
      if (!created.ok) throw new CliError('USER_EXISTS', `an account named ${user} already exists`);
      // A customer's record stays as it always was; a teller's says so.
      const asTeller = role === 'teller' ? { role } : {};
      await recordLedgerAction(deps, ledger, { action: 'account_create', user, ...asTeller });
      if (opts.json) {
        deps.out(JSON.stringify(generated ? { user, ...asTeller, password } : { user, ...asTeller }));
        return;
      }
      deps.out(role === 'teller' ? `created teller account ${user}` : `created account ${user}`);
      if (generated) deps.out(`password: ${password}`);
    },
  );

  for (const locked of [true, false]) {
    const name = locked ? 'lock' : 'unlock';
    ledgerAction(
      accounts
        .command(name)
        .argument('<user>')
        .description(locked ? 'lock an account (logins refused)' : 'unlock an account and reset its failed logins'),
      deps,
      async (ledger, opts: LedgerTargetOptions, user: string) => {
        if (!(await ledger.setLocked(requireUser(user), locked))) throw noSuchAccount(user);
        await recordLedgerAction(deps, ledger, { action: `account_${name}`, user });
        if (opts.json) deps.out(JSON.stringify({ user, locked }));
        else deps.out(locked ? `locked ${user}` : `unlocked ${user} (failed logins reset)`);
      },
    );
  }

  addExportCommand(accounts, deps);

  ledgerAction(
    accounts
      .command('close')
      .argument('<user>')
      .description('close a zero-balance account: anonymise it, wipe credentials and contact data, keep its entries'),
    deps,
    async (ledger, opts: LedgerTargetOptions, user: string) => {
      const account = await ledger.findAccount(requireUser(user));
      if (!account) throw noSuchAccount(user);
      const closed = await ledger.closeAccount(user);
      if (!closed.ok) {
        if (closed.code === 'UNKNOWN_ACCOUNT') throw noSuchAccount(user);
        const balance = formatCents(await ledger.balance(account.id));
        throw new CliError('NONZERO_BALANCE', `${user} still holds ${balance}; only a zero balance can be closed`);
      }
      const anonymous = closedUserName(account.id);
      await recordLedgerAction(deps, ledger, { action: 'account_close', user, anonymisedAs: anonymous });
      if (opts.json) deps.out(JSON.stringify({ user, closed: true, anonymisedAs: anonymous }));
      else deps.out(`closed ${user}; the account is now ${anonymous}`);
    },
  );

  addRoleCommand(accounts, deps, requireUser);

  return accounts;
}

const WEAK_PASSWORD_RULE = 'at least 12 characters with upper, lower, digit and symbol, at most 72 bytes';
