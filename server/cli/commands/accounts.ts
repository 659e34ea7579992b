import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hashSync } from 'bcryptjs';
import { Command } from 'commander';
import { formatCents, passwordProblems, USER_PATTERN } from '../../../protocol/index.js';
import { generateStrongPassword } from '../../auth/index.js';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
import { closedUserName, type LedgerStore } from '../../ledger/index.js';
import { readDataKey } from '../../secrets/data-key.js';
import { PiiBox } from '../../secrets/pii-box.js';
import { operatorIdentity } from '../../setup/operator-identity.js';
import { CliError, integerOption } from '../io.js';
import { addRoleCommand, parseRole } from './account-roles.js';
import { LEDGER_URL_OPTION, type ReadOptions, withLedgerReads } from './ledger-reads.js';
import {
  LEDGER_OPTION,
  type LedgerTargetOptions,
  recordLedgerAction,
  rolesUnsupported,
  withLedger,
} from './ledger-target.js';

/** An operator action as the audit log takes it; `detail` never holds a secret. */
export interface OperatorAuditEvent {
  kind: 'operator_action';
  actor: 'operator';
  detail: Record<string, unknown>;
}

/** What the ledger-side operator commands need; main.ts passes real ones, tests their own. */
export interface LedgerCommandDeps {
  /** Open the SQLite ledger at this file path (the data dir's ledger.db), e.g. `openLedger`. */
  openStore(ledgerPath: string): LedgerStore;
  out: (line: string) => void;
  /** Where commander's own usage errors go; defaults to stderr. */
  err?: (line: string) => void;
  /** For BANK_DATA_DIR; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  audit?: { record(event: OperatorAuditEvent): void };
}

export interface DataDirOptions {
  dataDir?: string;
  json: boolean;
}

/**
 * A command group whose subcommands inherit output and exit handling: commander copies these
 * settings only to subcommands created after they are set, so every group starts here.
 */
export function operatorGroup(name: string, description: string, deps: LedgerCommandDeps): Command {
  const err = deps.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new Command(name)
    .description(description)
    .configureOutput({ writeOut: (s) => deps.out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .exitOverride();
}

/** `--data-dir` and `--json`, the options every ledger-side command takes. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the server data dir (default: env BANK_DATA_DIR, else ./bank-data)')
    .option('--json', 'machine-readable JSON output', false);
}

export function ledgerPathOf(opts: DataDirOptions, deps: LedgerCommandDeps): string {
  const path = dataDirPaths(resolveDataDir(opts.dataDir, deps.env ?? process.env)).ledgerDb;
  // Opening a missing file would quietly create an empty ledger in the wrong place.
  if (!existsSync(path)) {
    throw new CliError('NO_LEDGER', `no ledger at ${path}; run \`bank-server init\` or pass --data-dir`);
  }
  return path;
}

/** Open the store for one command and always close it. */
export async function withStore<T>(
  opts: DataDirOptions,
  deps: LedgerCommandDeps,
  run: (store: LedgerStore) => T | Promise<T>,
): Promise<T> {
  const store = deps.openStore(ledgerPathOf(opts, deps));
  try {
    return await run(store);
  } finally {
    store.close();
  }
}

/**
 * Queue the action in the ledger (the running server, or the next one to start, writes it to the
 * audit log it owns) and tell any in-process audit sink. The OS user and host that ran it go
 * with it. Call it only once the action is done: a refused action is not an action taken.
 */
export function recordOperatorAction(
  deps: LedgerCommandDeps,
  store: LedgerStore,
  detail: Record<string, unknown>,
): void {
  const attributed = { ...detail, ...operatorIdentity(deps.env) };
  store.enqueueOperatorAction(attributed);
  deps.audit?.record({ kind: 'operator_action', actor: 'operator', detail: attributed });
}

/** Cents as a decimal amount, e.g. 123456 → "1234.56" (protocol/'s one formatter). */
export { formatCents };

/** Left-aligned columns under a header; numbers in `rightAligned` columns are right-aligned. */
export function printTable(
  out: (line: string) => void,
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  rightAligned: readonly number[] = [],
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out(line(header));
  for (const row of rows) out(line(row));
}

function requireUser(user: string): string {
  if (!USER_PATTERN.test(user)) {
    throw new CliError(
      'INVALID_USER',
      `"${user.slice(0, 40)}" is not a user name (3-32 of a-z 0-9 _ . -, starting with a letter)`,
    );
  }
  return user;
}

function noSuchAccount(user: string): CliError {
  return new CliError('UNKNOWN_ACCOUNT', `no account named ${user}`);
}

async function loadPiiBox(dataKeyPath: string): Promise<PiiBox | null> {
  if (!existsSync(dataKeyPath)) return null;
  try {
    return new PiiBox(await readDataKey(dataKeyPath));
  } catch (error) {
    throw new CliError('DATA_KEY_INVALID', (error as Error).message);
  }
}

function openSealed(box: PiiBox | null, sealed: unknown): string | null {
  if (typeof sealed !== 'string') return null;
  if (!box) return null;
  return box.open(sealed) ?? '(cannot be opened with this data key)';
}

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

  withCommonOptions(
    accounts
      .command('create')
      .argument('<user>')
      .description('open an account; prints a generated strong password unless --password is given')
      .option('--password <password>', 'the initial password (must meet the password policy)')
      .option('--bcrypt-cost <n>', 'bcrypt cost for the password hash', integerOption(4, 31), 12)
      .option('--role <role>', 'customer (default) or teller', 'customer')
      .option(...LEDGER_OPTION),
  ).action((user: string, opts: LedgerTargetOptions & { password?: string; bcryptCost: number; role: string }) =>
    withLedger(opts, deps, async (ledger) => {
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
    }),
  );

  for (const locked of [true, false]) {
    const name = locked ? 'lock' : 'unlock';
    withCommonOptions(
      accounts
        .command(name)
        .argument('<user>')
        .description(locked ? 'lock an account (logins refused)' : 'unlock an account and reset its failed logins')
        .option(...LEDGER_OPTION),
    ).action((user: string, opts: LedgerTargetOptions) =>
      withLedger(opts, deps, async (ledger) => {
        if (!(await ledger.setLocked(requireUser(user), locked))) throw noSuchAccount(user);
        await recordLedgerAction(deps, ledger, { action: `account_${name}`, user });
        if (opts.json) deps.out(JSON.stringify({ user, locked }));
        else deps.out(locked ? `locked ${user}` : `unlocked ${user} (failed logins reset)`);
      }),
    );
  }

  withCommonOptions(
    accounts
      .command('export')
      .argument('<user>')
      .description('write everything held about a customer as JSON (contact data opened with the data key)')
      .option('--out <file>', 'write to this new file (mode 0600) instead of stdout')
      .option(...LEDGER_OPTION),
  ).action(async (user: string, opts: LedgerTargetOptions & { out?: string }) => {
    const paths = dataDirPaths(resolveDataDir(opts.dataDir, deps.env ?? process.env));
    const held = await withLedger(opts, deps, (ledger) => ledger.exportAccount(requireUser(user)));
    if (!held) throw noSuchAccount(user);
    const box = await loadPiiBox(paths.dataKey);
    const { emailSealed, phoneSealed, ...rest } = held as Record<string, unknown>;
    const document = {
      exportedAt: new Date().toISOString(),
      ...rest,
      email: openSealed(box, emailSealed),
      phone: openSealed(box, phoneSealed),
      ...(box ? {} : { emailSealed, phoneSealed, note: `no data key at ${paths.dataKey}; contact data left sealed` }),
    };
    box?.wipe();
    const text = JSON.stringify(document, null, 2);
    // Audited once the data has left: an export refused (file exists) is not recorded as done.
    const audited = () =>
      withLedger(opts, deps, (ledger) =>
        recordLedgerAction(deps, ledger, { action: 'account_export', user, to: opts.out ?? 'stdout' }),
      );
    if (opts.out === undefined) {
      deps.out(text);
      await audited();
      return;
    }
    try {
      await writeFile(opts.out, `${text}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        'EXPORT_WRITE_FAILED',
        code === 'EEXIST'
          ? `${opts.out} already exists; choose a new file`
          : `cannot write ${opts.out}: ${code ?? error}`,
      );
    }
    await audited();
    deps.out(opts.json ? JSON.stringify({ user, file: opts.out }) : `exported ${user} to ${opts.out}`);
  });

  withCommonOptions(
    accounts
      .command('close')
      .argument('<user>')
      .description('close a zero-balance account: anonymise it, wipe credentials and contact data, keep its entries')
      .option(...LEDGER_OPTION),
  ).action((user: string, opts: LedgerTargetOptions) =>
    withLedger(opts, deps, async (ledger) => {
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
    }),
  );

  addRoleCommand(accounts, deps, requireUser);

  return accounts;
}

const WEAK_PASSWORD_RULE = 'at least 12 characters with upper, lower, digit and symbol, at most 72 bytes';
