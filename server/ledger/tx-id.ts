import { TX_ID_PATTERN } from '../../protocol/index.js';

const TX_ID_DIGITS = 12;

/** A transaction's wire id: `T` and its global sequence number, zero-padded to 12 digits. */
export function formatTxId(seq: number): string {
  return `T${String(seq).padStart(TX_ID_DIGITS, '0')}`;
}

/** The sequence number inside a wire txId, or null when it is not one the server could issue. */
export function parseTxId(txId: string): number | null {
  if (!TX_ID_PATTERN.test(txId)) return null;
  const seq = Number(txId.slice(1));
  return seq >= 1 ? seq : null;
}

/** The UTC calendar day (`YYYY-MM-DD`) an instant falls on; the daily limit resets on it. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
