import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMutation, type LedgerConfig, LedgerWriter, type MutatingRequest } from '../../../server/ledger/index.js';
import { config, customer, enrolTerminal, TEST_TERMINAL, TEST_TERMINAL_CASH, tempLedger } from './ledger-fixture.js';

const USERS = ['alice', 'bob', 'carol', 'dave'] as const;

type Step =
  | { kind: 'op'; user: number; op: 'deposit' | 'withdraw'; amount: number; reuse: boolean }
  | { kind: 'transfer'; user: number; to: number; amount: number; reuse: boolean }
  | { kind: 'reverse'; user: number; pick: number; reuse: boolean }
  | { kind: 'tick'; seconds: number }
  | { kind: 'flush' };

const amount = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(0, -1, 20_001, 1_000_000));
const user = fc.nat({ max: USERS.length - 1 });
/** About one request in four reuses an earlier id of the same account. */
const reuse = fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('op' as const),
    user,
    op: fc.constantFrom('deposit' as const, 'withdraw' as const),
    amount,
    reuse,
  }),
  fc.record({ kind: fc.constant('transfer' as const), user, to: user, amount, reuse }),
  fc.record({ kind: fc.constant('reverse' as const), user, pick: fc.nat(), reuse }),
  fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
  fc.constant({ kind: 'flush' as const }),
);

const ledgerConfig: LedgerConfig = config({
  maxAmountCents: 20_000,
  dailyWithdrawalLimitCents: 15_000,
  reversalWindowSec: 600,
  fraud: { largeAmountCents: 4000, velocityCount: 4, velocityWindowSec: 60 },
  fraudAction: 'block',
});

describe('ledger properties', () => {
  it('random sequences through the writer keep money conserved and verify clean', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const fx = tempLedger();
        try {
          const ids = USERS.map((name) => customer(fx.store, name));
          enrolTerminal(fx.store, TEST_TERMINAL, TEST_TERMINAL_CASH);
          const writer = new LedgerWriter(fx.store, { maxBatch: 7 });
          const withdrawals: Array<{ user: number; txId: string }> = [];
          const usedIds: Array<{ user: number; request: MutatingRequest }> = [];
          let pending: Array<Promise<void>> = [];
          let n = 0;

          const submit = (who: number, fresh: MutatingRequest, wantReuse: boolean) => {
            const previous = usedIds.filter((u) => u.user === who);
            const reused = wantReuse && previous.length > 0 ? previous[n % previous.length] : undefined;
            const request = reused ? { ...fresh, id: reused.request.id } : fresh;
            usedIds.push({ user: who, request });
            const nowMs = fx.clock.now;
            pending.push(
              writer
                .submit((store) => {
                  const before = USERS.map((_, i) => store.balance(ids[i] as number));
                  const outcome = applyMutation(
                    store,
                    {
                      accountId: ids[who] as number,
                      user: USERS[who] as string,
                      nowMs,
                      config: ledgerConfig,
                      terminal: TEST_TERMINAL,
                    },
                    request,
                  );
                  const after = USERS.map((_, i) => store.balance(ids[i] as number));
                  return { outcome, before, after };
                })
                .then(({ outcome, before, after }) => {
                  // Never negative; a refusal or a replay moves nothing; a success reports the real balance.
                  for (const b of after) expect(b).toBeGreaterThanOrEqual(0);
                  if (!outcome.ok || outcome.replayed) expect(after).toEqual(before);
                  else expect(outcome.result.balanceCents).toBe(after[who]);
                  if (outcome.ok && !outcome.replayed && request.op === 'withdraw') {
                    withdrawals.push({ user: who, txId: String(outcome.result.txId) });
                  }
                  if (outcome.ok && outcome.replayed) expect(outcome.result.replayed).toBe(true);
                }),
            );
          };

          for (const s of steps) {
            n += 1;
            switch (s.kind) {
              case 'op':
                submit(s.user, { id: `r${n}`, op: s.op, amountCents: s.amount }, s.reuse);
                break;
              case 'transfer':
                submit(
                  s.user,
                  { id: `r${n}`, op: 'transfer', amountCents: s.amount, to: USERS[s.to] as string },
                  s.reuse,
                );
                break;
              case 'reverse': {
                const target = withdrawals[s.pick % Math.max(1, withdrawals.length)];
                const txId = target?.txId ?? 'T000000000001';
                submit(s.user, { id: `r${n}`, op: 'reverse', txId, reason: 'TIMEOUT' }, s.reuse);
                break;
              }
              case 'tick':
                await Promise.all(pending);
                pending = [];
                fx.clock.advance(s.seconds * 1000);
                break;
              case 'flush':
                await Promise.all(pending);
                pending = [];
                break;
            }
          }
          await Promise.all(pending);
          await writer.close();
          const report = fx.store.verify();
          expect(report).toMatchObject({ ok: true, accounts: USERS.length });
          const customers = fx.store.listAccounts().reduce((sum, a) => sum + a.balanceCents, 0);
          expect(
            customers +
              (fx.store.database
                .prepare(`SELECT SUM(balance_cents) FROM accounts WHERE kind IN ('vault', 'terminal')`)
                .pluck()
                .get() as number),
          ).toBe(0);
        } finally {
          fx.cleanup();
        }
      }),
      { numRuns: 50 },
    );
  });
});
