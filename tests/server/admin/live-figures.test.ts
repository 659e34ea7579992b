import { describe, expect, it } from 'vitest';
import { readLiveFigures } from '../../../server/admin/live-figures.js';
import { formatCash, histogramDelta, quantile, tickBetween } from '../../../server/console/figures-math.js';
import { createServerMetrics } from '../../../server/metrics.js';

/** The value of one exposition line, e.g. `bank_requests_total{op="deposit",outcome="ok"}`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

describe('live figures', () => {
  it('are the numbers /metrics exports', async () => {
    const m = createServerMetrics();
    m.activeConnections.inc(3);
    m.activeSessions.inc(2);
    m.connections.inc({ outcome: 'accepted' }, 5);
    m.connections.inc({ outcome: 'refused' }, 1);
    m.requests.inc({ op: 'deposit', outcome: 'ok' }, 7);
    m.requests.inc({ op: 'withdraw', outcome: 'ok' }, 2);
    m.requests.inc({ op: 'withdraw', outcome: 'INSUFFICIENT_FUNDS' }, 1);
    for (const s of [0.0004, 0.002, 0.002, 0.03]) m.requestSeconds.observe({ op: 'deposit' }, s);
    m.requestSeconds.observe({ op: 'withdraw' }, 0.002);
    m.batchSize.observe(3);
    m.batchSeconds.observe(0.004);
    m.logins.inc({ method: 'password', outcome: 'ok' }, 4);
    m.logins.inc({ method: 'password', outcome: 'AUTH_FAILED' }, 2);
    m.lockouts.inc();
    m.integrityFailures.inc({ cause: 'BAD_MAC' });
    m.fraudAlerts.inc({ rule: 'LARGE_AMOUNT' }, 2);

    const f = await readLiveFigures({
      registry: m.registry,
      clock: () => 1_000,
      terminals: () => [{ id: 'ATM-0001', status: 'active', cashCents: 500_00, lastSeenAt: null }],
      alerts: (limit) =>
        [
          { at: 't', rule: 'LARGE_AMOUNT', user: 'alice', op: 'withdraw', amountCents: 9, action: 'alert' as const },
        ].slice(0, limit),
    });
    const text = await m.registry.metrics();
    expect(f.connections).toBe(sample(text, 'bank_connections_open'));
    expect(f.sessions).toBe(sample(text, 'bank_sessions_open'));
    expect(f.connectionsAccepted).toBe(sample(text, 'bank_connections_total{outcome="accepted"}'));
    expect(f.requestsServed).toBe(10);
    expect(f.requests).toEqual([
      { op: 'deposit', total: 7, outcomes: { ok: 7 } },
      { op: 'withdraw', total: 3, outcomes: { ok: 2, INSUFFICIENT_FUNDS: 1 } },
    ]);
    // Both ops' buckets added together, as /metrics' two series say.
    const le2ms = (op: string) => sample(text, `bank_request_duration_seconds_bucket{le="0.0025",op="${op}"}`);
    expect(f.latency.cumulative[f.latency.le.indexOf(0.0025)]).toBe(le2ms('deposit') + le2ms('withdraw'));
    expect(f.latency.count).toBe(5);
    expect(f.commitBatchSize.sum).toBe(3);
    expect(f.logins).toEqual({ total: 6, ok: 4, failed: 2, byOutcome: { ok: 4, AUTH_FAILED: 2 } });
    expect(f.lockouts).toBe(1);
    expect(f.integrityFailures).toEqual({ total: 1, byCause: { BAD_MAC: 1 } });
    expect(f.fraudAlerts.total).toBe(2);
    expect(f.fraudAlerts.newest[0]?.user).toBe('alice');
    expect(f.terminals[0]?.id).toBe('ATM-0001');
  });

  it('give rates and percentiles between two snapshots', async () => {
    const m = createServerMetrics();
    m.requests.inc({ op: 'balance', outcome: 'ok' }, 100);
    m.requestSeconds.observe({ op: 'balance' }, 0.3);
    let now = 10_000;
    const first = await readLiveFigures({ registry: m.registry, clock: () => now });
    m.requests.inc({ op: 'balance', outcome: 'ok' }, 20);
    // 98 fast answers between 1 and 2.5 ms, 2 slow ones between 25 and 50 ms.
    for (let i = 0; i < 98; i++) m.requestSeconds.observe({ op: 'balance' }, 0.002);
    for (let i = 0; i < 2; i++) m.requestSeconds.observe({ op: 'balance' }, 0.04);
    m.batchSize.observe(4);
    m.batchSize.observe(2);
    m.batchSeconds.observe(0.002);
    m.batchSeconds.observe(0.004);
    now += 2_000;
    const second = await readLiveFigures({ registry: m.registry, clock: () => now });
    const tick = tickBetween(first, second);
    expect(tick.reqPerSec).toBe(10);
    expect(tick.ops[0]).toMatchObject({ op: 'balance', perSec: 10, total: 120 });
    // rank 50 of 100 lies in (1 ms, 2.5 ms] holding 98: 1 + 1.5 * 50/98 ms.
    expect(tick.p50Ms).toBeCloseTo(1 + (1.5 * 50) / 98, 6);
    // rank 99 lies in (25 ms, 50 ms] holding 2, after 98: 25 + 25 * 1/2 ms. The old 300 ms answer is not in it.
    expect(tick.p99Ms).toBeCloseTo(37.5, 6);
    expect(tick.batchSize).toBe(3);
    expect(tick.batchMs).toBeCloseTo(3, 6);
  });

  it('quantiles handle empty and overflowing histograms', () => {
    expect(quantile({ le: [1, 2], cumulative: [0, 0], count: 0, sum: 0 }, 0.99)).toBeNull();
    expect(quantile({ le: [1, 2], cumulative: [0, 0], count: 4, sum: 40 }, 0.5)).toBe(2);
    const restarted = histogramDelta(
      { le: [1], cumulative: [5], count: 5, sum: 5 },
      { le: [1], cumulative: [1], count: 1, sum: 1 },
    );
    expect(restarted.count).toBe(1);
    expect(formatCash(123456789)).toBe('1,234,567.89');
    expect(formatCash(-5)).toBe('-0.05');
  });
});
