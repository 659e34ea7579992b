import { describe, expect, it } from 'vitest';
import type { MutationOutcome } from '../../../server/ledger/index.js';
import type { LedgerBackend } from '../../../server/ledger/ledger-backend.js';
import type { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import type { SessionTerminal } from '../../../server/ledger/terminal-ledger.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { Bank, freshId } from './bank-under-test.js';

// The terminals' cash accounts (protocol/README.md §5.1) and the per-name lockout counters (§2.1), held
// to the same rules on both backends.

const ATM: SessionTerminal = { id: 'ATM-1', fingerprint: 'sha256:aa' };
const OTHER: SessionTerminal = { id: 'ATM-2', fingerprint: 'sha256:bb' };

describe.each(BACKENDS)('terminals on %s', (kind) => {
  const env = backendEnv(kind);

  async function openBank(): Promise<{ bank: Bank; pg: LedgerBackend }> {
    const bank = await Bank.open(env, ['alice', 'bob']);
    const pg = bank.ledger;
    for (const t of [ATM, OTHER]) await pg.enrollTerminal(t);
    expect(await pg.moveTerminalCash({ id: ATM.id, kind: 'load', amountCents: 50_000 })).toEqual({
      ok: true,
      cashCents: 50_000,
      txSeq: 1,
    });
    return { bank, pg };
  }

  function at(
    bank: Bank,
    pg: LedgerBackend,
    user: string,
    terminal: SessionTerminal | null,
    body: object,
  ): Promise<MutationOutcome> {
    return pg.mutate(bank.at(user, terminal), { id: freshId(), ...body } as never);
  }

  it('moves cash against the terminal, names it in history, and keeps every position by its entries', async () => {
    const { bank, pg } = await openBank();
    expect(await at(bank, pg, 'alice', ATM, { op: 'deposit', amountCents: 30_000 })).toMatchObject({
      ok: true,
      result: { balanceCents: 30_000 },
    });
    const w = await at(bank, pg, 'alice', ATM, { op: 'withdraw', amountCents: 2_000 });
    if (!w.ok) throw new Error(w.code);
    expect((await pg.findTerminal(ATM.id))?.cashCents).toBe(78_000);
    expect(
      await at(bank, pg, 'alice', OTHER, { op: 'reverse', txId: w.result.txId, reason: 'NOT_DISPENSED' }),
    ).toMatchObject({ ok: false, code: 'UNKNOWN_TX' });
    expect(
      await at(bank, pg, 'alice', ATM, { op: 'reverse', txId: w.result.txId, reason: 'NOT_DISPENSED' }),
    ).toMatchObject({ ok: true, result: { balanceCents: 30_000 } });
    const history = await pg.history(bank.target('alice').accountId, 10);
    if ('error' in history) throw new Error('history');
    expect(history.entries.map((e) => [e.kind, e.terminal])).toEqual([
      ['reversal', 'ATM-1'],
      ['withdrawal', 'ATM-1'],
      ['deposit', 'ATM-1'],
    ]);
    expect((await pg.findTerminal(ATM.id))?.cashCents).toBe(80_000);
    expect(await pg.verify()).toMatchObject({ ok: true, accounts: 2 });
  });

  it('refuses a withdrawal beyond the machine with TERMINAL_OUT_OF_CASH after the account checks', async () => {
    const { bank, pg } = await openBank();
    await at(bank, pg, 'alice', OTHER, { op: 'deposit', amountCents: 100_000 });
    await at(bank, pg, 'bob', ATM, { op: 'deposit', amountCents: 100 });
    expect(await at(bank, pg, 'bob', ATM, { op: 'withdraw', amountCents: 50_101 })).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
    });
    expect(await at(bank, pg, 'alice', ATM, { op: 'withdraw', amountCents: 50_101 })).toMatchObject({
      code: 'TERMINAL_OUT_OF_CASH',
    });
    expect(await at(bank, pg, 'alice', ATM, { op: 'withdraw', amountCents: 50_100 })).toMatchObject({ ok: true });
    expect((await pg.findTerminal(ATM.id))?.cashCents).toBe(0);
  });

  it('never pays out more than a machine holds when withdrawals race at it', async () => {
    const { bank, pg } = await openBank();
    for (const user of ['alice', 'bob']) await at(bank, pg, user, OTHER, { op: 'deposit', amountCents: 100_000 });
    const racing = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        at(bank, pg, i % 2 ? 'alice' : 'bob', ATM, { op: 'withdraw', amountCents: 10_000 }),
      ),
    );
    expect(racing.filter((o) => o.ok)).toHaveLength(5);
    expect(racing.filter((o) => !o.ok && o.code === 'TERMINAL_OUT_OF_CASH')).toHaveLength(7);
    expect((await pg.findTerminal(ATM.id))?.cashCents).toBe(0);
    expect((await pg.verify()).ok).toBe(true);
  });

  it('stops cash without a terminal, at a revoked or re-enrolled certificate', async () => {
    const { bank, pg } = await openBank();
    expect(await at(bank, pg, 'alice', null, { op: 'deposit', amountCents: 1 })).toMatchObject({
      code: 'TERMINAL_REQUIRED',
    });
    expect(
      await at(bank, pg, 'alice', { ...ATM, fingerprint: 'sha256:old' }, { op: 'deposit', amountCents: 1 }),
    ).toMatchObject({
      code: 'TERMINAL_REQUIRED',
      message: 'this terminal is no longer enrolled',
    });
    expect(await pg.revokeTerminal(ATM.id)).toBe(true);
    expect(await at(bank, pg, 'alice', ATM, { op: 'deposit', amountCents: 1 })).toMatchObject({
      code: 'TERMINAL_REQUIRED',
    });
    expect(await pg.moveTerminalCash({ id: ATM.id, kind: 'load', amountCents: 1 })).toEqual({
      ok: false,
      code: 'TERMINAL_REVOKED',
    });
    expect(await pg.enrollTerminal({ ...ATM, fingerprint: 'sha256:new' })).toEqual({ reenrolled: true });
    expect(
      await at(bank, pg, 'alice', { ...ATM, fingerprint: 'sha256:new' }, { op: 'deposit', amountCents: 1 }),
    ).toMatchObject({ ok: true });
    expect(await at(bank, pg, 'alice', null, { op: 'transfer', amountCents: 1, to: 'bob' })).toMatchObject({
      ok: true,
    });
  });

  it('loads, unloads and counts; an unload beyond the position is refused; verify names a tampered position', async () => {
    const { pg } = await openBank();
    expect(await pg.moveTerminalCash({ id: ATM.id, kind: 'unload', amountCents: 50_001 })).toEqual({
      ok: false,
      code: 'INSUFFICIENT_CASH',
    });
    expect(await pg.moveTerminalCash({ id: ATM.id, kind: 'unload', amountCents: 20_000 })).toMatchObject({
      ok: true,
      cashCents: 30_000,
    });
    expect(await pg.moveTerminalCash({ id: 'ATM-9', kind: 'load', amountCents: 1 })).toEqual({
      ok: false,
      code: 'UNKNOWN_TERMINAL',
    });
    expect((await pg.listTerminals()).map((t) => [t.id, t.status, t.cashCents])).toEqual([
      ['ATM-1', 'active', 30_000],
      ['ATM-2', 'active', 0],
      ['ATM-T', 'active', 0],
    ]);
    expect(await pg.verify()).toEqual({ ok: true, accounts: 2, entries: 4 });
    await env.exec(`UPDATE accounts SET balance_cents = balance_cents + 7 WHERE username = '~terminal-ATM-1'`);
    expect(await pg.verify()).toMatchObject({
      ok: false,
      fault: expect.stringMatching(/^balance mismatch: account ~terminal-ATM-1/),
    });
  });
});

const env = backendEnv('postgres');

// Several instances on one database: only PostgreSQL has them (the shared rules are in ledger-parity).
describe('per-name lockout counters across PostgreSQL instances', () => {
  it('holds one count across instances racing on one name, and an unlock forgets it', async () => {
    const bank = await Bank.open(env, ['alice']);
    const others: PostgresLedger[] = [];
    for (let i = 0; i < 6; i++) others.push((await env.open({ same: true, poolSize: 2 })) as PostgresLedger);
    const outcomes = await Promise.all(others.map((ledger) => ledger.logins.failure('alice', 5, 0)));
    // The sixth finds the name locked and counts nothing more.
    expect(outcomes.map((o) => o.failures).sort()).toEqual([1, 2, 3, 4, 5, 5]);
    expect(outcomes.filter((o) => o.justLocked)).toHaveLength(1);
    const pg = bank.ledger as PostgresLedger;
    expect((await pg.getAccount(bank.target('alice').accountId))?.failedLogins).toBe(5);
    expect(await pg.logins.nameLocked('alice')).toBe(true);
    expect(await pg.setLocked('alice', false)).toBe(true);
    expect(await pg.logins.nameLocked('alice')).toBe(false);
    expect(await pg.logins.failuresOf('alice')).toBe(0);
  });

  it('a login success resets the count and takes a TOTP step only once across instances', async () => {
    const bank = await Bank.open(env, ['alice']);
    const pg = bank.ledger as PostgresLedger;
    const alice = bank.target('alice').accountId;
    await pg.logins.failure('alice', 5, 60_000);
    const others: PostgresLedger[] = [];
    for (let i = 0; i < 4; i++) others.push((await env.open({ same: true, poolSize: 1 })) as PostgresLedger);
    const results = await Promise.all(others.map((ledger) => ledger.logins.success('alice', alice, 777)));
    expect(results.filter((r) => r.totpAccepted)).toHaveLength(1);
    expect(await pg.logins.failuresOf('alice')).toBe(0);
    expect((await pg.getAccount(alice))?.totpLastStep).toBe(777);
    await pg.setLocked('alice', true);
    expect(await pg.logins.success('alice', alice, null)).toEqual({ active: false, totpAccepted: false });
  });
});
