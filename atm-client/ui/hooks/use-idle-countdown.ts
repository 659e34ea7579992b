import { useEffect, useRef, useState } from 'react';
import type { Clock } from '../clock.js';
import { type CountdownState, countdownState } from '../countdown.js';

/**
 * Ticks once a second while a session is open and reports the countdown; calls
 * `onExpire` once when it reaches zero.
 */
export function useIdleCountdown(options: {
  clock: Clock;
  idleTimeoutSec: number | null;
  lastActivityAt: number;
  onExpire: () => void;
}): CountdownState {
  const { clock, idleTimeoutSec, lastActivityAt } = options;
  const [now, setNow] = useState(() => clock.now());
  const onExpire = useRef(options.onExpire);
  onExpire.current = options.onExpire;
  const expiredFor = useRef<number | null>(null);

  useEffect(() => {
    if (idleTimeoutSec === null) return;
    setNow(clock.now());
    return clock.every(1000, () => setNow(clock.now()));
  }, [clock, idleTimeoutSec]);

  const state: CountdownState =
    idleTimeoutSec === null ? { kind: 'quiet' } : countdownState(now, lastActivityAt, idleTimeoutSec);

  useEffect(() => {
    if (state.kind !== 'expired' || expiredFor.current === lastActivityAt) return;
    expiredFor.current = lastActivityAt;
    onExpire.current();
  }, [state.kind, lastActivityAt]);

  return state;
}
