import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AMOUNT_PROBLEM_TEXT,
  centsToDecimal,
  formatCents,
  isAmountChar,
  parseAmount,
} from '../../../atm-client/ui/money.js';

const cents = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

describe('parseAmount', () => {
  it.each([
    ['20', 2000],
    ['20.5', 2050],
    ['20.05', 2005],
    ['0.29', 29],
    ['.5', 50],
    ['12.', 1200],
    ['$1,234.56', 123456],
    ['1,000,000', 100000000],
    ['  7.10 ', 710],
    ['0.01', 1],
  ])('%j is %d cents', (text, expected) => {
    expect(parseAmount(text)).toEqual({ ok: true, cents: expected });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['abc', 'not_a_number'],
    ['-5', 'negative'],
    ['$-5', 'negative'],
    ['1e3', 'not_a_number'],
    ['.', 'not_a_number'],
    ['$', 'not_a_number'],
    ['1,23', 'not_a_number'],
    ['12,3456', 'not_a_number'],
    ['1.2.3', 'not_a_number'],
    ['1.234', 'too_many_decimals'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['90071992547409.92', 'too_large'],
    ['99999999999999999999999', 'too_large'],
  ])('%j is refused as %s', (text, problem) => {
    expect(parseAmount(text)).toEqual({ ok: false, problem });
  });

  it('applies a caller limit', () => {
    expect(parseAmount('10.01', 1000)).toEqual({ ok: false, problem: 'too_large' });
    expect(parseAmount('10.00', 1000)).toEqual({ ok: true, cents: 1000 });
  });

  it('has words for every problem', () => {
    for (const text of Object.values(AMOUNT_PROBLEM_TEXT)) expect(text.length).toBeGreaterThan(5);
  });

  it('round-trips plain decimal text for every safe amount', () => {
    fc.assert(
      fc.property(cents, (n) => {
        expect(parseAmount(centsToDecimal(n))).toEqual({ ok: true, cents: n });
      }),
    );
  });

  it('round-trips the currency text it shows', () => {
    fc.assert(
      fc.property(cents, (n) => {
        expect(parseAmount(formatCents(n))).toEqual({ ok: true, cents: n });
      }),
    );
  });

  it('agrees with exact integer arithmetic on whole and fractional parts', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10 ** 12 }), fc.integer({ min: 0, max: 99 }), (whole, frac) => {
        fc.pre(whole + frac > 0);
        const text = `${whole}.${String(frac).padStart(2, '0')}`;
        expect(parseAmount(text)).toEqual({ ok: true, cents: whole * 100 + frac });
      }),
    );
  });
});

describe('formatCents', () => {
  it.each([
    [0, '$0.00'],
    [1, '$0.01'],
    [99, '$0.99'],
    [100, '$1.00'],
    [123456, '$1,234.56'],
    [100000000, '$1,000,000.00'],
    [-500, '-$5.00'],
    [-123456, '-$1,234.56'],
  ])('%d cents shows as %s', (n, text) => {
    expect(formatCents(n)).toBe(text);
  });

  it('names other currencies', () => {
    expect(formatCents(150, 'EUR')).toBe('€1.50');
    expect(formatCents(150, 'CHF')).toBe('CHF 1.50');
  });

  it('refuses a float rather than rounding it away', () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
    expect(() => centsToDecimal(Number.NaN)).toThrow(RangeError);
  });

  it('shows negative amounts as the mirror of positive ones', () => {
    fc.assert(
      fc.property(cents, (n) => {
        expect(formatCents(-n)).toBe(`-${formatCents(n)}`);
      }),
    );
  });
});

describe('isAmountChar', () => {
  it('takes digits and money punctuation only', () => {
    // "-" is taken so that a negative amount is refused with a reason, not silently made positive.
    expect([...'0123456789.,$-'].every(isAmountChar)).toBe(true);
    expect([...'ae \t'].some(isAmountChar)).toBe(false);
  });
});
