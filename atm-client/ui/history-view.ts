import type { HistoryEntry, HistoryKind } from '../../protocol/index.js';
import { formatCents } from './money.js';

/** Mini-statement rows and paging cursors, as plain data. */

export const HISTORY_PAGE_SIZE = 5;

const KIND_LABELS: Readonly<Record<HistoryKind, string>> = {
  deposit: 'Deposit',
  withdrawal: 'Withdrawal',
  transfer_in: 'Transfer in',
  transfer_out: 'Transfer out',
  reversal: 'Reversal',
};

export interface HistoryRow {
  date: string;
  what: string;
  amount: string;
  balance: string;
  txId: string;
}

export function historyRow(entry: HistoryEntry): HistoryRow {
  const other =
    entry.counterparty === null
      ? ''
      : entry.kind === 'transfer_in'
        ? ` from ${entry.counterparty}`
        : ` to ${entry.counterparty}`;
  const amount = formatCents(entry.amountCents);
  return {
    // "2025-01-15T09:30:00.000Z" → "2025-01-15 09:30"
    date: `${entry.at.slice(0, 10)} ${entry.at.slice(11, 16)}`,
    what: `${KIND_LABELS[entry.kind]}${other}`,
    amount: entry.amountCents > 0 ? `+${amount}` : amount,
    balance: formatCents(entry.balanceAfterCents),
    txId: entry.txId,
  };
}

/**
 * Paging state: the `before` cursor of each page seen so far (the first page has none),
 * so "previous" needs no request for a cursor the server gave earlier.
 */
export interface Pager {
  cursors: Array<string | undefined>;
  page: number;
}

export const FIRST_PAGE: Pager = { cursors: [undefined], page: 0 };

export function nextPage(pager: Pager, next: string): Pager {
  const cursors = [...pager.cursors.slice(0, pager.page + 1), next];
  return { cursors, page: pager.page + 1 };
}

export function previousPage(pager: Pager): Pager {
  return pager.page === 0 ? pager : { cursors: pager.cursors, page: pager.page - 1 };
}

export function cursorOf(pager: Pager): string | undefined {
  return pager.cursors[pager.page];
}
