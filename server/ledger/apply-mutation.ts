/** The money rules: one state-changing request applied under the ledger's rules inside a writer job. */
import { isValidAmount, type RequestOf } from '../../protocol/index.js';
import { evaluateFraud, type FraudAlert, type FraudOp, velocityWindowStart } from '../fraud/index.js';
import { changePassword, confirmTotp, disableTotp, updateContact } from './account-changes.js';
import { type LedgerConfig, MAX_BALANCE_CENTS } from './ledger-config.js';
import type { AccountRow, LedgerStore } from './ledger-store.js';
import {
  type MutatingRequest,
  type MutationContext,
  type MutationOutcome,
  type PreparedChange,
  type Refusal,
  refuse,
  replayOf,
  success,
} from './mutation-types.js';
import { requestHash } from './request-hash.js';
import { type TerminalRecord, terminalServes } from './terminal-ledger.js';
import { formatTxId, parseTxId, utcDay } from './tx-id.js';

/** The mutation shapes, still importable from here. */
export type {
  MutatingOp,
  MutatingRequest,
  MutationContext,
  MutationOutcome,
  PreparedChange,
  RefusalDetails,
} from './mutation-types.js';

/**
 * The idempotency check on its own: the original response (replayed) if this id was applied
 * with the same content, IDEMPOTENCY_CONFLICT if with other content, null if it is new. Handlers
 * should call it before slow or state-dependent checks: a retried change_password, for one, would
 * otherwise fail its current-password check because the first attempt already changed it.
 */
export function checkReplay(store: LedgerStore, accountId: number, request: MutatingRequest): MutationOutcome | null {
  const previous = store.findApplied(accountId, request.id);
  if (!previous) return null;
  if (previous.requestHash !== requestHash(request, store.requestHashKey)) return refuse('IDEMPOTENCY_CONFLICT');
  return replayOf(previous.response);
}

/**
 * Apply one state-changing request under the ledger rules. Run it inside a LedgerWriter job: the
 * movement, its journal entries, the applied id and any fraud alerts land in the writer's
 * transaction together. Every refusal leaves balances untouched and records no id, so a retry is
 * evaluated afresh; fraud alerts are recorded even when the request is held.
 */
export function applyMutation(
  store: LedgerStore,
  ctx: MutationContext,
  request: MutatingRequest,
  prepared: PreparedChange = {},
): MutationOutcome {
  // A savepoint only matters when the rules throw (a refusal is a value and keeps what it wrote:
  // its fraud alerts). In a writer batch a throwing job already rolls back alone (ledger-writer.ts
  // reruns the batch with a savepoint per job), so a savepoint of our own there cost ~3 µs per
  // mutation for nothing (tests/bench/ledger-batch.bench.ts).
  // Their account writes are balance updates written through to the writer's row cache; every
  // other op drops it when its job ends (writer-row-cache.ts).
  if (request.op === 'deposit' || request.op === 'withdraw' || request.op === 'transfer')
    store.writerRows?.keepForThisJob();
  // No closure in a batch, where every mutation runs: one per call before. With the row cache's
  // literals (writer-row-cache.ts) 6.7 µs per mutation off the real writer (ledger-minimum.bench.ts's path, 20 A/B pairs).
  if (store.database.inTransaction) return applyInTransaction(store, ctx, request, prepared);
  return store.atomic(() => applyInTransaction(store, ctx, request, prepared));
}

function applyInTransaction(
  store: LedgerStore,
  ctx: MutationContext,
  request: MutatingRequest,
  prepared: PreparedChange,
): MutationOutcome {
  const hash = requestHash(request, store.requestHashKey);
  const previous = store.findApplied(ctx.accountId, request.id);
  if (previous) return previous.requestHash === hash ? replayOf(previous.response) : refuse('IDEMPOTENCY_CONFLICT');
  const account = store.accountRow(ctx.accountId);
  // Checked in the writer's transaction that applies the change: an operator's lock or close
  // since the session opened stops every later request (protocol/README.md §5.1).
  if (account?.kind !== 'customer' || account.status !== 'active') {
    return refuse('ACCOUNT_LOCKED', 'this account is closed');
  }
  if (account.locked !== 0) return refuse('ACCOUNT_LOCKED', 'this account is locked by the bank');
  const counter = counterProblem(store, ctx, account);
  if (counter) return counter;
  const outcome = applyRule(store, ctx, account, request, prepared);
  if (outcome.ok) store.recordApplied(ctx.accountId, request.id, hash, outcome.result, ctx.nowMs);
  return outcome;
}

/**
 * At the counter the teller's own account must still be an active, unlocked teller, and the
 * account acted on a customer (a teller never serves a teller). Checked in the transaction, like
 * the customer's own status, so an operator's lock stops the counter before the sweep runs.
 */
function counterProblem(store: LedgerStore, ctx: MutationContext, account: AccountRow): Refusal | null {
  if (ctx.tellerId == null) return null;
  const teller = store.accountRow(ctx.tellerId);
  if (teller?.kind !== 'customer' || teller.role !== 'teller' || teller.status !== 'active' || teller.locked !== 0) {
    return refuse('ACCOUNT_LOCKED', "the teller's account is locked or closed");
  }
  return account.role === 'teller' ? refuse('NOT_SERVING') : null;
}

function applyRule(
  store: LedgerStore,
  ctx: MutationContext,
  account: AccountRow,
  request: MutatingRequest,
  prepared: PreparedChange,
): MutationOutcome {
  switch (request.op) {
    case 'deposit':
      return deposit(store, ctx, account, request);
    case 'withdraw':
      return withdraw(store, ctx, account, request);
    case 'transfer':
      return transfer(store, ctx, account, request);
    case 'reverse':
      return reverse(store, ctx, account, request);
    case 'change_password':
      return changePassword(store, account, prepared);
    case 'update_contact':
      return updateContact(store, account, request, prepared);
    case 'totp_confirm':
      return confirmTotp(store, account, prepared);
    case 'totp_disable':
      return disableTotp(store, account, prepared);
  }
}

/** Fraud rules for a request that passed every other check; with `block`, the alerts hold it. */
function screen(
  store: LedgerStore,
  ctx: MutationContext,
  account: AccountRow,
  op: FraudOp,
  amountCents: number,
  requestId: string,
): { alerts: FraudAlert[]; held: Refusal | null } {
  const fraud = ctx.config.fraud;
  const debitsInWindow =
    op === 'deposit'
      ? 0
      : store.countDebitsSince(account.id, velocityWindowStart(ctx.nowMs, fraud), Math.max(0, fraud.velocityCount));
  const alerts = evaluateFraud({ user: ctx.user, op, amountCents, debitsInWindow }, fraud);
  const block = alerts.length > 0 && ctx.config.fraudAction === 'block';
  for (const alert of alerts) store.recordAlert(account.id, alert, block, requestId, ctx.nowMs);
  return { alerts, held: block ? refuse('FRAUD_HOLD', undefined, alerts) : null };
}

/**
 * Cash moves only in a terminal session whose certificate is still the one on record for an
 * active terminal (protocol/README.md §5.1). Checked in the writer's transaction, so a revocation or
 * re-enrolment stops cash at once, before the sweep closes the session.
 */
function cashTerminal(store: LedgerStore, ctx: MutationContext): TerminalRecord | Refusal {
  if (!ctx.terminal) return refuse('TERMINAL_REQUIRED');
  return terminalServes(store, ctx.terminal) ?? refuse('TERMINAL_REQUIRED', 'this terminal is no longer enrolled');
}

function amountProblem(amountCents: number, config: LedgerConfig): Refusal | null {
  return isValidAmount(amountCents, config.maxAmountCents) ? null : refuse('INVALID_AMOUNT');
}

/** True when adding `delta` would take a balance past {@link MAX_BALANCE_CENTS} either way. */
function overflows(balance: number, delta: number): boolean {
  const after = balance + delta;
  return !Number.isSafeInteger(after) || Math.abs(after) > MAX_BALANCE_CENTS;
}

/** One money op's rule: the checks in §5.1 order, then the movement and its journal entries. */
type MoneyRule<Op extends 'deposit' | 'withdraw' | 'transfer' | 'reverse'> = (
  store: LedgerStore,
  ctx: MutationContext,
  account: AccountRow,
  request: RequestOf<Op>,
) => MutationOutcome;

const deposit: MoneyRule<'deposit'> = (store, ctx, account, request) => {
  const amount = request.amountCents;
  const bad = amountProblem(amount, ctx.config);
  if (bad) return bad;
  if (overflows(account.balance_cents, amount))
    return refuse('INVALID_AMOUNT', 'the balance would exceed what the ledger holds');
  const terminal = cashTerminal(store, ctx);
  if ('code' in terminal) return terminal;
  if (overflows(terminal.cashCents, amount)) return refuse('INVALID_AMOUNT', "the terminal's cash would overflow");
  const { alerts, held } = screen(store, ctx, account, 'deposit', amount, request.id);
  if (held) return held;
  const seq = insertCashTx(store, ctx, 'deposit', account.id, amount, terminal.id);
  store.post(seq, terminal.accountId, 'deposit', -amount, account.id, ctx.nowMs);
  const after = store.post(seq, account.id, 'deposit', amount, null, ctx.nowMs);
  return success({ balanceCents: after, txId: formatTxId(seq) }, alerts);
};

const withdraw: MoneyRule<'withdraw'> = (store, ctx, account, request) => {
  const amount = request.amountCents;
  const bad = amountProblem(amount, ctx.config);
  if (bad) return bad;
  const terminal = cashTerminal(store, ctx);
  if ('code' in terminal) return terminal;
  if (account.balance_cents < amount) return refuse('INSUFFICIENT_FUNDS');
  const day = utcDay(ctx.nowMs);
  const withdrawnToday = account.withdrawn_day === day ? account.withdrawn_cents : 0;
  if (withdrawnToday + amount > ctx.config.dailyWithdrawalLimitCents) {
    const left = Math.max(0, ctx.config.dailyWithdrawalLimitCents - withdrawnToday);
    return {
      ...refuse('LIMIT_EXCEEDED', `daily withdrawal limit reached; ${left} cents left today`),
      details: { remainingCents: left },
    };
  }
  if (terminal.cashCents < amount) return refuse('TERMINAL_OUT_OF_CASH');
  const { alerts, held } = screen(store, ctx, account, 'withdraw', amount, request.id);
  if (held) return held;
  const seq = insertCashTx(store, ctx, 'withdrawal', account.id, amount, terminal.id);
  const after = store.adjustBalanceAndDay(account.id, -amount, day, withdrawnToday + amount);
  store.insertEntry(seq, account.id, 'withdrawal', -amount, after, null, ctx.nowMs);
  store.post(seq, terminal.accountId, 'withdrawal', amount, account.id, ctx.nowMs);
  return success({ balanceCents: after, txId: formatTxId(seq) }, alerts);
};

/** A cash movement's journal row at the session's terminal (and teller, at a counter); returns its sequence number. */
function insertCashTx(
  store: LedgerStore,
  ctx: MutationContext,
  kind: 'deposit' | 'withdrawal' | 'reversal',
  accountId: number,
  amount: number,
  terminalId: string,
  reversesSeq: number | null = null,
): number {
  return store.insertTransaction(
    kind,
    accountId,
    null,
    amount,
    reversesSeq,
    ctx.nowMs,
    terminalId,
    ctx.tellerId ?? null,
  );
}

const transfer: MoneyRule<'transfer'> = (store, ctx, account, request) => {
  const amount = request.amountCents;
  const bad = amountProblem(amount, ctx.config);
  if (bad) return bad;
  // §5.1 order: SAME_ACCOUNT, INSUFFICIENT_FUNDS, then UNKNOWN_ACCOUNT, so a target's existence
  // is told only to a sender who could pay.
  if (request.to === account.username) return refuse('SAME_ACCOUNT');
  if (account.balance_cents < amount) return refuse('INSUFFICIENT_FUNDS');
  const target = store.customerRow(request.to);
  // A teller has no money of its own (§5.2): no one can pay into it.
  if (target?.status !== 'active' || target.role === 'teller') return refuse('UNKNOWN_ACCOUNT');
  if (target.id === account.id) return refuse('SAME_ACCOUNT');
  if (overflows(target.balance_cents, amount)) {
    return refuse('INVALID_AMOUNT', "the recipient's balance would exceed what the ledger holds");
  }
  const { alerts, held } = screen(store, ctx, account, 'transfer', amount, request.id);
  if (held) return held;
  const seq = store.insertTransaction('transfer', account.id, target.id, amount, null, ctx.nowMs);
  const after = store.post(seq, account.id, 'transfer_out', -amount, target.id, ctx.nowMs);
  store.post(seq, target.id, 'transfer_in', amount, account.id, ctx.nowMs);
  return success({ balanceCents: after, txId: formatTxId(seq) }, alerts);
};

const reverse: MoneyRule<'reverse'> = (store, ctx, account, request) => {
  const terminal = cashTerminal(store, ctx);
  if ('code' in terminal) return terminal;
  const seq = parseTxId(request.txId);
  const original = seq === null ? undefined : store.transactionRow(seq);
  // Only the machine that dispensed can say it did not: from anywhere else the withdrawal does not exist.
  if (original?.kind !== 'withdrawal' || original.account_id !== account.id || original.terminal !== terminal.id) {
    return refuse('UNKNOWN_TX');
  }
  if (store.isReversed(original.seq)) return refuse('NOT_REVERSIBLE', 'that withdrawal was already reversed');
  if (ctx.nowMs - original.created_ms > ctx.config.reversalWindowSec * 1000) {
    return refuse('NOT_REVERSIBLE', 'that withdrawal is outside the reversal window');
  }
  const amount = original.amount_cents;
  if (overflows(account.balance_cents, amount) || overflows(terminal.cashCents, amount)) {
    return refuse('INVALID_AMOUNT', 'the balance would exceed what the ledger holds');
  }
  // Give the amount back to the day it was counted against; a new day's counter never held it.
  const sameDay = account.withdrawn_day === utcDay(original.created_ms);
  const withdrawn = sameDay ? Math.max(0, account.withdrawn_cents - amount) : account.withdrawn_cents;
  const reversalSeq = insertCashTx(store, ctx, 'reversal', account.id, amount, terminal.id, original.seq);
  const after = store.adjustBalanceAndDay(account.id, amount, account.withdrawn_day, withdrawn);
  store.insertEntry(reversalSeq, account.id, 'reversal', amount, after, null, ctx.nowMs);
  store.post(reversalSeq, terminal.accountId, 'reversal', -amount, account.id, ctx.nowMs);
  return success({ balanceCents: after, txId: formatTxId(reversalSeq), reversedTxId: formatTxId(original.seq) });
};
