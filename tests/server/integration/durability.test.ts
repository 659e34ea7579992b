import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { atTerminal, startTestBank, type TestBank, withLedger } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

describe('durability and concurrency', () => {
  const banks: TestBank[] = [];
  afterEach(async () => {
    for (const b of banks.splice(0)) await b.dispose().catch(() => {});
  });

  it('20 clients doing random transfers conserve money and leave `ledger verify` clean', async () => {
    const bank = await startTestBank();
    banks.push(bank);
    const users = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    const clients = await Promise.all(
      users.map(async (user) => {
        const c = await RawClient.connect({ ...atTerminal(bank) });
        const reply = await c.hello({ user, password: PASSWORD, method: 'register' });
        if (reply.kind !== 'welcome') throw new Error(reply.code);
        expect((await c.call({ op: 'deposit', amountCents: 10_000 })).ok).toBe(true);
        return c;
      }),
    );
    const seed = 20261123;
    const random = seededRandom(seed);
    let ok = 0;
    let refused = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 25; n++) {
          let to = users[Math.floor(random() * users.length)] as string;
          if (to === users[i]) to = users[(i + 1) % users.length] as string;
          const response = await client.call({ op: 'transfer', to, amountCents: 1 + Math.floor(random() * 3_000) });
          if (response.ok) ok++;
          else {
            expect((response.error as { code: string }).code).toBe('INSUFFICIENT_FUNDS');
            refused++;
          }
        }
      }),
    );
    expect(ok + refused).toBe(500);
    let total = 0;
    for (const client of clients) {
      const balance = ((await client.call({ op: 'balance' })).result as { balanceCents: number }).balanceCents;
      expect(balance).toBeGreaterThanOrEqual(0);
      total += balance;
      client.destroy();
    }
    expect(total, `seed ${seed}`).toBe(20 * 10_000);
    expect(withLedger(bank, (store) => store.verify())).toMatchObject({ ok: true });
  });

  it('a retry with the same id on a new connection applies once', async () => {
    const bank = await startTestBank();
    banks.push(bank);
    const first = await RawClient.connect({ ...atTerminal(bank) });
    await first.hello({ user: 'retrier', password: PASSWORD, method: 'register' });
    await first.call({ op: 'deposit', amountCents: 5_000 });
    // The response to this withdrawal is "lost": the client vanishes before reading it.
    first.send({ id: 'atm-7-000123', op: 'withdraw', amountCents: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    first.destroy();

    const second = await RawClient.login({ ...atTerminal(bank), user: 'retrier', password: PASSWORD });
    const retry = await second.call({ id: 'atm-7-000123', op: 'withdraw', amountCents: 2_000 });
    expect(retry).toMatchObject({ ok: true, result: { balanceCents: 3_000, replayed: true } });
    expect(await second.call({ op: 'balance' })).toMatchObject({ result: { balanceCents: 3_000 } });
    second.destroy();
  });

  it('balances and applied ids survive a restart', async () => {
    const bank = await startTestBank();
    const c = await RawClient.connect({ ...atTerminal(bank) });
    await c.hello({ user: 'keeper', password: PASSWORD, method: 'register' });
    const deposit = await c.call({ id: 'keep-1', op: 'deposit', amountCents: 4_242 });
    c.destroy();
    await bank.dispose({ keepDir: true });

    const again = await startTestBank({ dataDir: bank.dataDir });
    banks.push(again);
    const d = await RawClient.login({ ...atTerminal(again), user: 'keeper', password: PASSWORD });
    expect(await d.call({ op: 'balance' })).toMatchObject({ result: { balanceCents: 4_242 } });
    expect(await d.call({ id: 'keep-1', op: 'deposit', amountCents: 4_242 })).toMatchObject({
      result: { ...(deposit.result as object), replayed: true },
    });
    d.destroy();
    expect(again.caCert).toBe(bank.caCert);
  });
});
