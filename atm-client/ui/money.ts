/**
 * Money at the ATM: entered as decimal text, shown as currency, sent as integer cents.
 * Parsing never goes through a float, so "0.29" is 29 cents and not 28.999….
 */

import { formatCents as formatProtocolCents } from '../../protocol/index.js';

export type AmountProblem = 'empty' | 'negative' | 'not_a_number' | 'too_many_decimals' | 'zero' | 'too_large';

export type AmountParse = { ok: true; cents: number } | { ok: false; problem: AmountProblem };

/** Plain words for each problem, shown under the amount field. */
export const AMOUNT_PROBLEM_TEXT: Readonly<Record<AmountProblem, string>> = {
  empty: 'Enter an amount.',
  negative: 'An amount cannot be negative: enter how much, like 25 or 25.50.',
  not_a_number: 'Enter the amount in dollars and cents, like 25 or 25.50.',
  too_many_decimals: 'Use at most two digits after the decimal point.',
  zero: 'The amount must be more than $0.00.',
  too_large: 'That amount is too large.',
};

// Whole part either plainly digits or correctly grouped by commas; then an optional
// fraction. `12.` and `.5` are accepted because people type them.
const AMOUNT_PATTERN = /^\$?(?:(\d{1,3}(?:,\d{3})+)|(\d*))(?:\.(\d*))?$/;

/** Decimal text (`25`, `25.5`, `$1,234.56`) → integer cents, or the problem with it. */
export function parseAmount(text: string, maxCents: number = Number.MAX_SAFE_INTEGER): AmountParse {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  if (/^\$?-/.test(trimmed)) return { ok: false, problem: 'negative' };
  const match = AMOUNT_PATTERN.exec(trimmed);
  if (!match) return { ok: false, problem: 'not_a_number' };
  const whole = (match[1] ?? match[2] ?? '').replaceAll(',', '');
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return { ok: false, problem: 'not_a_number' };
  if (fraction.length > 2) return { ok: false, problem: 'too_many_decimals' };
  // BigInt keeps huge inputs exact until the range check below.
  const cents = BigInt(whole === '' ? '0' : whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  if (cents === 0n) return { ok: false, problem: 'zero' };
  if (cents > BigInt(Math.min(maxCents, Number.MAX_SAFE_INTEGER))) return { ok: false, problem: 'too_large' };
  return { ok: true, cents: Number(cents) };
}

/** Integer cents → plain decimal text without grouping or symbol: 123456 → "1234.56". */
export const centsToDecimal = (cents: number): string => formatProtocolCents(cents);

/** Integer cents → currency text: 123456 → "$1,234.56", -500 → "-$5.00". */
export function formatCents(cents: number, currency = 'USD'): string {
  return formatProtocolCents(cents, { currency });
}

/** Characters an amount field accepts as the user types ("-" too, so that it can be refused with a reason). */
export function isAmountChar(char: string): boolean {
  return /^[0-9.,$-]$/.test(char);
}
