/** Thresholds for the fraud rules; all counts and amounts are per account. */
export interface FraudConfig {
  /** A single deposit, withdrawal or transfer above this many cents raises LARGE_AMOUNT. */
  largeAmountCents: number;
  /** More than this many withdrawals or transfers inside the window raises VELOCITY. */
  velocityCount: number;
  /** The sliding window for VELOCITY, in seconds. */
  velocityWindowSec: number;
}

export const DEFAULT_FRAUD_CONFIG: Readonly<FraudConfig> = Object.freeze({
  largeAmountCents: 500_000,
  velocityCount: 10,
  velocityWindowSec: 60,
});

export type FraudRule = 'LARGE_AMOUNT' | 'VELOCITY';

/** The money-moving ops the rules look at. */
export type FraudOp = 'deposit' | 'withdraw' | 'transfer';

export interface FraudAlert {
  rule: FraudRule;
  user: string;
  op: FraudOp;
  amountCents: number;
  /** Human-readable reason; never holds a secret. */
  detail: string;
}

export interface FraudInput {
  user: string;
  op: FraudOp;
  amountCents: number;
  /**
   * How many earlier withdrawals and transfers out of this account were applied at or after
   * {@link velocityWindowStart}. Counting up to `velocityCount` is enough: the rule only asks
   * whether this request makes it more than that.
   */
  debitsInWindow: number;
}

/** The first instant (ms) of the velocity window that ends at `nowMs`; debits before it no longer count. */
export function velocityWindowStart(nowMs: number, config: FraudConfig): number {
  return nowMs - config.velocityWindowSec * 1000 + 1;
}

/** Ops that move money out of the account and so count towards velocity. */
export function isDebitOp(op: FraudOp): boolean {
  return op === 'withdraw' || op === 'transfer';
}

/**
 * Run every rule against one request that is otherwise about to succeed. Pure: the time and
 * the account's recent debit count come in as values, so the caller decides where they live (the
 * ledger counts them inside the writer's transaction, which keeps the count exact under the
 * writer's serial order).
 */
export function evaluateFraud(input: FraudInput, config: FraudConfig): FraudAlert[] {
  const alerts: FraudAlert[] = [];
  const base = { user: input.user, op: input.op, amountCents: input.amountCents };
  if (input.amountCents > config.largeAmountCents) {
    alerts.push({
      ...base,
      rule: 'LARGE_AMOUNT',
      detail: `amount ${input.amountCents} cents is above the ${config.largeAmountCents} cents threshold`,
    });
  }
  if (isDebitOp(input.op)) {
    const inWindow = input.debitsInWindow + 1; // and this request
    if (inWindow > config.velocityCount) {
      alerts.push({
        ...base,
        rule: 'VELOCITY',
        detail: `${inWindow}${input.debitsInWindow >= config.velocityCount ? ' or more' : ''} withdrawals or transfers within ${config.velocityWindowSec} s (limit ${config.velocityCount})`,
      });
    }
  }
  return alerts;
}
