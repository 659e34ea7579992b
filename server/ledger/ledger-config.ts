import { DEFAULT_MAX_AMOUNT_CENTS } from '../../protocol/index.js';
import { DEFAULT_FRAUD_CONFIG, type FraudConfig } from '../fraud/index.js';

/** The rules the ledger enforces; `bank-server start` options map onto these fields. */
export interface LedgerConfig {
  /** Per account per UTC day; only withdrawals count, a reversal gives its amount back. */
  dailyWithdrawalLimitCents: number;
  /** Per request; above it is INVALID_AMOUNT. */
  maxAmountCents: number;
  /** How long after a withdrawal it may be reversed. */
  reversalWindowSec: number;
  currency: string;
  fraud: FraudConfig;
  /** `alert` records the alert and lets the request through; `block` refuses it with FRAUD_HOLD. */
  fraudAction: 'alert' | 'block';
}

export const DEFAULT_LEDGER_CONFIG: Readonly<LedgerConfig> = Object.freeze({
  dailyWithdrawalLimitCents: 200_000,
  maxAmountCents: DEFAULT_MAX_AMOUNT_CENTS,
  reversalWindowSec: 600,
  currency: 'USD',
  fraud: DEFAULT_FRAUD_CONFIG,
  fraudAction: 'alert' as const,
});

/**
 * No balance may go beyond ±10^15 cents (10 trillion): far above any real account, far below
 * 2^53, so every balance, and the sum of all of them that `ledger verify` takes, stays exact.
 * A movement past it is refused; nothing is rounded.
 */
export const MAX_BALANCE_CENTS = 1_000_000_000_000_000;
