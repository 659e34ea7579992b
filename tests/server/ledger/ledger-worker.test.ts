import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../protocol/index.js';
import {
  applyMutation,
  LedgerWorkerClient,
  type LedgerWorkerOptions,
  type MutatingRequest,
  requestHash,
} from '../../../server/ledger/index.js';
import {
  config,
  customer,
  enrolTerminal,
  rejection,
  TEST_TERMINAL,
  TEST_TERMINAL_CASH,
  type TempLedger,
  tempLedger,
} from './ledger-fixture.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

let fx: TempLedger;
let alice: number;
let bob: number;
const clients: LedgerWorkerClient[] = [];

beforeEach(() => {
  fx = tempLedger({ requestHashKey: KEY });
  alice = customer(fx.store, 'alice');
  bob = customer(fx.store, 'bob');
  enrolTerminal(fx.store, TEST_TERMINAL, TEST_TERMINAL_CASH);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  fx.cleanup();
});

async function startWorker(options: Partial<LedgerWorkerOptions> = {}): Promise<LedgerWorkerClient> {
  const client = await LedgerWorkerClient.start({ path: fx.path, requestHashKey: KEY, config: config(), ...options });
  clients.push(client);
  return client;
}

function as(accountId: number, user: string) {
  return { accountId, user, nowMs: fx.clock.now, terminal: TEST_TERMINAL };
}

function deposit(id: string, amountCents: number): MutatingRequest {
  return { id, op: 'deposit', amountCents };
}

describe('LedgerWorkerClient', () => {
  it('commits on its own connection before resolving, so the caller’s store sees the change at once', async () => {
    const client = await startWorker();
    const outcome = await client.mutate(as(alice, 'alice'), deposit('d1', 250));
    expect(outcome).toMatchObject({ ok: true, replayed: false, result: { balanceCents: 250 } });
    expect(fx.store.balance(alice)).toBe(250);
    expect(fx.store.findApplied(alice, 'd1')).not.toBeNull();
  });

  it('sends a turn’s mutations as one batch and answers each by its own id', async () => {
    const batches: number[] = [];
    const client = await startWorker({ onBatch: (size) => batches.push(size) });
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? client.mutate(as(alice, 'alice'), deposit(`a${i}`, 1))
          : client.mutate(as(bob, 'bob'), deposit(`b${i}`, 100)),
      ),
    );
    expect(batches).toEqual([60]);
    // Alice's 30 deposits of 1 and Bob's 30 of 100 interleave; each reply reached its own caller.
    const aliceBalances = outcomes.filter((_, i) => i % 2 === 0).map((o) => (o.ok ? o.result.balanceCents : -1));
    const bobBalances = outcomes.filter((_, i) => i % 2 === 1).map((o) => (o.ok ? o.result.balanceCents : -1));
    expect(aliceBalances).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(bobBalances).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 100));
    expect(client.queueDepth).toBe(0);
  });

  it('applies the same rules as in-thread: refusals, replays and the keyed request hash', async () => {
    const client = await startWorker();
    expect(await client.mutate(as(alice, 'alice'), { id: 'w1', op: 'withdraw', amountCents: 5 })).toMatchObject({
      ok: false,
      code: 'INSUFFICIENT_FUNDS',
    });
    await client.mutate(as(alice, 'alice'), deposit('d1', 40));
    expect(await client.mutate(as(alice, 'alice'), deposit('d1', 40))).toMatchObject({ ok: true, replayed: true });
    expect(await client.mutate(as(alice, 'alice'), deposit('d1', 41))).toMatchObject({
      ok: false,
      code: 'IDEMPOTENCY_CONFLICT',
    });
    // The worker hashed with the key it was given: the main store's check agrees.
    expect(fx.store.findApplied(alice, 'd1')?.requestHash).toBe(requestHash(deposit('d1', 40), KEY));
    // And an in-thread writer on the caller's store continues where the worker left off.
    const inThread = applyMutation(fx.store, { ...as(alice, 'alice'), config: config() }, deposit('d2', 2));
    expect(inThread).toMatchObject({ ok: true, result: { balanceCents: 42 } });
  });

  it('refuses with SERVER_BUSY beyond maxQueue', async () => {
    const client = await startWorker({ maxQueue: 2 });
    const first = client.mutate(as(alice, 'alice'), deposit('q1', 1));
    const second = client.mutate(as(alice, 'alice'), deposit('q2', 1));
    const third = await rejection(client.mutate(as(alice, 'alice'), deposit('q3', 1)));
    expect(third).toBeInstanceOf(ProtocolError);
    expect((third as ProtocolError).code).toBe('SERVER_BUSY');
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
  });

  it('answers a job that throws with INTERNAL, reports the error, and commits its batch-mates', async () => {
    const errors: unknown[] = [];
    const client = await startWorker({ onJobError: (error) => errors.push(error) });
    const good = client.mutate(as(alice, 'alice'), deposit('g1', 7));
    // An invalid time makes the withdrawal's day computation throw, after its balance check passed.
    const broken = { ...as(alice, 'alice'), nowMs: Number.NaN };
    const bad = await rejection(client.mutate(broken, { id: 'w1', op: 'withdraw', amountCents: 1 }));
    expect(bad).toBeInstanceOf(ProtocolError);
    expect((bad as ProtocolError).code).toBe('INTERNAL');
    expect((await good).ok).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(fx.store.balance(alice)).toBe(7);
  });

  it('close drains what is queued, is idempotent, and refuses afterwards', async () => {
    const client = await startWorker();
    const queued = Array.from({ length: 20 }, (_, i) => client.mutate(as(alice, 'alice'), deposit(`c${i}`, 1)));
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    expect((await Promise.all(queued)).every((o) => o.ok)).toBe(true);
    expect(fx.store.balance(alice)).toBe(20);
    const after = await rejection(client.mutate(as(alice, 'alice'), deposit('late', 1)));
    expect(after).toBeInstanceOf(ProtocolError);
  });

  it('fails to start when the ledger cannot be opened', async () => {
    await expect(
      LedgerWorkerClient.start({ path: `${fx.dir}/missing/dir/ledger.db`, config: config() }),
    ).rejects.toThrow();
  });
});
