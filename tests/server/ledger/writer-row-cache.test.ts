/**
 * The writer's row cache (server/ledger/writer-row-cache.ts) never serves a row something else
 * changed: each test changes a row the cache holds in one of the ways it can change, then asks
 * the money rules for a decision that differs if the old row were used.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMutation,
  type LedgerStore,
  LedgerWorkerClient,
  LedgerWriter,
  type MutatingRequest,
  type MutationOutcome,
  moveTerminalCash,
  openLedger,
  revokeTerminal,
} from '../../../server/ledger/index.js';
import {
  codeOf,
  config,
  customer,
  enrolTerminal,
  freshId,
  rejection,
  TEST_TERMINAL,
  type TempLedger,
  tempLedger,
} from './ledger-fixture.js';

const require = createRequire(import.meta.url);

let fx: TempLedger;
let alice: number;
let bob: number;
/** Another connection to the same file: the operator CLI's, or the main thread's readers. */
let operator: LedgerStore;
let writer: LedgerWriter;

beforeEach(() => {
  fx = tempLedger();
  alice = customer(fx.store, 'alice');
  bob = customer(fx.store, 'bob');
  enrolTerminal(fx.store, TEST_TERMINAL, 1_000);
  operator = openLedger(fx.path, { clock: fx.clock.read });
  writer = new LedgerWriter(fx.store);
});
afterEach(async () => {
  await writer.close();
  operator.close();
  fx.cleanup();
});

type Body = { op: 'deposit' | 'withdraw'; amountCents: number } | { op: 'transfer'; to: string; amountCents: number };

/** One money request as a writer job for `user` at the test terminal. */
function job(body: Body, accountId = alice, user = 'alice') {
  return (store: LedgerStore): MutationOutcome =>
    applyMutation(store, { accountId, user, nowMs: fx.clock.now, config: config(), terminal: TEST_TERMINAL }, {
      id: freshId(),
      ...body,
    } as MutatingRequest);
}

const submit = (body: Body, accountId = alice, user = 'alice') => writer.submit(job(body, accountId, user));

function balanceOf(outcome: MutationOutcome): unknown {
  return outcome.ok ? outcome.result.balanceCents : outcome.code;
}

/** The counters as SQLite holds them (read on the operator's connection). */
function held(accountId: number) {
  const row = operator.accountRow(accountId);
  return { balance: row?.balance_cents, withdrawnCents: row?.withdrawn_cents };
}

/** The temp triggers gone: a write the cache's row eviction cannot see, to test the rules behind it alone. */
function dropEvictionTriggers(store: LedgerStore): void {
  const names = store.database
    .prepare<[], string>(
      `SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'ledger_row_cache_%'`,
    )
    .pluck()
    .all();
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) store.database.exec(`DROP TRIGGER temp.${name}`);
}

describe('writer row cache: another connection commits between batches', () => {
  beforeEach(async () => {
    // Batch 1 reads alice, bob and the terminal into the cache.
    expect(balanceOf(await submit({ op: 'deposit', amountCents: 500 }))).toBe(500);
    expect(balanceOf(await submit({ op: 'transfer', to: 'bob', amountCents: 100 }))).toBe(400);
  });

  it('an operator lock stops the next withdrawal', async () => {
    expect(operator.setLocked('alice', true)).toBe(true);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('ACCOUNT_LOCKED');
  });

  it('an operator lock from another process stops the next withdrawal', async () => {
    // What the operator CLI does, from a process of its own (the same SQL as store.setLocked).
    const script = `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(process.argv[1], { timeout: 5000 });
      db.prepare("UPDATE accounts SET locked = 1 WHERE username = 'alice'").run();
      db.close();`;
    execFileSync(process.execPath, ['-e', script, fx.path]);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('ACCOUNT_LOCKED');
  });

  it('a balance another connection lowered is the one the next withdrawal sees', async () => {
    // The same rules on the other connection (a transaction of its own): alice pays bob 300.
    const moved = applyMutation(
      operator,
      { accountId: alice, user: 'alice', nowMs: fx.clock.now, config: config(), terminal: null },
      { id: freshId(), op: 'transfer', to: 'bob', amountCents: 300 },
    );
    expect(balanceOf(moved)).toBe(100);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 150 }))).toBe('INSUFFICIENT_FUNDS');
    expect(balanceOf(await submit({ op: 'withdraw', amountCents: 60 }))).toBe(40);
    expect(balanceOf(await submit({ op: 'deposit', amountCents: 5 }, bob, 'bob'))).toBe(405);
  });

  it('a closed transfer target is unknown to the next transfer', async () => {
    expect(balanceOf(await submit({ op: 'transfer', to: 'alice', amountCents: 100 }, bob, 'bob'))).toBe(0);
    expect(operator.closeAccount('bob')).toEqual({ ok: true });
    expect(codeOf(await submit({ op: 'transfer', to: 'bob', amountCents: 1 }))).toBe('UNKNOWN_ACCOUNT');
  });

  it('a revoked terminal moves no more cash', async () => {
    expect(revokeTerminal(operator, TEST_TERMINAL.id, new Date(fx.clock.now).toISOString())).toBe(true);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('TERMINAL_REQUIRED');
  });

  it('a balance another connection raised is the one the next withdrawal sees', async () => {
    const paid = applyMutation(
      operator,
      { accountId: bob, user: 'bob', nowMs: fx.clock.now, config: config(), terminal: null },
      { id: freshId(), op: 'transfer', to: 'alice', amountCents: 100 },
    );
    expect(balanceOf(paid)).toBe(0);
    expect(balanceOf(await submit({ op: 'withdraw', amountCents: 450 }))).toBe(50);
    expect(held(alice)).toEqual({ balance: 50, withdrawnCents: 450 });
  });

  it('cash another connection unloaded and loaded is the cash the next withdrawals see', async () => {
    // The terminal held 1,000 and took 500 in: unload all but 50.
    const at = { id: TEST_TERMINAL.id, nowMs: fx.clock.now };
    expect(moveTerminalCash(operator, { ...at, kind: 'unload', amountCents: 1_450 })).toMatchObject({ cashCents: 50 });
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 60 }))).toBe('TERMINAL_OUT_OF_CASH');
    expect(moveTerminalCash(operator, { ...at, kind: 'load', amountCents: 1_000 })).toMatchObject({ cashCents: 1_050 });
    expect(balanceOf(await submit({ op: 'withdraw', amountCents: 60 }))).toBe(340);
  });
});

describe('writer row cache: rollbacks', () => {
  beforeEach(async () => {
    expect(balanceOf(await submit({ op: 'deposit', amountCents: 100 }))).toBe(100);
  });

  it('a throwing job (the batch reruns with savepoints) leaves no balance of the attempt that rolled back', async () => {
    // The first attempt withdraws 70 (cached: 30), then the next job throws and it all rolls back.
    const first = submit({ op: 'withdraw', amountCents: 70 });
    const thrower = writer.submit(() => {
      throw new Error('boom');
    });
    const third = submit({ op: 'withdraw', amountCents: 20 });
    expect(balanceOf(await first)).toBe(30);
    await rejection(thrower);
    expect(balanceOf(await third)).toBe(10);
    expect(held(alice)).toEqual({ balance: 10, withdrawnCents: 90 });
  });

  it('a job rolled back to its savepoint leaves no balance of its own', async () => {
    const thrower = writer.submit((store) => {
      expect(balanceOf(job({ op: 'withdraw', amountCents: 70 })(store))).toBe(30);
      throw new Error('boom after writing');
    });
    const after = submit({ op: 'withdraw', amountCents: 50 });
    await rejection(thrower);
    expect(balanceOf(await after)).toBe(50);
    expect(held(alice)).toEqual({ balance: 50, withdrawnCents: 50 });
  });

  it('a store.atomic that rolled back inside a job that carried on leaves no balance of its own', async () => {
    const carriesOn = writer.submit((store) => {
      try {
        store.atomic(() => {
          expect(balanceOf(job({ op: 'withdraw', amountCents: 70 })(store))).toBe(30);
          throw new Error('undone');
        });
      } catch {
        // The job goes on and its batch commits; the savepoint's writes are gone.
      }
      return 'carried on';
    });
    const after = submit({ op: 'withdraw', amountCents: 50 });
    expect(await carriesOn).toBe('carried on');
    expect(balanceOf(await after)).toBe(50);
    expect(held(alice)).toEqual({ balance: 50, withdrawnCents: 50 });
  });
});

describe("writer row cache: writes on the writer's own connection", () => {
  beforeEach(async () => {
    expect(balanceOf(await submit({ op: 'deposit', amountCents: 100 }))).toBe(100);
  });

  it('a lock written through the store between batches (the in-thread writer) stops the next withdrawal', async () => {
    expect(fx.store.setLocked('alice', true)).toBe(true);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('ACCOUNT_LOCKED');
  });

  it('a lock written inside a money job is seen by the next job of the same batch (row eviction)', async () => {
    const both = writer.submit((store) => {
      const outcome = job({ op: 'deposit', amountCents: 1 })(store);
      store.setLocked('alice', true);
      return outcome;
    });
    const next = submit({ op: 'withdraw', amountCents: 10 });
    expect(balanceOf(await both)).toBe(101);
    expect(codeOf(await next)).toBe('ACCOUNT_LOCKED');
  });

  it('without the row eviction, a job that is not a money op still drops the cache when it ends', async () => {
    dropEvictionTriggers(fx.store);
    const lock = writer.submit((store) => store.setLocked('alice', true));
    const next = submit({ op: 'withdraw', amountCents: 10 });
    expect(await lock).toBe(true);
    expect(codeOf(await next)).toBe('ACCOUNT_LOCKED');
  });

  it('without the row eviction, a write between batches still drops the cache (total_changes)', async () => {
    dropEvictionTriggers(fx.store);
    expect(fx.store.setLocked('alice', true)).toBe(true);
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('ACCOUNT_LOCKED');
  });

  it('a row another trigger changed during a balance update is not written back as RETURNING saw it', async () => {
    // A trigger of the kind a later schema might add: it writes the row the update wrote.
    fx.store.database.exec(`CREATE TEMP TRIGGER lock_when_low AFTER UPDATE OF balance_cents ON main.accounts
      WHEN NEW.kind = 'customer' AND NEW.balance_cents < 50 BEGIN UPDATE accounts SET locked = 1 WHERE id = NEW.id; END`);
    expect(balanceOf(await submit({ op: 'withdraw', amountCents: 60 }))).toBe(40);
    expect(codeOf(await submit({ op: 'deposit', amountCents: 10 }))).toBe('ACCOUNT_LOCKED');
  });

  it('after a schema change on its own connection (no row counted) it serves no row of the old shape', async () => {
    fx.store.database.exec(`ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT 'new column'`);
    const row = await writer.submit((store) => {
      job({ op: 'deposit', amountCents: 1 })(store);
      return store.accountRow(alice);
    });
    expect(row).toMatchObject({ balance_cents: 101, note: 'new column' });
  });

  it('a terminal revoked on the same connection moves no more cash', async () => {
    await writer.submit((store) => revokeTerminal(store, TEST_TERMINAL.id, new Date(fx.clock.now).toISOString()));
    expect(codeOf(await submit({ op: 'withdraw', amountCents: 10 }))).toBe('TERMINAL_REQUIRED');
  });
});

describe('writer row cache in the ledger worker', () => {
  it('an operator lock from another connection stops the next withdrawal the worker applies', async () => {
    await writer.close();
    const client = await LedgerWorkerClient.start({ path: fx.path, config: config() });
    try {
      const as = { accountId: alice, user: 'alice', nowMs: fx.clock.now, terminal: TEST_TERMINAL };
      const deposit = await client.mutate(as, { id: freshId(), op: 'deposit', amountCents: 100 });
      expect(balanceOf(deposit)).toBe(100);
      expect(operator.setLocked('alice', true)).toBe(true);
      const withdraw = await client.mutate(as, { id: freshId(), op: 'withdraw', amountCents: 10 });
      expect(codeOf(withdraw)).toBe('ACCOUNT_LOCKED');
    } finally {
      await client.close();
    }
    writer = new LedgerWriter(fx.store);
  });
});

describe('writer row cache: a balance write-through', () => {
  /** Alice's row as a batch serves it right after her deposit wrote it through, and as SQLite holds it. */
  async function servedAndHeld(store: LedgerStore, own: LedgerWriter) {
    const deposit = own.submit((s) =>
      applyMutation(
        s,
        { accountId: alice, user: 'alice', nowMs: fx.clock.now, config: config(), terminal: TEST_TERMINAL },
        { id: freshId(), op: 'deposit', amountCents: 7 },
      ),
    );
    // The same batch: served from the cache, as the deposit's RETURNING left it.
    const served = own.submit((s) => ({ ...s.accountRow(alice) }));
    expect(balanceOf(await deposit)).toBe(7);
    return { served: await served, held: store.database.prepare('SELECT * FROM accounts WHERE id = ?').get(alice) };
  }

  it('keeps every column of the row', async () => {
    const { served, held } = await servedAndHeld(fx.store, writer);
    expect(served).toEqual(held);
    expect(Object.keys(served)).toEqual(Object.keys(held as object));
  });

  it('keeps a column the code does not know, added before the writer started', async () => {
    await writer.close();
    const store = fx.reopen();
    store.database.exec(`ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT 'kept'`);
    writer = new LedgerWriter(store);
    const { served, held } = await servedAndHeld(store, writer);
    expect(served).toMatchObject({ balance_cents: 7, note: 'kept' });
    expect(served).toEqual(held);
  });
});
