/** `bank-server`'s operator commands run in-process against a test bank's data dir, and waiting on what they cause. */
import { main } from '../../server/cli/program.js';

export interface OperatorRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `bank-server <args> --data-dir <the bank's>` through the CLI's own entry point; never throws for a refusal. */
export async function runOperator(bank: { dataDir: string }, ...args: string[]): Promise<OperatorRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'bank-server', ...args, '--data-dir', bank.dataDir], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
  });
  return { code, out, err };
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
