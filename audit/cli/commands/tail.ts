import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { readAuditorSecretKey } from '../../keys/key-files.js';
import { segmentsDirOf } from '../../reader/segment-paths.js';
import { tailSegments } from '../../reader/tail-segments.js';
import { CliError, type CliIo, integerOption, listOption } from '../cli-io.js';
import { formatLine, matchesFilter } from '../event-format.js';

interface TailCliOptions {
  key: string;
  lines: number;
  follow: boolean;
  poll: number;
  pretty?: boolean;
  user?: string;
  kind?: string[];
  instance: string;
}

/** `bank-audit tail <data-dir> --key <secret>`: the newest events, then new ones live (Ctrl-C stops). */
export function tailCommand(io: CliIo): Command {
  return new Command('tail')
    .description('show the newest audit events of a data dir, decrypted, and follow new ones live (Ctrl-C stops)')
    .argument('<data-dir>', "the server's data dir (or its audit or segments folder)")
    .requiredOption('--key <file>', "the auditor's SECRET key file")
    .option('-n, --lines <n>', 'how many recent events to show first', integerOption(0, 100_000), 10)
    .option('--no-follow', 'print the recent events and exit')
    .option('--poll <ms>', 'how often to look for new lines', integerOption(10, 60_000), 250)
    .option('--pretty', 'one readable line per event instead of JSON')
    .option('--user <name>', 'only events whose actor is this user')
    .option('--kind <kind>', 'only these kinds (comma-separated, repeatable)', listOption)
    .option('--instance <id>', "this instance's chain (audit/instances/<id>/) instead of main's", 'main')
    .action(async (dataDir: string, opts: TailCliOptions) => {
      const isDir = await stat(dataDir).then(
        (info) => info.isDirectory(),
        () => false,
      );
      if (!isDir) throw new CliError('AUDIT_USAGE', `not a folder: ${dataDir}`);
      const secret = await readAuditorSecretKey(opts.key);
      const filter = {
        ...(opts.user === undefined ? {} : { user: opts.user }),
        ...(opts.kind === undefined ? {} : { kinds: opts.kind }),
      };
      try {
        const events = tailSegments(await segmentsDirOf(dataDir, opts.instance), secret, {
          lines: opts.lines,
          follow: opts.follow,
          pollMs: opts.poll,
          signal: io.signal,
        });
        for await (const event of events) {
          if (matchesFilter(event, filter)) io.out(opts.pretty ? formatLine(event) : JSON.stringify(event));
        }
      } finally {
        secret.fill(0);
      }
    });
}
