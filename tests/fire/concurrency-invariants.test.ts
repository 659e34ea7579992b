import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../protocol/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestBank, type TestBank, withLedger } from '../helpers/test-bank.js';
import {
  balanceOf,
  FIRE_PASSWORD,
  fireSeed,
  fullHistory,
  historyFault,
  pick,
  randomInt,
  seededRandom,
} from './fire-kit.js';

const ACCOUNTS = 10;
const SESSIONS = 100;
const TRANSFERS_PER_SESSION = 15;
const OPENING_CENTS = 50_000;

interface Transfer {
  from: string;
  to: string;
  amountCents: number;
  txId: string;
}

describe('concurrency invariants: 100 sessions, random transfers among 10 accounts', () => {
  const seed = fireSeed();
  const because = (what: string) => `${what} (seed ${seed}; replay with FIRE_SEED=${seed})`;
  let bank: TestBank | null = null;
  afterEach(async () => {
    await bank?.dispose();
    bank = null;
  });

  it(`money is conserved, no balance goes negative, every history chains to its balance (seed ${seed})`, async () => {
    // 100 logins at once from 127.0.0.1: each holds a failed-login slot while it runs (§2.1).
    bank = await startTestBank({ maxFailedLoginsPerMinute: 1_000 });
    const { port, caCert: ca } = bank;
    const { cert, key } = bank.terminal;
    const users = Array.from({ length: ACCOUNTS }, (_, i) => `conc${i}`);
    for (const user of users) {
      const opener = await RawClient.connect({ port, ca, cert, key });
      expect((await opener.hello({ user, password: FIRE_PASSWORD, method: 'register' })).kind).toBe('welcome');
      expect((await opener.call({ op: 'deposit', amountCents: OPENING_CENTS })).ok).toBe(true);
      opener.destroy();
    }
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const user = users[i % ACCOUNTS] as string;
        return { user, client: await RawClient.login({ port, ca, cert, key, user, password: FIRE_PASSWORD }) };
      }),
    );

    const transfers: Transfer[] = [];
    let refused = 0;
    await Promise.all(
      sessions.map(async ({ user, client }, i) => {
        const rng = seededRandom(seed + i);
        for (let n = 0; n < TRANSFERS_PER_SESSION; n++) {
          let to = pick(rng, users);
          if (to === user) to = users[(users.indexOf(user) + 1) % ACCOUNTS] as string;
          const amountCents = randomInt(rng, 1, 9_000);
          const response = await client.call({ op: 'transfer', to, amountCents });
          if (response.ok === true) {
            const result = response.result as { txId: string; balanceCents: number };
            expect(result.balanceCents, because('balance after a transfer')).toBeGreaterThanOrEqual(0);
            transfers.push({ from: user, to, amountCents, txId: result.txId });
          } else {
            expect((response.error as { code: string }).code, because('the only refusal is lack of funds')).toBe(
              'INSUFFICIENT_FUNDS',
            );
            refused++;
          }
        }
      }),
    );
    expect(transfers.length + refused).toBe(SESSIONS * TRANSFERS_PER_SESSION);
    expect(new Set(transfers.map((t) => t.txId)).size, because('txIds are unique')).toBe(transfers.length);

    let total = 0;
    const byTxId = new Map(transfers.map((t) => [t.txId, t]));
    for (const user of users) {
      const reader = sessions.find((s) => s.user === user)?.client as RawClient;
      const balance = balanceOf(await reader.call({ op: 'balance' }));
      expect(balance, because(`${user} balance`)).toBeGreaterThanOrEqual(0);
      total += balance;
      const history = await fullHistory(reader);
      expect(historyFault(history, balance), because(`${user} history`)).toBeNull();
      const mine = transfers.filter((t) => t.from === user || t.to === user);
      expect(history.length, because(`${user} history: opening deposit + each transfer once`)).toBe(1 + mine.length);
      for (const entry of history as HistoryEntry[]) {
        if (entry.kind === 'deposit') continue;
        const t = byTxId.get(entry.txId);
        expect(t, because(`${entry.txId} in ${user}'s history is an acknowledged transfer`)).toBeDefined();
        if (!t) continue;
        if (entry.kind === 'transfer_out') {
          expect([t.from, -t.amountCents, t.to]).toEqual([user, entry.amountCents, entry.counterparty]);
        } else {
          expect(entry.kind).toBe('transfer_in');
          expect([t.to, t.amountCents, t.from]).toEqual([user, entry.amountCents, entry.counterparty]);
        }
      }
    }
    expect(total, because('money conserved')).toBe(ACCOUNTS * OPENING_CENTS);
    for (const s of sessions) s.client.destroy();
    expect(
      withLedger(bank, (store) => store.verify()),
      because('ledger verify'),
    ).toMatchObject({ ok: true });
    console.log(`[concurrency seed ${seed}] ${transfers.length} transfers applied, ${refused} refused for funds`);
  }, 120_000);
});
