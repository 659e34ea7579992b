import type { Clock as ProtocolClock } from '../../protocol/index.js';

/**
 * The part of the project's one Clock (protocol/clock.ts) that the client library needs:
 * timers, injected so the session logic can be driven by a fake clock.
 */
export type Clock = Pick<ProtocolClock, 'setTimeout' | 'clearTimeout'>;

export const systemClock: ProtocolClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
