import { Command } from 'commander';
import type { AuditEvent } from '../../events/audit-event.js';
import { readAuditorSecretKey } from '../../keys/key-files.js';
import { decryptSegments } from '../../reader/decrypt-segments.js';
import { expandSegmentArgs } from '../../reader/segment-paths.js';
import { type CliIo, listOption, timeOption } from '../cli-io.js';
import { type EventFilter, formatTable, matchesFilter } from '../event-format.js';

interface DecryptOptions {
  key: string;
  pretty?: boolean;
  user?: string;
  kind?: string[];
  since?: number;
  until?: number;
}

/** `bank-audit decrypt <segment...> --key <secret>`: events as JSONL or a table, filtered. */
export function decryptCommand(io: CliIo): Command {
  return new Command('decrypt')
    .description('print the events of encrypted segments (JSON lines, or a table with --pretty)')
    .argument('<segment...>', 'segment files, or a folder (data dir, audit dir or segments dir)')
    .requiredOption('--key <file>', "the auditor's SECRET key file")
    .option('--pretty', 'a readable table instead of JSON lines')
    .option('--user <name>', 'only events whose actor is this user')
    .option('--kind <kind>', 'only these kinds (comma-separated, repeatable)', listOption)
    .option('--since <time>', 'only events at or after this ISO date/time', timeOption)
    .option('--until <time>', 'only events at or before this ISO date/time', timeOption)
    .action(async (segments: string[], opts: DecryptOptions) => {
      const { paths } = await expandSegmentArgs(segments);
      const secret = await readAuditorSecretKey(opts.key);
      const filter: EventFilter = {
        ...(opts.user === undefined ? {} : { user: opts.user }),
        ...(opts.kind === undefined ? {} : { kinds: opts.kind }),
        ...(opts.since === undefined ? {} : { since: opts.since }),
        ...(opts.until === undefined ? {} : { until: opts.until }),
      };
      const table: AuditEvent[] = [];
      try {
        for await (const event of decryptSegments(paths, secret)) {
          if (!matchesFilter(event, filter)) continue;
          if (opts.pretty) table.push(event);
          else io.out(JSON.stringify(event));
        }
      } finally {
        secret.fill(0);
      }
      if (opts.pretty) {
        for (const line of formatTable(table)) io.out(line);
        io.out(`(${table.length} event${table.length === 1 ? '' : 's'})`);
      }
    });
}
