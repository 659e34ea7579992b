import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centsToDecimal, formatCents } from '../../protocol/index.js';

/** The decimal text of n cents, built with BigInt arithmetic here (not with the code under test). */
function decimalOf(n: number): string {
  const abs = BigInt(Math.abs(n));
  return `${n < 0 ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

describe('formatCents (the one formatter)', () => {
  it.each([
    [0, '0.00'],
    [7, '0.07'],
    [-7, '-0.07'],
    [2050, '20.50'],
    [123456, '1234.56'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
    [-Number.MAX_SAFE_INTEGER, '-90071992547409.91'],
  ])('%d cents is %s without a currency', (n, text) => {
    expect(formatCents(n)).toBe(text);
    expect(centsToDecimal(n)).toBe(text);
  });

  it.each([
    [123456, 'USD', '$1,234.56'],
    [-500, 'USD', '-$5.00'],
    [150, 'EUR', '€1.50'],
    [150, 'GBP', '£1.50'],
    [150, 'CHF', 'CHF 1.50'],
    [150, 'JPY', '¥1.50'],
    [123456, 'NOT-A-CODE', 'NOT-A-CODE 1,234.56'],
    [Number.MAX_SAFE_INTEGER, 'USD', '$90,071,992,547,409.91'],
  ])('%d cents in %s is %s', (n, currency, text) => {
    expect(formatCents(n, { currency })).toBe(text);
  });

  it('is exact for every safe integer (no float on the way)', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(formatCents(n)).toBe(decimalOf(n));
        expect(formatCents(n, { currency: 'USD' }).replace(/[$,]/g, '')).toBe(decimalOf(n));
      }),
    );
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %d with a RangeError', (n) => {
    expect(() => formatCents(n)).toThrow(RangeError);
  });
});
