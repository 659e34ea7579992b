import { describe, expect, it } from 'vitest';
import { utcDay } from '../../../server/ledger/tx-id.js';

/** What utcDay must agree with at every instant: the ISO string's date. */
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('utcDay', () => {
  it('is the ISO date at each side of midnight, whatever the order of the calls', () => {
    const midnight = Date.UTC(2026, 11, 2);
    const instants = [
      midnight - 1,
      midnight,
      midnight + 1,
      midnight - 1,
      midnight + 86_399_999,
      midnight + 86_400_000,
      midnight - 86_400_000,
      midnight - 86_400_001,
      midnight,
    ];
    for (const ms of instants) expect(utcDay(ms)).toBe(iso(ms));
    expect(utcDay(midnight - 1)).toBe('2026-12-01');
    expect(utcDay(midnight)).toBe('2026-12-02');
  });

  it('agrees with the ISO date before 1970 and at the end of a leap year', () => {
    for (const ms of [-1, 0, -86_400_000, -86_400_001, Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1)]) {
      expect(utcDay(ms)).toBe(iso(ms));
    }
    expect(utcDay(-1)).toBe('1969-12-31');
  });

  it('still throws for an instant that is not a time, as the Date it stands for does', () => {
    utcDay(Date.UTC(2026, 0, 1));
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
  });

  it('matches the ISO date at random instants across three centuries', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor((next() - 0.3) * 3 * 3.16e12);
      expect(utcDay(ms)).toBe(iso(ms));
      // And the neighbour a millisecond on, which a stale cached day would get wrong at midnight.
      expect(utcDay(ms + 1)).toBe(iso(ms + 1));
    }
  });
});
