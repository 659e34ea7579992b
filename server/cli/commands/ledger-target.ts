import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ProtocolError } from '../../../protocol/index.js';
import {
  type AccountRole,
  DEFAULT_LEDGER_CONFIG,
  recordTerminalCount,
  setRole,
  type TellerTotals,
  tellerTotals,
} from '../../ledger/index.js';
import {
  type CreateAccountResult,
  isPostgresUrl,
  type LedgerBackend,
  SqliteLedgerBackend,
} from '../../ledger/ledger-backend.js';
import { operatorIdentity } from '../../setup/operator-identity.js';
import { assembleDayReport, buildDayReport, type DayReport, dayBounds } from '../../terminals/terminal-report.js';
import { CliError } from '../io.js';
import { type DataDirOptions, type LedgerCommandDeps, ledgerPathOf, withCommonOptions } from './operator-command.js';

/**
 * Open the ledger an operator command names, as one asynchronous interface: `--ledger <url>`
 * (env BANK_LEDGER_URL) as `postgres://…` / `postgresql://…` or `sqlite:<file>`, else the data
 * dir's ledger.db. The commands run the same code on either; what the LedgerBackend interface
 * has no method for (a teller's totals, counts, the day report, roles) is added here per backend.
 */

/** The option every ledger command takes. */
export const LEDGER_OPTION = [
  '--ledger <url>',
  "the ledger: postgres://… or sqlite:<file> (default: env BANK_LEDGER_URL, else the data dir's ledger.db)",
] as const;

export type LedgerTargetOptions = DataDirOptions & { ledger?: string };

/** Where a command's ledger is. */
export type LedgerTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

type Counted = { ok: true; cashCents: number } | { ok: false; code: 'UNKNOWN_TERMINAL' | 'INVALID_AMOUNT' };

/** What the operator commands use of a ledger. */
export interface OperatorLedger
  extends Pick<
    LedgerBackend,
    | 'kind'
    | 'findAccount'
    | 'balance'
    | 'listAccounts'
    | 'listAlerts'
    | 'exportAccount'
    | 'setLocked'
    | 'closeAccount'
    | 'enqueueOperatorAction'
    | 'enrollTerminal'
    | 'revokeTerminal'
    | 'findTerminal'
    | 'listTerminals'
    | 'moveTerminalCash'
  > {
  /** Whether accounts have roles (teller): a SQLite ledger's schema has them, PostgreSQL's not yet. */
  readonly roles: boolean;
  createAccount(input: { user: string; passwordHash: string; role: AccountRole }): Promise<CreateAccountResult>;
  setRole(user: string, role: AccountRole): Promise<boolean>;
  /** All the cash a teller moved at the counter. */
  tellerTotals(accountId: number): Promise<Omit<TellerTotals, 'teller'>>;
  countTerminal(input: { id: string; countedCents: number }): Promise<Counted>;
  dayReport(day: string): Promise<DayReport>;
  /** Today's UTC day: the database's on PostgreSQL, this machine's on SQLite (the one that writes it). */
  today(): Promise<string>;
}

/** The ledger `--ledger` / BANK_LEDGER_URL names, else the data dir's file (which must exist). */
export function ledgerTargetOf(opts: LedgerTargetOptions, deps: LedgerCommandDeps): LedgerTarget {
  const url = opts.ledger ?? (deps.env ?? process.env).BANK_LEDGER_URL;
  if (url === undefined || url === '') return { kind: 'sqlite', path: ledgerPathOf(opts, deps) };
  if (isPostgresUrl(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) {
    const path = url.slice('sqlite:'.length);
    // Opening a missing file would quietly create an empty ledger in the wrong place.
    if (!existsSync(path)) throw new CliError('NO_LEDGER', `no ledger at ${path}; run \`bank-server init\``);
    return { kind: 'sqlite', path };
  }
  throw new CliError('INVALID_OPTION', `--ledger takes sqlite:<file> or postgres://…, not "${url.split(':')[0]}:…"`);
}

/**
 * Run `work` on the command's ledger and always close it. PostgreSQL is opened without
 * migrating (its schema version must be this program's), read-only with `readOnly`. A ledger
 * failure becomes one line naming the cause (LEDGER_ERROR), never a stack trace.
 */
export async function withLedger<T>(
  opts: LedgerTargetOptions,
  deps: LedgerCommandDeps,
  work: (ledger: OperatorLedger) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const target = ledgerTargetOf(opts, deps);
  let cause: unknown;
  const onError = (error: unknown) => {
    cause = error;
  };
  const ledger =
    target.kind === 'postgres'
      ? await openPostgres(target.url, onError, options)
      : openSqlite(target.path, deps, onError);
  try {
    return await work(ledger.operator);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    throw new CliError('LEDGER_ERROR', `the ledger failed (${error.code})${why}`);
  } finally {
    await ledger.close();
  }
}

/**
 * A subcommand that works on the ledger: it gets `--ledger` (after its own options), then
 * `--data-dir` and `--json`, and its action runs `run` with the open ledger (closed after, see
 * {@link withLedger}), the options and the command's arguments in order.
 */
export function ledgerAction<O extends LedgerTargetOptions>(
  command: Command,
  deps: LedgerCommandDeps,
  run: (ledger: OperatorLedger, opts: O, ...args: string[]) => Promise<void>,
): Command {
  // commander calls an action with the arguments, then the options, then the command.
  return withCommonOptions(command.option(...LEDGER_OPTION)).action((...params: unknown[]) => {
    const opts = params.at(-2) as O;
    const args = params.slice(0, -2) as string[];
    return withLedger(opts, deps, (ledger) => run(ledger, opts, ...args));
  });
}

/**
 * Queue an operator action in the ledger (a running server, or the next one to start, writes it
 * to the audit log it owns) and tell any in-process audit sink. The OS user and host that ran it
 * go with it. Call it only once the action is done: a refused action is not an action taken.
 */
export async function recordLedgerAction(
  deps: LedgerCommandDeps,
  ledger: OperatorLedger,
  detail: Record<string, unknown>,
): Promise<void> {
  const attributed = { ...detail, ...operatorIdentity(deps.env) };
  await ledger.enqueueOperatorAction(attributed);
  deps.audit?.record({ kind: 'operator_action', actor: 'operator', detail: attributed });
}

/** `accounts role` and `create --role teller` where the ledger has no roles. */
export function rolesUnsupported(): CliError {
  return new CliError(
    'ROLES_UNSUPPORTED',
    'account roles (teller) need a SQLite ledger; the PostgreSQL ledger has no roles column yet',
  );
}

interface Opened {
  operator: OperatorLedger;
  close(): Promise<void>;
}

/** The methods both backends implement alike, bound to `backend`. */
function common(backend: LedgerBackend) {
  return {
    kind: backend.kind,
    findAccount: (user: string) => backend.findAccount(user),
    balance: (id: number) => backend.balance(id),
    listAccounts: () => backend.listAccounts(),
    listAlerts: (options?: { limit?: number }) => backend.listAlerts(options),
    exportAccount: (user: string) => backend.exportAccount(user),
    setLocked: (user: string, locked: boolean) => backend.setLocked(user, locked),
    closeAccount: (user: string) => backend.closeAccount(user),
    enqueueOperatorAction: (detail: Record<string, unknown>) => backend.enqueueOperatorAction(detail),
    enrollTerminal: (input: { id: string; fingerprint: string }) => backend.enrollTerminal(input),
    revokeTerminal: (id: string) => backend.revokeTerminal(id),
    findTerminal: (id: string) => backend.findTerminal(id),
    listTerminals: () => backend.listTerminals(),
    moveTerminalCash: (input: { id: string; kind: 'load' | 'unload'; amountCents: number }) =>
      backend.moveTerminalCash(input),
  };
}

/** The data dir's (or a `sqlite:` file's) store, its writes through one serialised writer like the server's. */
function openSqlite(path: string, deps: LedgerCommandDeps, onJobError: (error: unknown) => void): Opened {
  const backend = new SqliteLedgerBackend(deps.openStore(path), DEFAULT_LEDGER_CONFIG, { onJobError });
  const { store, writer } = backend;
  const operator: OperatorLedger = {
    ...common(backend),
    roles: true,
    createAccount: (input) => writer.submit((s) => s.createAccount(input)),
    setRole: (user, role) => writer.submit((s) => setRole(s, user, role)),
    tellerTotals: async (accountId) => {
      const [totals] = tellerTotals(store, 0, Number.MAX_SAFE_INTEGER, accountId);
      return {
        deposits: totals?.deposits ?? { count: 0, cents: 0 },
        withdrawals: totals?.withdrawals ?? { count: 0, cents: 0 },
      };
    },
    countTerminal: (input) => writer.submit((s) => recordTerminalCount(s, { ...input, nowMs: Date.now() })),
    dayReport: async (day) => buildDayReport(store, day),
    today: async () => new Date().toISOString().slice(0, 10),
  };
  return { operator, close: () => backend.close() };
}

async function openPostgres(
  url: string,
  onError: (error: unknown) => void,
  options: { readOnly?: boolean },
): Promise<Opened> {
  const { PostgresLedger } = await import('../../ledger/postgres/postgres-ledger.js');
  const { pgDayReportRows, pgToday } = await import('../../ledger/postgres/pg-terminal-report.js');
  const backend = await PostgresLedger.open(url, {
    config: DEFAULT_LEDGER_CONFIG,
    poolSize: 2,
    onError,
    ...(options.readOnly ? { readOnly: true } : { checkSchemaOnly: true }),
  }).catch((error: unknown) => {
    throw new CliError('NO_LEDGER', error instanceof Error ? error.message : String(error));
  });
  const guard = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      onError(error);
      throw new ProtocolError('INTERNAL');
    }
  };
  const operator: OperatorLedger = {
    ...common(backend),
    roles: false,
    createAccount: async ({ role, ...input }) => {
      if (role !== 'customer') throw rolesUnsupported();
      return backend.createAccount(input);
    },
    setRole: async () => {
      throw rolesUnsupported();
    },
    // No account on a PostgreSQL ledger is a teller.
    tellerTotals: async () => ({ deposits: { count: 0, cents: 0 }, withdrawals: { count: 0, cents: 0 } }),
    countTerminal: (input) => backend.terminals.count(input),
    dayReport: async (day) => {
      const { start, end } = dayBounds(day);
      return assembleDayReport(day, await guard(pgDayReportRows(backend.pool, start, end)));
    },
    today: () => guard(pgToday(backend.pool)),
  };
  return { operator, close: () => backend.close() };
}
