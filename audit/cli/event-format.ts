import { formatCents as formatProtocolCents } from '../../protocol/index.js';
import type { AuditEvent } from '../events/audit-event.js';

/** Filters shared by decrypt and tail. */
export interface EventFilter {
  user?: string;
  kinds?: string[];
  /** ms since the epoch, inclusive. */
  since?: number;
  /** ms since the epoch, inclusive. */
  until?: number;
}

export function matchesFilter(event: AuditEvent, filter: EventFilter): boolean {
  // A customer served at the counter is named in `customer`; the teller is the actor (protocol/README.md §5.2).
  if (filter.user !== undefined && event.actor !== filter.user && event.customer !== filter.user) return false;
  if (filter.kinds && filter.kinds.length > 0 && !filter.kinds.includes(event.kind)) return false;
  if (filter.since !== undefined || filter.until !== undefined) {
    const time = Date.parse(event.ts);
    if (filter.since !== undefined && !(time >= filter.since)) return false;
    if (filter.until !== undefined && !(time <= filter.until)) return false;
  }
  return true;
}

/** Cents as "1234.56" (protocol/'s formatter); a number a damaged log holds that is not whole cents is shown as it is. */
export function formatCents(cents: number | null | undefined): string {
  if (typeof cents !== 'number') return '';
  return Number.isSafeInteger(cents) ? formatProtocolCents(cents) : String(cents);
}

const COLUMNS: Array<{ title: string; value: (e: AuditEvent) => string; right?: boolean }> = [
  { title: 'SEQ', value: (e) => String(e.seq), right: true },
  { title: 'TIME', value: (e) => e.ts },
  { title: 'KIND', value: (e) => e.kind },
  { title: 'ACTOR', value: (e) => e.actor ?? '' },
  { title: 'ADDRESS', value: (e) => e.address ?? '' },
  { title: 'TERMINAL', value: (e) => e.terminal ?? '' },
  { title: 'OP', value: (e) => e.op ?? '' },
  { title: 'AMOUNT', value: (e) => formatCents(e.amountCents), right: true },
  { title: 'OUTCOME', value: (e) => [e.outcome ?? '', e.code ?? ''].filter(Boolean).join(' ') },
  { title: 'BALANCE', value: (e) => formatCents(e.balanceAfterCents), right: true },
  { title: 'TX', value: (e) => e.txId ?? '' },
  { title: 'DETAIL', value: (e) => (e.detail ? JSON.stringify(e.detail) : '') },
];

/** A readable table: one header row, one row per event, columns sized to fit. */
export function formatTable(events: AuditEvent[]): string[] {
  const rows = events.map((e) => COLUMNS.map((c) => c.value(e)));
  const widths = COLUMNS.map((c, k) => Math.max(c.title.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, k) => {
        const width = widths[k] ?? 0;
        return COLUMNS[k]?.right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), ...rows.map(line)];
}

/** One readable line per event, for streams (tail) where columns cannot be sized up front. */
export function formatLine(event: AuditEvent): string {
  const parts = [
    `#${event.seq}`,
    event.ts,
    event.kind,
    event.actor ? `actor=${event.actor}` : '',
    event.customer ? `customer=${event.customer}` : '',
    event.address ? `addr=${event.address}` : '',
    event.terminal ? `terminal=${event.terminal}` : '',
    event.op ? `op=${event.op}` : '',
    typeof event.amountCents === 'number' ? `amount=${formatCents(event.amountCents)}` : '',
    event.outcome ? `outcome=${event.outcome}` : '',
    event.code ? `code=${event.code}` : '',
    typeof event.balanceAfterCents === 'number' ? `balance=${formatCents(event.balanceAfterCents)}` : '',
    event.txId ? `tx=${event.txId}` : '',
    event.detail ? JSON.stringify(event.detail) : '',
  ];
  return parts.filter(Boolean).join(' ');
}
