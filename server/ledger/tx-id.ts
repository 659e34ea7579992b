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

const DAY_MS = 86_400_000;
/** The last day computed and its bounds [start, end): every mutation and balance read asks for today. */
let lastDay = { start: 0, end: 0, day: '' };

/**
 * The UTC calendar day (`YYYY-MM-DD`) an instant falls on; the daily limit resets on it. JavaScript
 * time has no leap seconds, so a UTC day is exactly 86,400,000 ms and the day's bounds are exact.
 * The last answer is kept: a Date and an ISO string per call were 1.3 µs per mutation in the
 * writer's profile (tests/bench/ledger-minimum.bench.ts under --cpu-prof).
 */
export function utcDay(ms: number): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.day;
  const day = new Date(ms).toISOString().slice(0, 10);
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  lastDay = { start, end: start + DAY_MS, day };
  return day;
}
