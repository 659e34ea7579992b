/**
 * Time as an injected dependency, so the idle countdown and receipts can be driven by a
 * fake clock in tests.
 */
export interface Clock {
  now(): number;
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, tick: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    return () => clearInterval(handle);
  },
};

/** Resolves after `ms` on the given clock (used to bound waits such as a farewell logout). */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const stop = clock.every(ms, () => {
      stop();
      resolve();
    });
  });
}

/** Epoch ms → "2025-01-15 09:30:00 UTC", the form printed on receipts. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
