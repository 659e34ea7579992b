import type { Op } from '../../protocol/index.js';

type Obj = Record<string, unknown>;

const isCents = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const isText = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isTextOrNull = (v: unknown): boolean => v === null || isText(v);
const HISTORY_KINDS: readonly unknown[] = ['deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal'];

function isHistoryEntry(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Obj;
  return (
    isText(e.txId) &&
    HISTORY_KINDS.includes(e.kind) &&
    isCents(e.amountCents) &&
    isCents(e.balanceAfterCents) &&
    isTextOrNull(e.counterparty) &&
    isText(e.at)
  );
}

const moved = (r: Obj): boolean => isCents(r.balanceCents) && isText(r.txId);

/**
 * What each op's result must hold (PROTOCOL.md §5) before the library hands it to a caller
 * typed as that op's result. Money must be integer cents: a float balance is a broken server.
 */
const RESULT_CHECKS: Readonly<Record<Op, (r: Obj) => boolean>> = {
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
  change_password: () => true,
  update_contact: () => true,
  totp_enroll: (r) => isText(r.otpauthUri) && isText(r.secret),
  totp_confirm: () => true,
  totp_disable: () => true,
  logout: () => true,
  serve: (r) => isText(r.user) && isCents(r.balanceCents),
  release: () => true,
  open_account: (r) => isText(r.user),
  ping: (r) => isText(r.serverTime),
};

export function isValidResult(op: Op, result: Obj): boolean {
  if (result.replayed !== undefined && result.replayed !== true) return false;
  return RESULT_CHECKS[op](result);
}
