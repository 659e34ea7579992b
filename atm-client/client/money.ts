/**
 * Money as people type it ("20", "20.5", "1234.56") and as the wire carries it (integer
 * cents). Parsing is string work only: no float ever holds an amount.
 */

import { formatCents as formatProtocolCents } from '../../protocol/index.js';

export type MoneyParse = { ok: true; cents: number } | { ok: false; message: string };

const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;

/** "20" → 2000, "20.5" → 2050, "0.07" → 7. Rejects signs, more than 2 decimals, junk and unsafe sizes. */
export function parseMoney(text: string): MoneyParse {
  const trimmed = text.trim();
  const match = AMOUNT_PATTERN.exec(trimmed);
  if (!match) {
    if (trimmed.startsWith('-')) return { ok: false, message: `amount must not be negative: ${shown(text)}` };
    if (/^\d*\.\d{3,}$/.test(trimmed)) return { ok: false, message: `at most 2 decimals: ${shown(text)}` };
    return { ok: false, message: `not an amount: ${shown(text)} (write it like 20 or 20.50)` };
  }
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const cents = BigInt(whole) * 100n + BigInt(fraction);
  if (cents > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `amount too large: ${shown(text)}` };
  return { ok: true, cents: Number(cents) };
}

/** 2050 → "20.50", -7 → "-0.07": protocol/'s formatter, the inverse of parseMoney. */
export const formatCents = (cents: number): string => formatProtocolCents(cents);

/** formatCents with the currency code after it: "20.50 EUR". */
export function formatMoney(cents: number, currency?: string): string {
  return currency ? `${formatCents(cents)} ${currency}` : formatCents(cents);
}

function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
