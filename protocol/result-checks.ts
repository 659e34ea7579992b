/**
 * What each op's result must hold (protocol/README.md §5): one table, used by the client before it
 * hands a result to a caller typed as that op's result, and by the server's tests to assert
 * it only sends valid results. Money must be integer cents: a float balance is a broken
 * server. Unknown fields are allowed (§7.4: clients ignore them).
 */
import { HISTORY_KINDS } from './constants.js';
import type { Obj } from './json-fields.js';
import type { HistoryEntry, Op, OpResult, ResultMap } from './message-types.js';

const isCents = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTextOrNull = (v: unknown): v is string | null => v === null || isText(v);

export function isHistoryEntry(v: unknown): v is HistoryEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Obj;
  return (
    isText(e.txId) &&
    (HISTORY_KINDS as readonly unknown[]).includes(e.kind) &&
    isCents(e.amountCents) &&
    isCents(e.balanceAfterCents) &&
    isTextOrNull(e.counterparty) &&
    (e.terminal === undefined || isTextOrNull(e.terminal)) &&
    isText(e.at)
  );
}

const moved = (r: Obj): boolean => isCents(r.balanceCents) && isText(r.txId);
const empty = (): boolean => true;

/** One check per entry of ResultMap (so one per op): true when `r` holds that op's result. */
export const RESULT_CHECKS: { readonly [O in keyof ResultMap]: (r: Obj) => boolean } = {
  balance: (r) =>
    isCents(r.balanceCents) &&
    typeof r.currency === 'string' &&
    isCents(r.dailyWithdrawalRemainingCents) &&
    isCents(r.maxAmountCents) &&
    typeof r.twoFactor === 'boolean',
  deposit: moved,
  withdraw: moved,
  transfer: moved,
  reverse: (r) => moved(r) && isText(r.reversedTxId),
  history: (r) => Array.isArray(r.entries) && r.entries.every(isHistoryEntry) && isTextOrNull(r.next),
  change_password: empty,
  update_contact: empty,
  totp_enroll: (r) => isText(r.otpauthUri) && isText(r.secret),
  totp_confirm: empty,
  totp_disable: empty,
  logout: empty,
  ping: (r) => isText(r.serverTime),
  serve: (r) => isText(r.user) && isCents(r.balanceCents),
  release: empty,
  open_account: (r) => isText(r.user),
};

/** True when `result` is a valid result of `op` (with `replayed`, if present, exactly `true`). */
export function isValidResult<O extends Op>(op: O, result: Obj): result is OpResult<O> & Obj {
  if (result.replayed !== undefined && result.replayed !== true) return false;
  return RESULT_CHECKS[op](result);
}
