import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TERMINAL_PATTERN } from '../../../protocol/index.js';
import { dataDirPaths, resolveDataDir } from '../../data-dir.js';
import { parseDecimalAmount } from '../../terminals/decimal-amount.js';
import { DEFAULT_TERMINAL_DAYS, issueTerminalFiles } from '../../terminals/enroll-terminal.js';
import { type DayReport, dayStartMs, type Totals, unreconciled } from '../../terminals/terminal-report.js';
import { CsrError, TlsSetupError } from '../../tls/index.js';
import { CliError, integerOption } from '../io.js';
import { formatCents, type LedgerCommandDeps, operatorGroup, printTable, withCommonOptions } from './accounts.js';
import { LEDGER_URL_OPTION, type ReadOptions, withLedgerReads } from './ledger-reads.js';
import {
  LEDGER_OPTION,
  type LedgerTargetOptions,
  ledgerAction,
  recordLedgerAction,
  withLedger,
} from './ledger-target.js';

function requireTerminalId(id: string): string {
  if (!TERMINAL_PATTERN.test(id)) {
    throw new CliError('INVALID_TERMINAL', `"${id.slice(0, 40)}" is not a terminal id (1-32 of A-Z a-z 0-9 _ -)`);
  }
  return id;
}

function requireAmount(text: string): number {
  const parsed = parseDecimalAmount(text);
  if (!parsed.ok) throw new CliError('INVALID_AMOUNT', parsed.message);
  return parsed.cents;
}

function noSuchTerminal(id: string): CliError {
  return new CliError(
    'UNKNOWN_TERMINAL',
    `no terminal named ${id}; enrol it with \`bank-server terminals enroll ${id}\``,
  );
}

const totals = (t: Totals) => `${t.count} / ${formatCents(t.cents)}`;

/**
 * `bank-server terminals enroll|list|revoke|load|unload|count|report`. Safe while servers run
 * (short transactions on the ledger `--ledger` or the data dir names; a server sees a revocation
 * within a second) and audited like
 * `accounts`: each change is queued for the running server's audit log.
 */
export function terminalsCommand(deps: LedgerCommandDeps): Command {
  const terminals = operatorGroup('terminals', 'enrol ATMs, revoke them, manage and report their cash', deps);
  const clock = () => new Date();

  withCommonOptions(
    terminals
      .command('enroll')
      .argument('<id>', 'terminal id, the certificate CN (1-32 of A-Z a-z 0-9 _ -)')
      .description("issue a terminal certificate and key (or sign the ATM's own --csr) and record it")
      .option('--out <dir>', 'where to write <id>.crt and <id>.key (default: <data-dir>/terminals)')
      .option('--days <n>', 'certificate lifetime in days', integerOption(1, 3650), DEFAULT_TERMINAL_DAYS)
      .option('--csr <file>', 'sign this PKCS#10 request instead of making a key (the key stays on the ATM)')
      .option(...LEDGER_OPTION),
  ).action(async (id: string, opts: LedgerTargetOptions & { out?: string; days: number; csr?: string }) => {
    requireTerminalId(id);
    const paths = dataDirPaths(resolveDataDir(opts.dataDir, deps.env ?? process.env));
    let csrPem: string | undefined;
    if (opts.csr !== undefined) {
      try {
        csrPem = await readFile(opts.csr, 'utf8');
      } catch (error) {
        throw new CliError(
          'CSR_UNREADABLE',
          `cannot read ${opts.csr}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        );
      }
    }
    const enrolled = await withLedger(opts, deps, async (ledger) => {
      // Instances sharing a ledger share one terminal CA: a new one here would issue certificates none accepts.
      if (ledger.kind === 'postgres' && !existsSync(paths.terminalCaCert)) {
        throw new CliError(
          'NO_TERMINAL_CA',
          `no terminal CA at ${paths.terminalCaCert}; pass the --data-dir of an instance of this bank`,
        );
      }
      try {
        // The certificate comes from the data dir's terminal CA; only the record goes to the ledger.
        const issued = await issueTerminalFiles({
          paths,
          id,
          days: opts.days,
          now: clock(),
          ...(opts.out === undefined ? {} : { outDir: resolve(opts.out) }),
          ...(csrPem === undefined ? {} : { csrPem }),
        });
        const done = { ...issued, ...(await ledger.enrollTerminal({ id, fingerprint: issued.fingerprint })) };
        await recordLedgerAction(deps, ledger, {
          action: 'terminal_enroll',
          terminal: id,
          fingerprint: done.fingerprint,
          reenrolled: done.reenrolled,
          csr: csrPem !== undefined,
        });
        return done;
      } catch (error) {
        if (error instanceof CsrError) throw new CliError('INVALID_CSR', error.message);
        if (error instanceof TlsSetupError) throw new CliError(error.code, error.message);
        throw error;
      }
    });
    if (opts.json) {
      deps.out(JSON.stringify(enrolled));
      return;
    }
    deps.out(
      `${enrolled.reenrolled ? 're-enrolled' : 'enrolled'} terminal ${id} (certificate valid to ${enrolled.validTo})`,
    );
    deps.out(`certificate: ${enrolled.certPath}`);
    deps.out(
      enrolled.keyPath ? `key:         ${enrolled.keyPath}` : 'key:         stays on the terminal (signed its CSR)',
    );
    deps.out(`fingerprint: ${enrolled.fingerprint}`);
    if (enrolled.reenrolled) deps.out('its earlier certificate is refused from now on');
  });

  withCommonOptions(terminals.command('list').description('list enrolled terminals and their cash'))
    .option(...LEDGER_URL_OPTION)
    .action((opts: ReadOptions) =>
      withLedgerReads(opts, deps, async (reads) => {
        const rows = (await reads.listTerminals()).map((t) => ({
          id: t.id,
          status: t.status,
          cashCents: t.cashCents,
          enrolledAt: t.enrolledAt,
          revokedAt: t.revokedAt,
          fingerprint: t.fingerprint,
        }));
        if (opts.json) {
          deps.out(JSON.stringify(rows));
          return;
        }
        printTable(
          deps.out,
          ['TERMINAL', 'STATUS', 'CASH', 'ENROLLED', 'REVOKED', 'FINGERPRINT'],
          rows.map((t) => [t.id, t.status, formatCents(t.cashCents), t.enrolledAt, t.revokedAt ?? '-', t.fingerprint]),
          [2],
        );
        deps.out(`${rows.length} terminal${rows.length === 1 ? '' : 's'}`);
      }),
    );

  ledgerAction(
    terminals
      .command('revoke')
      .argument('<id>')
      .description('refuse its certificate from now on; its open sessions end within 2 s'),
    deps,
    async (ledger, opts: LedgerTargetOptions, id: string) => {
      requireTerminalId(id);
      const record = await ledger.findTerminal(id);
      if (!record) throw noSuchTerminal(id);
      if (!(await ledger.revokeTerminal(id))) {
        throw new CliError('ALREADY_REVOKED', `terminal ${id} is already revoked`);
      }
      await recordLedgerAction(deps, ledger, {
        action: 'terminal_revoke',
        terminal: id,
        fingerprint: record.fingerprint,
      });
      if (opts.json) deps.out(JSON.stringify({ id, status: 'revoked' }));
      else deps.out(`revoked terminal ${id}; its sessions end within 2 s`);
    },
  );

  for (const kind of ['load', 'unload'] as const) {
    ledgerAction(
      terminals
        .command(kind)
        .argument('<id>')
        .argument('<amount>', 'decimal, e.g. 50000.00')
        .description(kind === 'load' ? 'cash put into the machine (from the vault)' : 'cash taken out of the machine'),
      deps,
      async (ledger, opts: LedgerTargetOptions, id: string, amount: string) => {
        requireTerminalId(id);
        const cents = requireAmount(amount);
        const moved = await ledger.moveTerminalCash({ id, kind, amountCents: cents });
        if (!moved.ok) {
          if (moved.code === 'UNKNOWN_TERMINAL') throw noSuchTerminal(id);
          if (moved.code === 'TERMINAL_REVOKED')
            throw new CliError(moved.code, `terminal ${id} is revoked; unload it only`);
          if (moved.code === 'INSUFFICIENT_CASH') {
            const held = formatCents((await ledger.findTerminal(id))?.cashCents ?? 0);
            throw new CliError(moved.code, `terminal ${id} holds only ${held}`);
          }
          throw new CliError('INVALID_AMOUNT', `amount must be more than 0.00: ${amount}`);
        }
        await recordLedgerAction(deps, ledger, { action: `terminal_${kind}`, terminal: id, amountCents: cents });
        if (opts.json) deps.out(JSON.stringify({ id, [`${kind}edCents`]: cents, cashCents: moved.cashCents }));
        else
          deps.out(
            `${kind}ed ${formatCents(cents)} ${kind === 'load' ? 'into' : 'from'} ${id}; it holds ${formatCents(moved.cashCents)}`,
          );
      },
    );
  }

  ledgerAction(
    terminals
      .command('count')
      .argument('<id>')
      .argument('<amount>', 'the cash counted in the machine, decimal')
      .description("record the cash an operator counted; the report shows the difference to the ledger's position"),
    deps,
    async (ledger, opts: LedgerTargetOptions, id: string, amount: string) => {
      requireTerminalId(id);
      const cents = requireAmount(amount);
      const counted = await ledger.countTerminal({ id, countedCents: cents });
      if (!counted.ok) throw noSuchTerminal(id);
      await recordLedgerAction(deps, ledger, {
        action: 'terminal_count',
        terminal: id,
        countedCents: cents,
        positionCents: counted.cashCents,
      });
      const difference = cents - counted.cashCents;
      if (opts.json) {
        deps.out(
          JSON.stringify({ id, countedCashCents: cents, cashCents: counted.cashCents, differenceCents: difference }),
        );
        return;
      }
      deps.out(
        `counted ${formatCents(cents)} in ${id}; the ledger says ${formatCents(counted.cashCents)}` +
          (difference === 0 ? ' (matches)' : ` (difference ${formatCents(difference)})`),
      );
    },
  );

  ledgerAction(
    terminals
      .command('report')
      .description('end-of-day totals per terminal; exit 1 if a count differs from the position')
      .option('--day <YYYY-MM-DD>', "the UTC day (default: today, by the database's clock on PostgreSQL)"),
    deps,
    async (ledger, opts: LedgerTargetOptions & { day?: string }) => {
      const day = opts.day ?? (await ledger.today());
      if (dayStartMs(day) === null)
        throw new CliError('INVALID_DAY', `not a day: "${day.slice(0, 20)}" (write it like 2026-12-01)`);
      const report = await ledger.dayReport(day);
      const bad = unreconciled(report);
      if (opts.json) deps.out(JSON.stringify(report));
      else printReport(deps.out, report);
      if (bad.length > 0) {
        const names = bad.map((t) => t.id).join(', ');
        throw new CliError('NOT_RECONCILED', `not reconciled: ${names}`);
      }
    },
  );

  return terminals;
}

function printReport(out: (line: string) => void, report: DayReport): void {
  out(`terminal report for ${report.day} (UTC); counts / amounts`);
  printTable(
    out,
    [
      'TERMINAL',
      'DEPOSITS',
      'WITHDRAWALS',
      'REVERSALS',
      'LOADS',
      'UNLOADS',
      'OPENING',
      'CLOSING',
      'COUNTED',
      'DIFFERENCE',
    ],
    [
      ...report.terminals.map((t) => [
        t.id,
        totals(t.deposits),
        totals(t.withdrawals),
        totals(t.reversals),
        totals(t.loads),
        totals(t.unloads),
        formatCents(t.openingCashCents),
        formatCents(t.closingCashCents),
        t.countedCashCents === null ? 'not counted' : formatCents(t.countedCashCents),
        t.differenceCents === null ? '-' : formatCents(t.differenceCents),
      ]),
      [
        'bank',
        totals(report.bank.deposits),
        totals(report.bank.withdrawals),
        totals(report.bank.reversals),
        totals(report.bank.loads),
        totals(report.bank.unloads),
        formatCents(report.bank.openingCashCents),
        formatCents(report.bank.closingCashCents),
        report.bank.countedCashCents === null ? 'not counted' : formatCents(report.bank.countedCashCents),
        report.bank.differenceCents === null ? '-' : formatCents(report.bank.differenceCents),
      ],
    ],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  for (const t of report.terminals) {
    if (!t.positionMatchesEntries) out(`${t.id}: its cash position does not match its entries (run ledger verify)`);
    else if (t.reconciled === false)
      out(`${t.id}: counted cash differs from the ledger by ${formatCents(t.differenceCents ?? 0)}`);
  }
  if (report.byTeller.length > 0) {
    out('by teller (at the counter):');
    printTable(
      out,
      ['TELLER', 'DEPOSITS', 'WITHDRAWALS'],
      report.byTeller.map((t) => [t.teller, totals(t.deposits), totals(t.withdrawals)]),
      [1, 2],
    );
  }
  const uncounted = report.terminals.filter((t) => t.countedCashCents === null).map((t) => t.id);
  if (uncounted.length > 0) {
    out(`not counted today: ${uncounted.join(', ')} (without a count the report cannot show a difference for them)`);
  }
}
