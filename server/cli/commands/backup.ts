import { randomBytes } from 'node:crypto';
import { link, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { verifyLedgerFile } from '../../ledger/index.js';
import { CliError } from '../io.js';
import { type DataDirOptions, type LedgerCommandDeps, ledgerPathOf, recordOperatorAction } from './operator-command.js';

/**
 * `bank-server backup --out <file>`: a consistent copy of the ledger, safe while the server
 * runs (SQLite's online backup copies a snapshot page by page, interleaved with the server's
 * commits). The copy is made under a temporary name, checked with the ledger verifier, and only
 * then linked to `--out`, which must not exist: a backup never overwrites anything.
 *
 * The ledger alone is not the whole bank: customer contact data in it is sealed with
 * keys/data.key, so a restore needs that key (and the rest of the data dir) too.
 */
export function backupCommand(deps: LedgerCommandDeps): Command {
  return new Command('backup')
    .description('write a consistent copy of the ledger while the server runs (SQLite online backup)')
    .requiredOption('--out <file>', 'the new backup file (must not exist)')
    .option('--data-dir <dir>', 'the server data dir (default: env BANK_DATA_DIR, else ./bank-data)')
    .option('--json', 'machine-readable JSON output', false)
    .action(async (opts: DataDirOptions & { out: string }) => {
      const source = ledgerPathOf(opts, deps);
      const out = resolve(opts.out);
      const temp = join(dirname(out), `.${randomBytes(6).toString('hex')}.backup-partial`);
      const db = new Database(source, { fileMustExist: true, timeout: 5000 });
      try {
        db.pragma('busy_timeout = 5000');
        await db.backup(temp);
      } catch (err) {
        await rm(temp, { force: true });
        throw new CliError('BACKUP_FAILED', `cannot write a backup next to ${out}: ${(err as Error).message}`);
      } finally {
        db.close();
      }
      try {
        // One self-contained file: no -wal or -shm beside it to forget when copying it away.
        const copy = new Database(temp, { fileMustExist: true });
        try {
          copy.pragma('journal_mode = DELETE');
        } finally {
          copy.close();
        }
        const report = verifyLedgerFile(temp);
        if (!report.ok)
          throw new CliError('BACKUP_FAULT', `the copy does not verify (${report.fault}); nothing written`);
        try {
          await link(temp, out);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new CliError(
            'BACKUP_FAILED',
            code === 'EEXIST' ? `${out} already exists; choose a new file` : `cannot write ${out}: ${code ?? err}`,
          );
        }
        await withRecord(deps, source, { action: 'ledger_backup', to: out, accounts: report.accounts });
        deps.out(
          opts.json
            ? JSON.stringify({ file: out, accounts: report.accounts, entries: report.entries })
            : `ledger backed up to ${out} (${report.accounts} accounts, ${report.entries} entries; verified)`,
        );
      } finally {
        await rm(temp, { force: true });
      }
    });
}

async function withRecord(deps: LedgerCommandDeps, ledgerPath: string, detail: Record<string, unknown>): Promise<void> {
  const store = deps.openStore(ledgerPath);
  try {
    recordOperatorAction(deps, store, detail);
  } finally {
    store.close();
  }
}
