import type { AuditEvent } from '../../audit/index.js';
import { formatTxId } from '../../server/ledger/index.js';

/** The oracle's small rule tables and helpers. */

export const TX_KIND: Record<string, string> = {
  deposit: 'deposit',
  withdraw: 'withdrawal',
  transfer: 'transfer',
  reverse: 'reversal',
};

/** Refusals that may come for an id applied before (the batch failed, the queue was full). */
export const UNKNOWN_OUTCOME_CODES: ReadonlySet<string> = new Set(['INTERNAL', 'SERVER_BUSY']);

/** The ops that move cash in or out of a machine: only in a terminal session (PROTOCOL.md §5.1). */
export const CASH_OPS: ReadonlySet<string> = new Set(['deposit', 'withdraw', 'reverse']);

export function fmt(seq: number | null): string {
  return seq === null ? 'no transaction' : formatTxId(seq);
}

const MUTATING = new Set(['deposit', 'withdraw', 'transfer', 'reverse', 'update_contact']);

/** The request id of an audit record saying a mutation was applied (not a replay), else null. */
export function originalMutation(event: AuditEvent): string | null {
  if (event.kind !== 'request' || event.outcome !== 'ok' || !event.requestId || !MUTATING.has(event.op ?? '')) {
    return null;
  }
  return event.detail?.replayed === true ? null : event.requestId;
}
