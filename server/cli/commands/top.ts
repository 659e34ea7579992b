import { Command } from 'commander';
import { StatusSourceError } from '../../console/status-source.js';
import { TopUiError } from '../../console/top-ui-error.js';
import { CliError, type CliIo, integerOption } from '../io.js';

interface TopOptions {
  admin?: string;
  adminHost: string;
  adminPort: number;
  once: boolean;
}

/** `bank-server top`: a live console over a running server's admin HTTP (/status, once a second). */
export function topCommand(io: CliIo): Command {
  return new Command('top')
    .description('watch a running server live: sessions, req/s, latency, commits, logins, alerts, terminals')
    .option('--admin <url>', 'the admin HTTP to watch, e.g. http://127.0.0.1:9464 (overrides host and port)')
    .option('--admin-host <addr>', 'the admin HTTP address', '127.0.0.1')
    .option('--admin-port <n>', 'the admin port the server listens on', integerOption(1, 65535), 9464)
    .option('--once', 'print one frame (two polls a second apart) and exit', false)
    .action(async (opts: TopOptions) => {
      const endpoint = adminEndpoint(opts);
      try {
        const { runTop, topOnce } = await loadTop();
        if (opts.once) io.out(await topOnce(endpoint, false));
        else await runTop(endpoint);
      } catch (err) {
        if (err instanceof StatusSourceError) {
          throw new CliError(err.code, `${err.message}; is it running? try --admin-port or --admin`);
        }
        if (err instanceof TopUiError) throw new CliError(err.code, err.message);
        throw err;
      }
    });
}

/** Loaded only when wanted, so the other commands never pay for React and Ink. */
async function loadTop(): Promise<typeof import('../../console/run-top.js')> {
  // Ink decides once, when first imported, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION
  // set) and then draws only the last frame; an operator at a real terminal must see every one.
  if (process.stdin.isTTY && process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  return import('../../console/run-top.js');
}

function adminEndpoint(opts: TopOptions): string {
  if (opts.admin === undefined) {
    const host = opts.adminHost.includes(':') ? `[${opts.adminHost}]` : opts.adminHost;
    return `http://${host}:${opts.adminPort}`;
  }
  let url: URL;
  try {
    url = new URL(opts.admin);
  } catch {
    throw new CliError('INVALID_OPTION', `--admin expects a URL like http://127.0.0.1:9464, got "${opts.admin}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('INVALID_OPTION', `--admin expects an http:// or https:// URL, got "${opts.admin}"`);
  }
  return url.origin;
}
