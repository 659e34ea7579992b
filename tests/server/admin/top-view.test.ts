import { describe, expect, it } from 'vitest';
import type { LiveFigures } from '../../../server/admin/live-figures.js';
import type { StatusFigures } from '../../../server/console/status-source.js';
import { TopHistory } from '../../../server/console/top-history.js';
import { linesAsText, topLines } from '../../../server/console/top-view.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/** A busy bank: many ops and outcome codes, long names, more alerts and terminals than fit. */
function figures(atMs: number, scale: number): StatusFigures {
  const hist = (n: number) => ({ le: [0.001, 0.01, 0.1], cumulative: [n, 2 * n, 3 * n], count: 3 * n, sum: n });
  const ops = ['balance', 'deposit', 'withdraw', 'transfer', 'history', 'reverse', 'ping', 'logout', 'x'.repeat(40)];
  const base: LiveFigures = {
    sampledAtMs: atMs,
    connections: 1234,
    sessions: 1200,
    connectionsAccepted: 99999,
    connectionsRefused: 12,
    connectionsTlsErrors: 3,
    requestsServed: ops.length * 1000 * scale,
    requests: ops.map((op) => ({
      op,
      total: 1000 * scale,
      outcomes: { ok: 900 * scale, INSUFFICIENT_FUNDS: 50 * scale, LIMIT_EXCEEDED: 30 * scale, FRAUD_HOLD: 20 * scale },
    })),
    latency: hist(100 * scale),
    commitBatchSize: hist(10 * scale),
    commitBatchSeconds: hist(10 * scale),
    logins: { total: 50 * scale, ok: 40 * scale, failed: 10 * scale, byOutcome: {} },
    lockouts: 7,
    integrityFailures: { total: 2, byCause: { BAD_MAC: 2 } },
    fraudAlerts: {
      total: 42,
      byRule: {},
      newest: Array.from({ length: 5 }, (_, i) => ({
        at: new Date(T0 - i * 1000).toISOString(),
        rule: 'VELOCITY_SOMETHING_LONG',
        user: `a-very-long-user-name-${i}`,
        op: 'withdraw',
        amountCents: 123_456_789_01,
        action: 'held' as const,
      })),
    },
    terminals: Array.from({ length: 30 }, (_, i) => ({
      id: `ATM-${String(i).padStart(4, '0')}-WITH-A-LONG-SUFFIX`,
      status: i % 3 === 0 ? 'revoked' : 'active',
      cashCents: 9_999_999_999_99,
      lastSeenAt: new Date(T0 - i * 60_000).toISOString(),
    })),
  };
  return { ...base, status: 'serving', uptimeSec: 98_765, writerQueueDepth: 3 };
}

describe('bank-server top screen', () => {
  it('fits 80 columns by 24 lines however busy the bank is', () => {
    const history = new TopHistory();
    for (let i = 0; i <= 400; i++) history.push(figures(T0 - (400 - i) * 1000, i + 1));
    const lines = topLines({
      endpoint: 'http://management-network-host.example:9464',
      figures: history.latest,
      tick: history.lastTick,
      ticks: history.ticks,
      nowMs: T0,
      error: null,
      interactive: true,
    });
    const text = linesAsText(lines).split('\n');
    expect(text.length).toBeLessThanOrEqual(24);
    for (const line of text) expect([...line].length).toBeLessThanOrEqual(80);
    expect(text.join('\n')).toContain('… and');
    expect(text.join('\n')).toMatch(/req\/s 9000/);
    expect(text.some((l) => l.startsWith('TERMINAL'))).toBe(true);
    expect(text.some((l) => /[▁▂▃▄▅▆▇█]{20}/.test(l))).toBe(true);
  });

  it('says when the server cannot be read', () => {
    const text = linesAsText(
      topLines({
        endpoint: 'http://127.0.0.1:9',
        figures: null,
        tick: null,
        ticks: [],
        nowMs: T0,
        error: 'no bank server answering at http://127.0.0.1:9 (ECONNREFUSED)',
        interactive: true,
      }),
    );
    expect(text).toContain('unreachable');
    expect(text).toContain('ECONNREFUSED');
  });
});
