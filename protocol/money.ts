/**
 * Integer cents as text, in one place for every program (the ATM, `atm exec`, the
 * operator and audit CLIs). The amount is turned into an exact decimal string first and
 * only that string is given to Intl.NumberFormat, so no float ever holds it and values up
 * to Number.MAX_SAFE_INTEGER cents print exactly.
 */

/** Integer cents → exact decimal text: 123456 → "1234.56", -7 → "-0.07". */
export function centsToDecimal(cents: number): string {
  // A float here is a bug upstream; showing a rounded figure would hide it.
  if (!Number.isSafeInteger(cents)) throw new RangeError('money must be a safe integer number of cents');
  const sign = cents < 0 ? '-' : '';
  const digits = String(Math.abs(cents)).padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

export interface FormatCentsOptions {
  /** ISO 4217 code: with it the amount is grouped and carries the currency ("$1,234.56", "CHF 1.50"). */
  currency?: string | undefined;
}

const TWO_DECIMALS = { minimumFractionDigits: 2, maximumFractionDigits: 2 } as const;
const PLAIN = new Intl.NumberFormat('en-US', { ...TWO_DECIMALS, useGrouping: false });
const GROUPED = new Intl.NumberFormat('en-US', TWO_DECIMALS);
const byCurrency = new Map<string, Intl.NumberFormat | null>();

function currencyFormat(currency: string): Intl.NumberFormat | null {
  let format = byCurrency.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat('en-US', { ...TWO_DECIMALS, style: 'currency', currency });
    } catch {
      // Not an ISO code Intl knows: the code is written before the number instead.
      format = null;
    }
    byCurrency.set(currency, format);
  }
  return format;
}

/** Intl formats decimal strings exactly (ES2023 Intl.NumberFormat v3); TS's lib types only numbers. */
function formatDecimal(format: Intl.NumberFormat, decimal: string): string {
  return (format.format as (value: string) => string)(decimal).replaceAll('\u00a0', ' ');
}

/**
 * 2050 → "20.50"; with a currency, 123456 → "$1,234.56", -500 → "-$5.00". Throws RangeError
 * for anything but a safe integer.
 */
export function formatCents(cents: number, options: FormatCentsOptions = {}): string {
  const decimal = centsToDecimal(cents);
  if (options.currency === undefined) return formatDecimal(PLAIN, decimal);
  const format = currencyFormat(options.currency);
  return format ? formatDecimal(format, decimal) : `${options.currency} ${formatDecimal(GROUPED, decimal)}`;
}
