import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countdownMessage,
  countdownState,
  formatClock,
  secondsLeft,
  WARNING_WINDOW_SEC,
} from '../../../atm-client/ui/countdown.js';

describe('countdown', () => {
  it('counts whole seconds up, and stops at zero', () => {
    expect(secondsLeft(0, 0, 300)).toBe(300);
    expect(secondsLeft(1, 0, 300)).toBe(300);
    expect(secondsLeft(999, 0, 300)).toBe(300);
    expect(secondsLeft(1000, 0, 300)).toBe(299);
    expect(secondsLeft(299_999, 0, 300)).toBe(1);
    expect(secondsLeft(300_000, 0, 300)).toBe(0);
    expect(secondsLeft(900_000, 0, 300)).toBe(0);
  });

  it('is quiet, then warns for the last minute, then expires', () => {
    expect(countdownState(0, 0, 300)).toEqual({ kind: 'quiet' });
    expect(countdownState(239_999, 0, 300)).toEqual({ kind: 'quiet' });
    expect(countdownState(240_000, 0, 300)).toEqual({ kind: 'warning', secondsLeft: 60 });
    expect(countdownState(258_000, 0, 300)).toEqual({ kind: 'warning', secondsLeft: 42 });
    expect(countdownState(300_000, 0, 300)).toEqual({ kind: 'expired' });
  });

  it('warns at once when the timeout is shorter than the window', () => {
    expect(countdownState(0, 0, 30)).toEqual({ kind: 'warning', secondsLeft: 30 });
  });

  it('never shows more than the window while warning, nor a negative number', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.integer({ min: 1, max: 3600 }), (elapsed, timeout) => {
        const state = countdownState(elapsed, 0, timeout);
        if (state.kind === 'warning') {
          expect(state.secondsLeft).toBeGreaterThan(0);
          expect(state.secondsLeft).toBeLessThanOrEqual(WARNING_WINDOW_SEC);
        }
        expect(state.kind === 'expired').toBe(elapsed >= timeout * 1000);
      }),
    );
  });

  it('formats m:ss', () => {
    expect(formatClock(42)).toBe('0:42');
    expect(formatClock(60)).toBe('1:00');
    expect(formatClock(125)).toBe('2:05');
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(-3)).toBe('0:00');
    expect(countdownMessage(42)).toBe('Session ends in 0:42 — press any key');
  });
});
