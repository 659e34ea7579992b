import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FRAUD_CONFIG,
  evaluateFraud,
  type FraudConfig,
  isDebitOp,
  velocityWindowStart,
} from '../../../server/fraud/index.js';

const config: FraudConfig = { largeAmountCents: 1000, velocityCount: 3, velocityWindowSec: 60 };

describe('fraud rules', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_FRAUD_CONFIG).toEqual({ largeAmountCents: 500_000, velocityCount: 10, velocityWindowSec: 60 });
  });

  it('raises LARGE_AMOUNT only above the threshold, for every money op', () => {
    for (const op of ['deposit', 'withdraw', 'transfer'] as const) {
      expect(evaluateFraud({ user: 'alice', op, amountCents: 1000, debitsInWindow: 0 }, config)).toEqual([]);
      const alerts = evaluateFraud({ user: 'alice', op, amountCents: 1001, debitsInWindow: 0 }, config);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ rule: 'LARGE_AMOUNT', user: 'alice', op, amountCents: 1001 });
      expect(alerts[0]?.detail).toContain('1001');
    }
  });

  it('raises VELOCITY when this debit makes more than velocityCount in the window', () => {
    const at = (debitsInWindow: number) =>
      evaluateFraud({ user: 'bob', op: 'withdraw', amountCents: 5, debitsInWindow }, config).map((a) => a.rule);
    expect(at(2)).toEqual([]); // 3rd in the window: allowed
    expect(at(3)).toEqual(['VELOCITY']); // 4th: more than 3
    expect(at(50)).toEqual(['VELOCITY']);
  });

  it('counts withdrawals and transfers, never deposits', () => {
    expect(isDebitOp('withdraw')).toBe(true);
    expect(isDebitOp('transfer')).toBe(true);
    expect(isDebitOp('deposit')).toBe(false);
    expect(evaluateFraud({ user: 'bob', op: 'deposit', amountCents: 5, debitsInWindow: 99 }, config)).toEqual([]);
    expect(
      evaluateFraud({ user: 'bob', op: 'transfer', amountCents: 5, debitsInWindow: 3 }, config).map((a) => a.rule),
    ).toEqual(['VELOCITY']);
  });

  it('raises both rules at once when both trip', () => {
    const rules = evaluateFraud({ user: 'eve', op: 'transfer', amountCents: 9999, debitsInWindow: 3 }, config).map(
      (a) => a.rule,
    );
    expect(rules.sort()).toEqual(['LARGE_AMOUNT', 'VELOCITY']);
  });

  it('puts the window start exactly velocityWindowSec before now (exclusive)', () => {
    expect(velocityWindowStart(100_000, config)).toBe(40_001);
  });
});
