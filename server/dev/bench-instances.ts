/**
 * `npm run bench:instances -- [atm bench options]`: `atm bench` with its extra rows on PostgreSQL
 * (1, 2 and 3 bank-server instances on one ledger, unless `--instances` says otherwise), against a
 * throwaway PostgreSQL started for the run in a temp dir and removed after.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startPostgresCluster } from './throwaway-postgres.js';

const ATM = join(resolve(import.meta.dirname, '..', '..'), 'atm-client', 'cli', 'main.js');

async function main(args: string[]): Promise<number> {
  const cluster = await startPostgresCluster();
  try {
    const url = await cluster.createDatabase('bench');
    return await new Promise<number>((done) => {
      const bench = spawn(process.execPath, [ATM, 'bench', '--ledger', url, ...args], { stdio: 'inherit' });
      const forward = (signal: NodeJS.Signals) => bench.kill(signal);
      process.once('SIGINT', forward);
      process.once('SIGTERM', forward);
      bench.once('exit', (code) => done(code ?? 1));
    });
  } finally {
    cluster.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
