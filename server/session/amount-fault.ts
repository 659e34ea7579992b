import { OPS } from '../../protocol/index.js';

/** What a request refused with INVALID_AMOUNT still tells about itself. */
export interface AmountFault {
  /** The op it named (kept in metrics and audit instead of "invalid"), when it is one. */
  op: string | null;
  /** The amount, when it was a whole number of cents. */
  amountCents: number | null;
  /** The message to send; names the per-request maximum when the amount is above it. */
  message: string | null;
  /** PROTOCOL §6: set when the amount is above the per-request maximum. */
  maxAmountCents: number | null;
}

/**
 * A request whose op parsed but whose amount did not is still that op: an over-limit
 * `deposit` counts as a deposit refused, not as an unreadable request.
 */
export function describeAmountFault(payload: Uint8Array | string, maxAmountCents: number): AmountFault {
  const none: AmountFault = { op: null, amountCents: null, message: null, maxAmountCents: null };
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    return none;
  }
  if (typeof value !== 'object' || value === null) return none;
  const { op, amountCents } = value as { op?: unknown; amountCents?: unknown };
  const knownOp = typeof op === 'string' && (OPS as readonly string[]).includes(op) ? op : null;
  const amount = typeof amountCents === 'number' && Number.isSafeInteger(amountCents) ? amountCents : null;
  if (amount !== null && amount > maxAmountCents) {
    return {
      op: knownOp,
      amountCents: amount,
      message: `amount is above the per-transaction maximum of ${formatDollars(maxAmountCents)}`,
      maxAmountCents,
    };
  }
  return { ...none, op: knownOp, amountCents: amount };
}

/** 100000000 → "$1,000,000.00" (integer arithmetic: no float rounding). */
export function formatDollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}$${whole}.${String(abs % 100).padStart(2, '0')}`;
}
