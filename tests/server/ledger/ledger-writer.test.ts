import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../protocol/index.js';
import { applyMutation, LedgerWriter, openLedger } from '../../../server/ledger/index.js';
import {
  config,
  customer,
  enrolTerminal,
  okResult,
  rejection,
  TEST_TERMINAL,
  TEST_TERMINAL_CASH,
  type TempLedger,
  tempLedger,
} from './ledger-fixture.js';

let fx: TempLedger;
let alice: number;
beforeEach(() => {
  fx = tempLedger();
  alice = customer(fx.store, 'alice');
  enrolTerminal(fx.store, TEST_TERMINAL, TEST_TERMINAL_CASH);
});
afterEach(() => fx.cleanup());

function depositJob(id: string, amountCents: number, accountId = alice, user = 'alice') {
  return (store: typeof fx.store) =>
    applyMutation(
      store,
      { accountId, user, nowMs: fx.clock.now, config: config(), terminal: TEST_TERMINAL },
      { id, op: 'deposit', amountCents },
    );
}

describe('LedgerWriter group commit', () => {
  it('commits everything queued in one transaction', async () => {
    const batches: number[] = [];
    const writer = new LedgerWriter(fx.store, { onBatch: (size) => batches.push(size) });
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => writer.submit(depositJob(`d${i}`, 1))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(batches).toEqual([100]);
    expect(fx.store.balance(alice)).toBe(100);
    await writer.close();
  });

  it('splits at maxBatch', async () => {
    const batches: number[] = [];
    const writer = new LedgerWriter(fx.store, { maxBatch: 10, onBatch: (size) => batches.push(size) });
    await Promise.all(Array.from({ length: 35 }, (_, i) => writer.submit(depositJob(`d${i}`, 1))));
    expect(batches).toEqual([10, 10, 10, 5]);
    await writer.close();
  });

  it('keeps a batch invisible to other connections until it commits, then resolves', async () => {
    const reader = openLedger(fx.path);
    const seenInside: number[] = [];
    const writer = new LedgerWriter(fx.store);
    const first = writer.submit(depositJob('a', 10));
    const peek = writer.submit(() => seenInside.push(reader.balance(alice)));
    await Promise.all([first, peek]);
    expect(seenInside).toEqual([0]); // uncommitted while the batch ran
    expect(reader.balance(alice)).toBe(10); // committed by the time the promise resolved
    reader.close();
    await writer.close();
  });

  it('rolls back only a throwing job and rejects it with INTERNAL; batch-mates commit', async () => {
    const errors: unknown[] = [];
    const batches: number[] = [];
    const writer = new LedgerWriter(fx.store, {
      onJobError: (e) => errors.push(e),
      onBatch: (size) => batches.push(size),
    });
    const before = writer.submit(depositJob('before', 5));
    const bad = writer.submit((store) => {
      okResult(depositJob('bad', 1000)(store)); // writes, then fails
      throw new Error('boom');
    });
    const asyncJob = writer.submit(async () => 1);
    const after = writer.submit(depositJob('after', 7));
    const error = await rejection(bad);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('INTERNAL');
    expect(((await rejection(asyncJob)) as ProtocolError).code).toBe('INTERNAL');
    expect((await before).ok).toBe(true);
    expect((await after).ok).toBe(true);
    expect(batches).toEqual([4]);
    expect(fx.store.balance(alice)).toBe(12);
    expect(fx.store.findApplied(alice, 'bad')).toBeNull();
    expect(fx.store.verify()).toMatchObject({ ok: true, entries: 6 }); // 4 + the terminal's cash load
    expect(errors.map((e) => String(e))).toEqual(['Error: boom', 'TypeError: ledger jobs must be synchronous']);
    await writer.close();
  });

  it('runs a clean batch once; after a throw the batch runs again, each job in its own savepoint', async () => {
    const runs = new Map<string, number>();
    const counted = (id: string, job: (store: typeof fx.store) => unknown) => (store: typeof fx.store) => {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      return job(store);
    };
    const writer = new LedgerWriter(fx.store);
    await Promise.all([
      writer.submit(counted('a', depositJob('a', 1))),
      writer.submit(counted('b', depositJob('b', 2))),
    ]);
    expect(Object.fromEntries(runs)).toEqual({ a: 1, b: 1 });
    runs.clear();
    // Throws in the first attempt only: the careful rerun commits it with its batch-mates.
    let attempts = 0;
    const flaky = counted('flaky', (store) => {
      attempts++;
      okResult(depositJob('flaky', 100)(store));
      if (attempts === 1) throw new Error('first attempt');
      return 'second';
    });
    const results = await Promise.all([
      writer.submit(counted('c', depositJob('c', 3))),
      writer.submit(flaky),
      writer.submit(counted('d', depositJob('d', 4))),
    ]);
    expect(results[1]).toBe('second');
    expect(Object.fromEntries(runs)).toEqual({ c: 2, flaky: 2, d: 1 });
    // Each deposit counted once: the first attempt left nothing behind.
    expect(fx.store.balance(alice)).toBe(1 + 2 + 3 + 100 + 4);
    expect(fx.store.verify()).toMatchObject({ ok: true });
    await writer.close();
  });

  it("keeps the fraud velocity window to what committed when an attempt or a job's savepoint rolls back", async () => {
    const strict = config({ fraud: { ...config().fraud, velocityCount: 3 } });
    const withdraw = (id: string) => (store: typeof fx.store) =>
      applyMutation(
        store,
        { accountId: alice, user: 'alice', nowMs: fx.clock.now, config: strict, terminal: TEST_TERMINAL },
        { id, op: 'withdraw', amountCents: 10 },
      );
    const writer = new LedgerWriter(fx.store, { onJobError: () => {} });
    okResult(await writer.submit(depositJob('fund', 1000)));
    // Two withdrawals, then a job that withdraws and throws: the batch runs twice, and the
    // thrower's withdrawal rolls back with its savepoint.
    const outcomes = await Promise.allSettled([
      writer.submit(withdraw('w1')),
      writer.submit(withdraw('w2')),
      writer.submit((store) => {
        okResult(withdraw('w-bad')(store));
        throw new Error('boom');
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(fx.store.balance(alice)).toBe(1000 - 20);
    // Two debits in the window: the third is within the limit of 3, the fourth is not.
    const third = await writer.submit(withdraw('w3'));
    expect(third).toMatchObject({ ok: true, alerts: [] });
    const fourth = await writer.submit(withdraw('w4'));
    expect(fourth.alerts.map((a) => a.rule)).toEqual(['VELOCITY']);
    await writer.close();
  });

  it('refuses with SERVER_BUSY beyond maxQueue', async () => {
    const writer = new LedgerWriter(fx.store, { maxQueue: 3 });
    const accepted = [1, 2, 3].map((i) => writer.submit(depositJob(`q${i}`, 1)));
    const refused = (await rejection(writer.submit(depositJob('q4', 1)))) as ProtocolError;
    expect(refused.code).toBe('SERVER_BUSY');
    expect(writer.queueDepth).toBe(3);
    await Promise.all(accepted);
    expect(writer.queueDepth).toBe(0);
    await writer.close();
  });

  it('answers SERVER_BUSY when another process holds the write lock past busy_timeout', async () => {
    fx.store.database.pragma('busy_timeout = 20');
    const other = openLedger(fx.path);
    other.database.exec('BEGIN IMMEDIATE');
    const writer = new LedgerWriter(fx.store);
    const refused = (await rejection(writer.submit(depositJob('locked', 1)))) as ProtocolError;
    expect(refused.code).toBe('SERVER_BUSY');
    other.database.exec('ROLLBACK');
    other.close();
    expect((await writer.submit(depositJob('locked', 1))).ok).toBe(true);
    await writer.close();
  });

  it('close() drains the queue, then refuses new jobs', async () => {
    const writer = new LedgerWriter(fx.store);
    const pending = Array.from({ length: 20 }, (_, i) => writer.submit(depositJob(`c${i}`, 1)));
    await writer.close();
    expect(fx.store.balance(alice)).toBe(20);
    expect((await Promise.all(pending)).every((o) => o.ok)).toBe(true);
    expect(((await rejection(writer.submit(depositJob('late', 1)))) as ProtocolError).code).toBe('SERVER_BUSY');
    await writer.close();
  });
});

describe('restart', () => {
  it('keeps balances and applied ids across close and reopen', async () => {
    const bob = customer(fx.store, 'bob');
    let writer = new LedgerWriter(fx.store);
    const first = await writer.submit(depositJob('keep-me', 1234));
    await writer.submit((store) =>
      applyMutation(
        store,
        { accountId: alice, user: 'alice', nowMs: fx.clock.now, config: config() },
        { id: 'pay-bob', op: 'transfer', amountCents: 234, to: 'bob' },
      ),
    );
    await writer.close();
    fx.store.close();

    const store = fx.reopen();
    writer = new LedgerWriter(store);
    expect(store.balance(alice)).toBe(1000);
    expect(store.balance(bob)).toBe(234);
    expect(store.findApplied(alice, 'keep-me')?.response).toEqual(okResult(first));
    const replay = await writer.submit(depositJob('keep-me', 1234));
    expect(replay).toMatchObject({ ok: true, replayed: true, result: { ...okResult(first), replayed: true } });
    expect(await writer.submit(depositJob('keep-me', 1))).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect(store.balance(alice)).toBe(1000);
    expect(store.verify()).toEqual({ ok: true, accounts: 2, entries: 6 }); // 4 + the terminal's cash load
    await writer.close();
  });
});

describe('throughput (logged, not asserted)', () => {
  it('applies 10,000 deposits through submit() with group commit', async () => {
    const users = Array.from({ length: 50 }, (_, i) => ({ id: customer(fx.store, `user${i}`), user: `user${i}` }));
    let batches = 0;
    const writer = new LedgerWriter(fx.store, { maxQueue: 20_000, onBatch: () => (batches += 1) });
    const total = 10_000;
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: total }, (_, i) => {
        const u = users[i % users.length] as { id: number; user: string };
        return writer.submit(depositJob(`t${i}`, 100, u.id, u.user));
      }),
    );
    const ms = performance.now() - started;
    console.log(
      `ledger throughput: ${total} deposits in ${ms.toFixed(0)} ms = ${Math.round((total / ms) * 1000)} jobs/s in ${batches} batches`,
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(batches).toBeLessThan(total / 10);
    expect(fx.store.verify()).toMatchObject({ ok: true, entries: 2 * total + 2 }); // + the terminal's cash load
    await writer.close();
  });
});
