/**
 * The idle countdown as plain arithmetic. The server closes a session after
 * `idleTimeoutSec` without a request; the ATM warns during the last minute and logs out
 * at zero. Activity is stamped when a request is sent, a little before the server sees
 * it, so the ATM's zero comes no later than the server's.
 */

/** The warning shows during the last 60 seconds. */
export const WARNING_WINDOW_SEC = 60;

export type CountdownState = { kind: 'quiet' } | { kind: 'warning'; secondsLeft: number } | { kind: 'expired' };

/** Whole seconds left before the idle timeout, rounded up, never negative. */
export function secondsLeft(nowMs: number, lastActivityMs: number, idleTimeoutSec: number): number {
  const leftMs = lastActivityMs + idleTimeoutSec * 1000 - nowMs;
  return leftMs <= 0 ? 0 : Math.ceil(leftMs / 1000);
}

export function countdownState(nowMs: number, lastActivityMs: number, idleTimeoutSec: number): CountdownState {
  const left = secondsLeft(nowMs, lastActivityMs, idleTimeoutSec);
  if (left === 0) return { kind: 'expired' };
  if (left <= WARNING_WINDOW_SEC) return { kind: 'warning', secondsLeft: left };
  return { kind: 'quiet' };
}

/** Seconds → "m:ss" (42 → "0:42", 125 → "2:05"). */
export function formatClock(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The line the ATM shows during the warning window. */
export function countdownMessage(secondsLeftNow: number): string {
  return `Session ends in ${formatClock(secondsLeftNow)} — press any key`;
}
