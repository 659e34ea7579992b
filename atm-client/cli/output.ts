import type { HistoryEntry } from '../../protocol/index.js';
import { formatCents } from '../client/money.js';
import type { ClientError } from '../client/types.js';
import type { AtmIo } from './atm-io.js';

/** `error CODE: message`, plus the request id when the outcome of a sent change is unknown. */
export function errorLine(error: ClientError): string {
  const id = error.requestId === undefined ? '' : ` (request id ${error.requestId})`;
  return `error ${error.code}: ${error.message}${id}`;
}

export function printError(io: AtmIo, error: ClientError, json: boolean): void {
  if (json) io.stdout(`${JSON.stringify({ error })}\n`);
  io.stderr(`${errorLine(error)}\n`);
}

/** A signed amount with an explicit + for money in, as a statement shows it. */
export function signedCents(cents: number): string {
  return cents > 0 ? `+${formatCents(cents)}` : formatCents(cents);
}

export function historyLine(entry: HistoryEntry): string {
  const who = entry.counterparty === null ? '' : `  ${entry.counterparty}`;
  return `${entry.at}  ${entry.txId}  ${entry.kind.padEnd(12)} ${signedCents(entry.amountCents).padStart(14)}  balance ${formatCents(entry.balanceAfterCents)}${who}`;
}
