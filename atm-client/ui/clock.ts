import type { Clock as ProtocolClock } from '../../protocol/index.js';

/**
 * Time as an injected dependency, so the idle countdown and receipts can be driven by a
 * fake clock in tests: `now` from the project's one Clock (protocol/clock.ts), plus `every`.
 */
export interface Clock extends Pick<ProtocolClock, 'now'> {
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

/**
 * `work`, or undefined once `ms` pass first on the given clock (bounds waits such as a
 * farewell logout). The timer stops as soon as either side settles: a pending one kept
 * the process alive, so quitting the ATM took the whole bound even when the bank
 * answered at once.
 */
export async function withinOn<T>(clock: Clock, ms: number, work: Promise<T>): Promise<T | undefined> {
  let stop = () => {};
  const timeout = new Promise<undefined>((resolve) => {
    stop = clock.every(ms, () => {
      stop();
      resolve(undefined);
    });
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    stop();
  }
}

/** Epoch ms → "2025-01-15 09:30:00 UTC", the form printed on receipts. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
