import { describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { atTerminal, suiteBank } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

describe('/status carries the live figures', () => {
  const bank = suiteBank({ fraudLargeAmountCents: 1_000_000 });

  it('counts requests by op and outcome, fills the histograms, lists alerts, and shows no balance', async () => {
    const client = await RawClient.login({
      ...atTerminal(bank),
      user: 'figures',
      password: PASSWORD,
      method: 'register',
    });
    // The second deposit trips the large-amount rule (its amount is in the alert); the balance
    // they make, 1,834,567 cents, must not appear anywhere in /status.
    expect((await client.call({ op: 'deposit', amountCents: 600_000 })).ok).toBe(true);
    expect((await client.call({ op: 'deposit', amountCents: 1_234_567 })).ok).toBe(true);
    expect((await client.call({ op: 'balance' })).ok).toBe(true);
    expect((await client.call({ op: 'withdraw', amountCents: 99_999_999 })).ok).toBe(false);

    const res = await fetch(`http://127.0.0.1:${bank.adminPort}/status`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const raw = await res.text();
    const body = JSON.parse(raw) as Record<string, unknown> & {
      requests: { op: string; total: number; outcomes: Record<string, number> }[];
      latency: { count: number; le: number[] };
      commitBatchSize: { count: number };
      fraudAlerts: { total: number; newest: { user: string; rule: string }[] };
      terminals: unknown[];
    };
    expect(body.status).toBe('serving');
    expect(body.sessions).toBe(1);
    expect(body.requestsServed).toBe(4);
    const byOp = Object.fromEntries(body.requests.map((r) => [r.op, r]));
    expect(byOp.deposit?.outcomes).toEqual({ ok: 2 });
    expect(byOp.balance?.total).toBe(1);
    expect(Object.keys(byOp.withdraw?.outcomes ?? {})).not.toContain('ok');
    expect(body.latency.count).toBe(4);
    expect(body.latency.le.length).toBeGreaterThan(5);
    expect(body.commitBatchSize.count).toBeGreaterThanOrEqual(1);
    expect(body.fraudAlerts.total).toBe(1);
    expect(body.fraudAlerts.newest[0]).toMatchObject({ user: 'figures', rule: 'LARGE_AMOUNT' });
    expect(body.terminals).toMatchObject([{ id: bank.terminal.id, status: 'active' }]);
    // The balance is nowhere as a value of its own (the terminal's cash holds it plus the float).
    expect(raw).not.toMatch(/(?<![0-9])1834567(?![0-9])/);
    expect(raw).not.toContain('18345.67');
    expect(raw).not.toContain(PASSWORD);
    client.destroy();
  });
});
