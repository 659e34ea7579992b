import { describe, expect, it } from 'vitest';
import { moveTerminalCash, SCHEMA_VERSION, verifyLedgerFile } from '../../../server/ledger/index.js';
import { buildDayReport } from '../../../server/terminals/terminal-report.js';
import { apply, eachTempLedger, enrolTerminal, okResult, T0, TEST_TERMINAL } from './ledger-fixture.js';

const DAY = new Date(T0).toISOString().slice(0, 10);
const OTHER_ATM = { id: 'ATM-OTHER', fingerprint: 'sha256:other-terminal' };

const fx = eachTempLedger('alice', 'bob');

function indexes(): string[] {
  return fx.store.database
    .prepare<[], string>(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions' ORDER BY name`,
    )
    .pluck()
    .all();
}

/** A day of cash at two machines, a transfer, a reversal, a load and an unload. */
function busyDay(): void {
  enrolTerminal(fx.store, OTHER_ATM, 40_000, fx.clock.now);
  okResult(apply(fx, 'alice', { id: 'd1', op: 'deposit', amountCents: 50_000 }));
  okResult(apply(fx, 'bob', { id: 'd2', op: 'deposit', amountCents: 7_000 }, { terminal: OTHER_ATM }));
  const w = okResult(apply(fx, 'alice', { id: 'w1', op: 'withdraw', amountCents: 3_000 }));
  okResult(apply(fx, 'alice', { id: 'w2', op: 'withdraw', amountCents: 1_500 }, { terminal: OTHER_ATM }));
  okResult(apply(fx, 'alice', { id: 'r1', op: 'reverse', txId: String(w.txId), reason: 'NOT_DISPENSED' }));
  okResult(apply(fx, 'alice', { id: 't1', op: 'transfer', to: 'bob', amountCents: 2_500 }, { terminal: null }));
  expect(
    moveTerminalCash(fx.store, { id: OTHER_ATM.id, kind: 'unload', amountCents: 1_000, nowMs: fx.clock.now }),
  ).toMatchObject({ ok: true });
  fx.clock.advance(24 * 60 * 60 * 1000); // the next day's movement is not in DAY's report
  okResult(apply(fx, 'bob', { id: 'w3', op: 'withdraw', amountCents: 100 }));
}

describe('ledger schema upgrades', () => {
  it('a ledger from before the terminal index was dropped upgrades: balances, history, day report and verify unchanged', () => {
    busyDay();
    const alice = fx.store.findAccount('alice')?.id ?? -1;
    const before = {
      accounts: fx.store.listAccounts(),
      history: fx.store.history(alice, 100),
      report: buildDayReport(fx.store, DAY),
    };
    // The same data as the previous schema version held it: with its index, one version back.
    fx.store.database.exec(
      'CREATE INDEX transactions_terminal ON transactions (terminal, created_ms) WHERE terminal IS NOT NULL',
    );
    fx.store.database.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    expect(indexes()).toContain('transactions_terminal');
    const oldReport = buildDayReport(fx.store, DAY);

    fx.reopen();
    expect(fx.store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes()).not.toContain('transactions_terminal');
    expect(fx.store.listAccounts()).toEqual(before.accounts);
    expect(fx.store.history(alice, 100)).toEqual(before.history);
    expect(buildDayReport(fx.store, DAY)).toEqual(oldReport);
    expect(oldReport).toEqual(before.report);
    expect(fx.store.verify()).toMatchObject({ ok: true });
    fx.store.close();
    expect(verifyLedgerFile(fx.path)).toMatchObject({ ok: true });
  });

  it("the day report counts each machine's own moves of that day from its cash account, as the transactions say", () => {
    busyDay();
    const report = buildDayReport(fx.store, DAY);
    const start = Date.parse(`${DAY}T00:00:00Z`);
    // What the report counted from the transactions table, by terminal, before the index went.
    const fromTransactions = fx.store.database.prepare<
      [string, number, number],
      { kind: string; count: number; cents: number }
    >(
      `SELECT kind, COUNT(*) AS count, SUM(amount_cents) AS cents FROM transactions
         WHERE terminal = ? AND created_ms >= ? AND created_ms < ? GROUP BY kind ORDER BY kind`,
    );
    for (const t of report.terminals) {
      const moves = Object.fromEntries(
        fromTransactions.all(t.id, start, start + 24 * 60 * 60 * 1000).map((m) => [m.kind, [m.count, m.cents]]),
      );
      const kinds = {
        deposit: 'deposits',
        withdrawal: 'withdrawals',
        reversal: 'reversals',
        load: 'loads',
        unload: 'unloads',
      };
      for (const [kind, field] of Object.entries(kinds)) {
        const [count, cents] = moves[kind] ?? [0, 0];
        expect((t as unknown as Record<string, unknown>)[field]).toMatchObject({ count, cents });
      }
    }
    const byId = new Map(report.terminals.map((t) => [t.id, t]));
    expect(byId.get(TEST_TERMINAL.id)).toMatchObject({
      deposits: { count: 1, cents: 50_000 },
      withdrawals: { count: 1, cents: 3_000 },
      reversals: { count: 1, cents: 3_000 },
    });
    expect(byId.get(OTHER_ATM.id)).toMatchObject({
      deposits: { count: 1, cents: 7_000 },
      withdrawals: { count: 1, cents: 1_500 },
      loads: { count: 1, cents: 40_000 },
      unloads: { count: 1, cents: 1_000 },
    });
  });
});
