import { describe, expect, it } from 'vitest';
import { createServerMetrics } from '../../server/metrics.js';

describe('observeRequest (the hot path through bound label children)', () => {
  it('counts by (op, outcome) and times by op exactly like inc/observe with label objects', async () => {
    const m = createServerMetrics();
    m.observeRequest('deposit', 'ok', 0.002);
    m.observeRequest('deposit', 'ok', 0.03);
    m.observeRequest('deposit', 'INVALID_AMOUNT', 0.0004);
    m.observeRequest('withdraw', 'ok', 0.002);
    m.requests.inc({ op: 'withdraw', outcome: 'ok' });

    const counts = (await m.requests.get()).values.map((v) => [v.labels.op, v.labels.outcome, v.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['deposit', 'ok', 2],
        ['deposit', 'INVALID_AMOUNT', 1],
        ['withdraw', 'ok', 2],
      ]),
    );
    expect(counts).toHaveLength(3);
    const seconds = (await m.requestSeconds.get()).values;
    const depositCount = seconds.find((v) => v.metricName?.endsWith('_count') && v.labels.op === 'deposit');
    const depositSum = seconds.find((v) => v.metricName?.endsWith('_sum') && v.labels.op === 'deposit');
    expect(depositCount?.value).toBe(3);
    expect(depositSum?.value).toBeCloseTo(0.0324, 10);
  });
});
