import { describe, expect, it } from 'vitest';
import { type Clock, withinOn } from '../../atm-client/ui/clock.js';

/**
 * Found driving the real binary: after Ctrl+C (or Quit after a logout) the ATM took the
 * whole 3 s farewell bound to exit, because the bound's timer outlived the logout.
 */

/** A clock that counts its live timers and fires them when told to. */
class CountingClock implements Clock {
  readonly timers = new Set<() => void>();

  now(): number {
    return 0;
  }

  every(_intervalMs: number, tick: () => void): () => void {
    this.timers.add(tick);
    return () => this.timers.delete(tick);
  }

  fireAll(): void {
    for (const tick of [...this.timers]) tick();
  }
}

describe('withinOn (the bounded farewell wait)', () => {
  it('returns the work and stops its timer as soon as the work settles', async () => {
    const clock = new CountingClock();
    const waiting = withinOn(clock, 3000, Promise.resolve('bye'));
    expect(clock.timers.size).toBe(1);
    await expect(waiting).resolves.toBe('bye');
    expect(clock.timers.size).toBe(0);
  });

  it('gives up with undefined when the bound passes first, leaving no timer', async () => {
    const clock = new CountingClock();
    const waiting = withinOn(clock, 3000, new Promise<string>(() => {}));
    clock.fireAll();
    await expect(waiting).resolves.toBeUndefined();
    expect(clock.timers.size).toBe(0);
  });

  it('passes a failure through and still stops the timer', async () => {
    const clock = new CountingClock();
    const waiting = withinOn(clock, 3000, Promise.reject(new Error('connection reset')));
    await expect(waiting).rejects.toThrow('connection reset');
    expect(clock.timers.size).toBe(0);
  });
});
