import type { Command } from 'commander';
import { integerOption } from '../io.js';
import { LEDGER_URL_OPTION, type ReadOptions, withLedgerReads } from './ledger-reads.js';
import {
  formatCents,
  type LedgerCommandDeps,
  operatorGroup,
  printTable,
  withCommonOptions,
} from './operator-command.js';

/** `bank-server alerts [--limit n]`: the newest fraud alerts first. */
export function alertsCommand(deps: LedgerCommandDeps): Command {
  const alerts = operatorGroup('alerts', 'list fraud alerts, newest first', deps);
  withCommonOptions(alerts)
    .option('--limit <n>', 'how many alerts to show', integerOption(1, 100_000), 50)
    .option(...LEDGER_URL_OPTION)
    .action((opts: ReadOptions & { limit: number }) =>
      withLedgerReads(opts, deps, async (reads) => {
        const rows = await reads.listAlerts({ limit: opts.limit });
        if (opts.json) {
          deps.out(JSON.stringify(rows));
          return;
        }
        if (rows.length === 0) {
          deps.out('no fraud alerts');
          return;
        }
        printTable(
          deps.out,
          ['AT', 'RULE', 'USER', 'OP', 'AMOUNT', 'ACTION', 'DETAIL'],
          rows.map((a) => [
            a.at,
            a.rule,
            a.user,
            a.op,
            formatCents(a.amountCents),
            a.blocked ? 'held' : 'alert',
            a.detail,
          ]),
          [4],
        );
      }),
    );
  return alerts;
}
