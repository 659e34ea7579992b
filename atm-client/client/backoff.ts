import type { Clock } from './clock.js';

/**
 * Waiting between attempts. Every wait is jittered (0.5–1.5 × the base) so that ATMs refused at
 * the same moment (a SERVER_BUSY storm, a server restart) do not come back at the same moment
 * and refuse each other again.
 */

/** Attempts of a login answered SERVER_BUSY before the library gives up and reports it. */
export const DEFAULT_MAX_BUSY_RETRIES = 20;
/**
 * Longest a login keeps retrying SERVER_BUSY, waits included (ms). The bank spreads the clients
 * it refuses over up to 60 s (each told a later place), so the budget leaves room beyond that.
 */
export const DEFAULT_BUSY_RETRY_BUDGET_MS = 120_000;
/** Wait after a SERVER_BUSY that did not say how long (ms). */
export const DEFAULT_BUSY_WAIT_MS = 1_000;

/**
 * `ms` scaled by a random factor in [0.5, 1.5), rounded; `random` returning 0.5 gives `ms` itself.
 * Rounding alone would reach 1.5 × `ms` for a factor just under it (1000 × 1.4999 → 1500), so the
 * top is held below it.
 */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.max(0, Math.min(Math.round(ms * (0.5 + random())), Math.ceil(ms * 1.5) - 1));
}

/** Longest wait between a session's reconnects and SERVER_BUSY retries (ms). */
const MAX_BACKOFF_MS = 5_000;

/** Doubling per attempt from `baseMs`, capped, and jittered so that many ATMs do not retry in step. */
export function doublingBackoff(attempt: number, baseMs: number, random?: () => number): number {
  return jittered(Math.min(baseMs * 2 ** (attempt - 1), MAX_BACKOFF_MS), random);
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * Run `attempt` again while it fails with SERVER_BUSY, waiting about the server's `retryAfterMs`
 * (jittered) each time, within `maxRetries` retries and `budgetMs` of waiting.
 */
export async function retryWhileBusy<T extends { ok: boolean; error?: { code: string; retryAfterMs?: number } }>(
  attempt: () => Promise<T>,
  options: { clock: Clock; random?: () => number; maxRetries?: number; budgetMs?: number },
): Promise<T> {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_BUSY_RETRIES;
  const budgetMs = options.budgetMs ?? DEFAULT_BUSY_RETRY_BUDGET_MS;
  let waited = 0;
  for (let retry = 0; ; retry++) {
    const outcome = await attempt();
    if (outcome.ok || outcome.error?.code !== 'SERVER_BUSY' || retry >= maxRetries) return outcome;
    const wait = jittered(outcome.error.retryAfterMs ?? DEFAULT_BUSY_WAIT_MS, options.random);
    if (waited + wait > budgetMs) return outcome;
    waited += wait;
    await sleep(options.clock, wait);
  }
}
