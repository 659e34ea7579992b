import { describe, expect, it } from 'vitest';
import { SqliteLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/postgres-ledger.js';
import { utcDay } from '../../../server/ledger/tx-id.js';
import type { SessionStore } from '../../../server/session/services.js';
import { openPostgresBankLedger } from '../../../server/wiring/postgres-bank-ledger.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { Bank } from './bank-under-test.js';

/** The session store a running bank answers balance requests from, over the bank's ledger. */
async function sessionStoreOf(bank: Bank, cleanups: Array<() => Promise<void>>): Promise<SessionStore> {
  const { ledger } = bank;
  if (ledger instanceof SqliteLedgerBackend) return ledger.store;
  if (!(ledger instanceof PostgresLedger)) throw new Error('unknown backend');
  const wired = await openPostgresBankLedger({
    ledger,
    requestHashKey: new Uint8Array(32),
    lockout: { threshold: 5, lockoutMs: 60_000 },
    clock: bank.env.clock.read,
    onError: () => {},
  });
  cleanups.push(() => wired.closeWriter());
  return wired.store;
}

describe.each(BACKENDS)('the one-read balance view on %s', (kind) => {
  const env = backendEnv(kind);

  it("answers balance, today's withdrawals and the flags a balance request checks, as the separate reads do", async () => {
    const cleanups: Array<() => Promise<void>> = [];
    try {
      const bank = await Bank.open(env);
      const store = await sessionStoreOf(bank, cleanups);
      const alice = bank.target('alice').accountId;
      const today = utcDay(env.clock.now);
      await bank.fund('alice', 5000);
      await bank.withdrawal('alice', 1200);
      expect(await store.balanceView(alice, today)).toEqual({
        status: 'active',
        locked: false,
        balanceCents: 3800,
        withdrawnCents: 1200,
        totpEnabled: false,
      });
      // Another day's withdrawals do not count against this one.
      expect(await store.balanceView(alice, '1999-01-01')).toMatchObject({ balanceCents: 3800, withdrawnCents: 0 });
      expect(await store.balanceView(alice, today)).toMatchObject({
        balanceCents: await store.balance(alice),
        withdrawnCents: await store.withdrawnOn(alice, today),
      });
      await bank.ledger.setLocked('alice', true);
      expect(await store.balanceView(alice, today)).toMatchObject({ status: 'active', locked: true });
      // A closed account is still there (renamed), and says so.
      const bob = bank.target('bob').accountId;
      await bank.ledger.closeAccount('bob');
      expect(await store.balanceView(bob, today)).toMatchObject({ status: 'closed', balanceCents: 0 });
      // No such customer: null, never the vault or a terminal's cash account.
      expect(await store.balanceView(999_999, today)).toBeNull();
      const [vault] = await env.query(`SELECT id FROM accounts WHERE kind = 'vault'`);
      expect(await store.balanceView(Number(vault?.id), today)).toBeNull();
    } finally {
      for (const cleanup of cleanups) await cleanup();
    }
  });
});
