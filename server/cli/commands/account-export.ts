/** `bank-server accounts export`: everything held about a customer, contact data opened with the data key. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
import { readDataKey } from '../../secrets/data-key.js';
import { PiiBox } from '../../secrets/pii-box.js';
import { CliError } from '../io.js';
import { LEDGER_OPTION, type LedgerTargetOptions, recordLedgerAction, withLedger } from './ledger-target.js';
import { type LedgerCommandDeps, noSuchAccount, requireUser, withCommonOptions } from './operator-command.js';

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

/** Adds `export <user> [--out file]` to the accounts group (the data dir's ledger or `--ledger`). */
export function addExportCommand(group: Command, deps: LedgerCommandDeps): void {
  withCommonOptions(
    group
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
}
