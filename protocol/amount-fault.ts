/**
 * What a request refused with INVALID_AMOUNT still tells about itself (protocol/README.md §6):
 * the op it named, the amount when it was a whole number of cents, and — above the per-request
 * maximum — the message and `maxAmountCents` detail the answer carries.
 */
import { OPS } from './constants.js';
import { parseJsonObject } from './json-fields.js';
import { formatCents } from './money.js';

export interface AmountFault {
  /** The op it named (kept in metrics and audit instead of "invalid"), when it is one. */
  op: string | null;
  /** The amount, when it was a whole number of cents. */
  amountCents: number | null;
  /** The message to send; names the per-request maximum when the amount is above it. */
  message: string | null;
  /** §6: set when the amount is above the per-request maximum. */
  maxAmountCents: number | null;
}

/**
 * A request whose op parsed but whose amount did not is still that op: an over-limit
 * `deposit` counts as a deposit refused, not as an unreadable request.
 */
export function describeAmountFault(payload: Uint8Array | string, maxAmountCents: number): AmountFault {
  const none: AmountFault = { op: null, amountCents: null, message: null, maxAmountCents: null };
  const value = parseJsonObject(payload);
  if (!value) return none;
  const { op, amountCents } = value;
  const knownOp = typeof op === 'string' && (OPS as readonly string[]).includes(op) ? op : null;
  const amount = typeof amountCents === 'number' && Number.isSafeInteger(amountCents) ? amountCents : null;
  if (amount !== null && amount > maxAmountCents) {
    return {
      op: knownOp,
      amountCents: amount,
      message: `amount is above the per-transaction maximum of ${formatCents(maxAmountCents, { currency: 'USD' })}`,
      maxAmountCents,
    };
  }
  return { ...none, op: knownOp, amountCents: amount };
}
