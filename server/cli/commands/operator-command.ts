/** What every ledger-side operator command shares: deps, common options, the store, auditing, tables. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { formatCents, USER_PATTERN } from '../../../protocol/index.js';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
import type { LedgerStore } from '../../ledger/index.js';
import { operatorIdentity } from '../../setup/operator-identity.js';
import { CliError } from '../io.js';

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

/** A user name as the protocol allows it, else INVALID_USER. */
export function requireUser(user: string): string {
  if (!USER_PATTERN.test(user)) {
    throw new CliError(
      'INVALID_USER',
      `"${user.slice(0, 40)}" is not a user name (3-32 of a-z 0-9 _ . -, starting with a letter)`,
    );
  }
  return user;
}

export function noSuchAccount(user: string): CliError {
  return new CliError('UNKNOWN_ACCOUNT', `no account named ${user}`);
}
