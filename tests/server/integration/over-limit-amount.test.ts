import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAudit } from '../../../audit/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';

describe('an amount above the per-request maximum', () => {
  const audit = createMemoryAudit();
  let bank: TestBank;
  let client: RawClient;
  beforeAll(async () => {
    bank = await startTestBank({}, { audit });
    client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await client.hello({ user: 'limits', password: 'Correct-Horse-42!', method: 'register' });
    expect(reply.kind).toBe('welcome');
  });
  afterAll(async () => {
    client.destroy();
    await bank.dispose();
  });

  it('keeps its op in metrics and audit, and the answer names the limit and carries maxAmountCents', async () => {
    const response = await client.call({ id: 'over-1', op: 'deposit', amountCents: 100_000_001 });
    expect(response).toMatchObject({
      id: 'over-1',
      ok: false,
      error: {
        code: 'INVALID_AMOUNT',
        message: 'amount is above the per-transaction maximum of $1,000,000.00',
        maxAmountCents: 100_000_000,
      },
    });
    const metrics = await (await fetch(`http://127.0.0.1:${bank.adminPort}/metrics`)).text();
    expect(metrics).toContain('bank_requests_total{op="deposit",outcome="INVALID_AMOUNT"} 1');
    expect(metrics).not.toContain('op="invalid"');
    const event = audit.events.find((e) => e.kind === 'request' && e.requestId === 'over-1');
    expect(event).toMatchObject({ op: 'deposit', amountCents: 100_000_001, code: 'INVALID_AMOUNT' });
  });

  it('an amount of the wrong type keeps its op too, without a maximum', async () => {
    const response = await client.call({ id: 'bad-type', op: 'withdraw', amountCents: 12.5 });
    expect(response).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT' } });
    expect((response.error as Record<string, unknown>).maxAmountCents).toBeUndefined();
    expect(audit.events.find((e) => e.requestId === 'bad-type')).toMatchObject({ op: 'withdraw' });
  });
});
