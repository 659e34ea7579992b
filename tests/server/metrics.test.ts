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

describe('bank_requests_total is counted in numbers and handed over on each read', () => {
  const line = (text: string, labels: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`bank_requests_total{${labels}}`))
        ?.split(' ')[1],
    );

  it('every read sees every answer so far, once: reads in between neither lose nor double counts', async () => {
    const m = createServerMetrics();
    m.observeRequest('balance', 'ok', 0.001);
    expect(line(await m.registry.metrics(), 'op="balance",outcome="ok"')).toBe(1);
    expect(line(await m.registry.metrics(), 'op="balance",outcome="ok"')).toBe(1);
    for (let i = 0; i < 5; i++) m.observeRequest('balance', 'ok', 0.001);
    m.observeRequest('transfer', 'UNKNOWN_ACCOUNT', 0.001);
    const text = await m.registry.metrics();
    expect(line(text, 'op="balance",outcome="ok"')).toBe(6);
    expect(line(text, 'op="transfer",outcome="UNKNOWN_ACCOUNT"')).toBe(1);
    m.observeRequest('balance', 'ok', 0.001);
    const values = (await m.requests.get()).values;
    expect(values.find((v) => v.labels.op === 'balance')?.value).toBe(7);
  });
});
