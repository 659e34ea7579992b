import { Command } from 'commander';
import { CliError, type CliIo, integerOption } from '../io.js';

/** Ask a running server's admin HTTP for /status. */
export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description('show connections, sessions and requests served by a running server')
    .option('--admin-port <n>', 'the admin port the server listens on (127.0.0.1)', integerOption(1, 65535), 9464)
    .option('--json', 'print the raw JSON', false)
    .action(async (opts: { adminPort: number; json: boolean }) => {
      let body: Record<string, unknown>;
      try {
        const res = await fetch(`http://127.0.0.1:${opts.adminPort}/status`, { signal: AbortSignal.timeout(5_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = (await res.json()) as Record<string, unknown>;
      } catch (err) {
        throw new CliError(
          'SERVER_UNREACHABLE',
          `no bank server answering on 127.0.0.1:${opts.adminPort} (${(err as Error).message}); is it running? try --admin-port`,
        );
      }
      if (opts.json) {
        io.out(JSON.stringify(body));
        return;
      }
      // The nested figures (requests by op, histograms, terminals, alerts) are for --json and `bank-server top`.
      const scalars = Object.entries(body).filter(([, value]) => value === null || typeof value !== 'object');
      const width = Math.max(...scalars.map(([k]) => k.length));
      for (const [key, value] of scalars) io.out(`${key.padEnd(width)}  ${String(value)}`);
    });
}
