/**
 * Fraud rules as pure functions: a single large amount, and too many withdrawals or
 * transfers in a sliding window. The ledger runs them inside its writer and records alerts.
 * @packageDocumentation
 */

/** Thresholds, alert shape and the rule evaluator. */
export {
  DEFAULT_FRAUD_CONFIG,
  evaluateFraud,
  type FraudAlert,
  type FraudConfig,
  type FraudInput,
  type FraudOp,
  type FraudRule,
  isDebitOp,
  velocityWindowStart,
} from './fraud-rules.js';
