import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryAudit } from '../../audit/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { atTerminal, startTestBank, type TestBank, withLedger } from '../helpers/test-bank.js';

const PASSWORD = 'Outbox-Pass-42!x';
const banks: TestBank[] = [];
afterEach(async () => {
  await Promise.all(banks.splice(0).map((b) => b.dispose()));
});

describe('mutations are audited through the outbox', () => {
  for (const ledgerWorker of [true, false]) {
    it(`exactly one request event per mutation, with its session, outcome and fraud alerts (${ledgerWorker ? 'worker' : 'main thread'})`, async () => {
      const audit = createMemoryAudit();
      const bank = await startTestBank({ ledgerWorker, fraudLargeAmountCents: 50_000 }, { audit });
      banks.push(bank);
      const client = await RawClient.connect({ ...atTerminal(bank) });
      await client.hello({ user: 'olga', password: PASSWORD, method: 'register' });
      const ok = await client.call({ id: 'd-1', op: 'deposit', amountCents: 90_000 });
      const refused = await client.call({ id: 'w-1', op: 'withdraw', amountCents: 10_000_000 });
      const replay = await client.call({ id: 'd-1', op: 'deposit', amountCents: 90_000 });
      expect(ok).toMatchObject({ ok: true });
      expect(refused).toMatchObject({ ok: false });
      expect(replay).toMatchObject({ ok: true, result: { replayed: true } });
      client.destroy();
      await bank.stop();

      const requests = audit.events.filter((e) => e.kind === 'request' && e.requestId);
      expect(requests.map((e) => [e.requestId, e.outcome, e.code ?? null])).toEqual([
        ['d-1', 'ok', null],
        ['w-1', 'error', refused.error && (refused.error as { code: string }).code],
        ['d-1', 'ok', null],
      ]);
      const [deposit, , again] = requests;
      expect(deposit).toMatchObject({
        actor: 'olga',
        op: 'deposit',
        amountCents: 90_000,
        balanceAfterCents: 90_000,
        txId: (ok.result as { txId: string }).txId,
        address: expect.any(String),
        sessionId: expect.any(String),
        detail: { outbox: expect.any(Number) },
      });
      expect(again?.detail).toMatchObject({ replayed: true });
      const alerts = audit.events.filter((e) => e.kind === 'fraud_alert');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ actor: 'olga', requestId: 'd-1', detail: { rule: expect.any(String) } });
      // Everything drained was made durable and deleted at the stop.
      expect(withLedger(bank, (s) => s.database.prepare('SELECT count(*) AS n FROM audit_outbox').get())).toEqual({
        n: 0,
      });
    });
  }
});
