/** Amounts as operators type them ("50000", "50000.5", "1234.56") to integer cents; string work only, no floats. */
const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;

export function parseDecimalAmount(text: string): { ok: true; cents: number } | { ok: false; message: string } {
  const match = AMOUNT_PATTERN.exec(text.trim());
  if (!match) return { ok: false, message: `not an amount: "${text.slice(0, 40)}" (write it like 500 or 500.00)` };
  const cents = BigInt(match[1] ?? '0') * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
  if (cents > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `amount too large: ${text.slice(0, 40)}` };
  return { ok: true, cents: Number(cents) };
}
