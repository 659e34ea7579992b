import { describe, expect, it } from 'vitest';
import { AUDIT_NOISE, auditLine } from '../../atm-client/bench/bench-report.js';

describe('the bench audit line', () => {
  it('states a cost above the noise', () => {
    expect(auditLine({ connections: 100, withAudit: 800, withoutAudit: 1000, cost: 0.2 })).toBe(
      'audit overhead at C=100: 800 req/s with audit, 1000 without: audit costs 20.0% of throughput',
    );
  });

  it('never prints a negative cost: a run with audit that came out faster is within noise', () => {
    const line = auditLine({ connections: 100, withAudit: 1016, withoutAudit: 1000, cost: -0.016 });
    expect(line).toContain('within noise');
    expect(line).not.toContain('audit costs');
    expect(auditLine({ connections: 50, withAudit: 990, withoutAudit: 1000, cost: 0.01 })).toContain('within noise');
    expect(AUDIT_NOISE).toBeGreaterThan(0.01);
  });

  it('is there even when the run with audit off was skipped', () => {
    expect(auditLine(null)).toBe('audit overhead: not measured (--no-audit-off skipped the run with audit off)');
  });
});
