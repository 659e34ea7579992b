import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCents, formatMoney, parseMoney } from '../../../atm-client/client/index.js';

describe('parseMoney', () => {
  it.each([
    ['20', 2_000],
    ['20.5', 2_050],
    ['20.50', 2_050],
    ['0.07', 7],
    ['0', 0],
    ['  15.25 ', 1_525],
    // Each of these comes out wrong through a float (x * 100 is not exact).
    ['0.29', 29],
    ['4.35', 435],
    ['1.15', 115],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('%j → %i cents', (text, cents) => {
    expect(parseMoney(text)).toEqual({ ok: true, cents });
  });

  it.each([
    '-5',
    '-0.01',
    '1.234',
    '0.001',
    'abc',
    '',
    '1e3',
    '0x10',
    '+5',
    '.5',
    '5.',
    '01',
    '1,000',
    '1 000',
    'Infinity',
    'NaN',
    '20.5O',
    '٣',
    '90071992547409.92',
  ])('rejects %j', (text) => {
    const parsed = parseMoney(text);
    expect(parsed.ok).toBe(false);
  });

  it('says why: negative, too many decimals, or not an amount', () => {
    expect(parseMoney('-3')).toMatchObject({ message: expect.stringContaining('negative') });
    expect(parseMoney('3.141')).toMatchObject({ message: expect.stringContaining('2 decimals') });
    expect(parseMoney('three')).toMatchObject({ message: expect.stringContaining('not an amount') });
  });

  it('round trips: parse(format(c)) = c for every safe number of cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (cents) => {
        expect(parseMoney(formatCents(cents))).toEqual({ ok: true, cents });
      }),
    );
  });

  it('round trips: format(parse(x)) = x for every canonical amount text', () => {
    const canonical = fc
      .tuple(fc.bigInt({ min: 0n, max: 90_071_992_547_408n }), fc.integer({ min: 0, max: 99 }))
      .map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`);
    fc.assert(
      fc.property(canonical, (text) => {
        const parsed = parseMoney(text);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(formatCents(parsed.cents)).toBe(text);
      }),
    );
  });

  it('is exact where floats are not: w.f parses to w * 100 + f, computed in integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 99 }), (whole, fraction) => {
        const twoDigits = String(fraction).padStart(2, '0');
        expect(parseMoney(`${whole}.${twoDigits}`)).toEqual({ ok: true, cents: whole * 100 + fraction });
        if (fraction % 10 === 0) {
          expect(parseMoney(`${whole}.${twoDigits[0]}`)).toEqual({ ok: true, cents: whole * 100 + fraction });
        }
      }),
    );
  });

  it('accepts nothing but digits with at most one dot and two decimals', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        const parsed = parseMoney(text);
        if (parsed.ok) {
          expect(text.trim()).toMatch(/^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$/);
          expect(Number.isSafeInteger(parsed.cents)).toBe(true);
        }
      }),
    );
  });
});

describe('formatCents', () => {
  it('always shows two decimals, and a sign for money out', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(7)).toBe('0.07');
    expect(formatCents(2_050)).toBe('20.50');
    expect(formatCents(-2_050)).toBe('-20.50');
    expect(formatMoney(123_456, 'EUR')).toBe('1234.56 EUR');
  });

  it('refuses a float', () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
  });
});
