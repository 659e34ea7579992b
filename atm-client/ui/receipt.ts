import { formatTimestamp } from './clock.js';
import { formatCents } from './money.js';

/** What a receipt shows after a transaction. Amounts are positive cents. */
export type ReceiptKind = 'withdrawal' | 'deposit' | 'transfer' | 'reversal';

export interface Receipt {
  kind: ReceiptKind;
  amountCents: number;
  txId: string;
  balanceCents: number;
  /** When the ATM got the answer (epoch ms). */
  at: number;
  /** The other account of a transfer. */
  counterparty?: string;
  /** The withdrawal a reversal undid. */
  reversedTxId?: string;
  /** The bank had already applied this request and returned the original answer. */
  replayed?: boolean;
}

const HEADLINES: Readonly<Record<ReceiptKind, string>> = {
  withdrawal: 'Please take your cash',
  deposit: 'Deposit received',
  transfer: 'Transfer sent',
  reversal: 'Your money is back in your account',
};

const AMOUNT_LABELS: Readonly<Record<ReceiptKind, string>> = {
  withdrawal: 'Withdrawn',
  deposit: 'Deposited',
  transfer: 'Transferred',
  reversal: 'Returned',
};

export function receiptHeadline(receipt: Receipt): string {
  return HEADLINES[receipt.kind];
}

/** The label/value rows printed on a receipt, in order. */
export function receiptRows(
  receipt: Receipt,
  terminal?: string,
  counter?: { customer: string; teller: string },
): Array<{ label: string; value: string }> {
  const rows = [{ label: AMOUNT_LABELS[receipt.kind], value: formatCents(receipt.amountCents) }];
  if (receipt.counterparty !== undefined) rows.push({ label: 'To', value: receipt.counterparty });
  rows.push({ label: 'Transaction', value: receipt.txId });
  if (receipt.reversedTxId !== undefined) rows.push({ label: 'Reverses', value: receipt.reversedTxId });
  rows.push({ label: 'New balance', value: formatCents(receipt.balanceCents) });
  rows.push({ label: 'Time', value: formatTimestamp(receipt.at) });
  if (terminal !== undefined) rows.push({ label: 'Terminal', value: terminal });
  // At the counter the receipt names both: whose money moved, and who moved it.
  if (counter !== undefined) {
    rows.push({ label: 'Customer', value: counter.customer });
    rows.push({ label: 'Teller', value: counter.teller });
  }
  return rows;
}
