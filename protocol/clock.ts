/**
 * The one Clock type of the project: time as an injected dependency, so that session logic
 * runs against a fake clock in tests. protocol/ only declares it (the engines read `now()`
 * and never arm a timer); the system clock that implements it lives with each program.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for clearTimeout. */
  setTimeout: (callback: () => void, ms: number) => unknown;
  /** Cancels a pending callback; a null/undefined or already-fired handle is ignored. */
  clearTimeout: (handle: unknown) => void;
}
