/**
 * What one durable mutation costs in latency with nothing else in flight (the C=1 row of
 * `atm bench`, without TLS and sealing): a 4 KiB write + fdatasync in the same directory, one
 * transfer committed by the in-thread LedgerWriter, and the same through the ledger worker thread
 * (the production path: the hop there and back on top). Run:
 *   npx tsx tests/bench/one-mutation.bench.ts [mutations]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fsyncSamples } from '../../atm-client/bench/fsync-probe.js';
import {
  applyMutation,
  DEFAULT_LEDGER_CONFIG,
  LedgerWorkerClient,
  LedgerWriter,
  type MutatingRequest,
  openLedger,
} from '../../server/ledger/index.js';
import { setLedgerWorkerEntry } from '../../server/ledger/ledger-worker-client.js';

setLedgerWorkerEntry(new URL('../helpers/ledger-worker-host.mjs', import.meta.url));

const COUNT = Number(process.argv[2] ?? 2_000);
const config = DEFAULT_LEDGER_CONFIG;

function quantiles(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(3);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

const dir = await mkdtemp(join(tmpdir(), 'one-mutation-'));
const path = join(dir, 'ledger.db');
const store = openLedger(path);
const users = ['alice', 'bob'].map((user) => {
  const created = store.createAccount({ user, passwordHash: 'x' });
  if (!created.ok) throw new Error(created.code);
  return { user, id: created.account.id };
});
store.database.prepare('UPDATE accounts SET balance_cents = 1000000000 WHERE kind = ?').run('customer');

let n = 0;
function next(): { target: { accountId: number; user: string; nowMs: number }; request: MutatingRequest } {
  const from = users[n % 2] as { user: string; id: number };
  const to = users[(n + 1) % 2] as { user: string; id: number };
  n++;
  return {
    target: { accountId: from.id, user: from.user, nowMs: Date.now() },
    request: { id: `t${n}`, op: 'transfer', to: to.user, amountCents: 100 },
  };
}

async function timed(label: string, one: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await one();
  const ms: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    await one();
    ms.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(44)} ${quantiles(ms)}`);
}

console.log(`${COUNT} one at a time, in ${dir}`);
const fsync = fsyncSamples(dir, COUNT);
console.log(`${'4 KiB write + fdatasync'.padEnd(44)} ${quantiles(fsync)}`);

const writer = new LedgerWriter(store);
await timed('one transfer, in-thread writer', () => {
  const { target, request } = next();
  return writer.submit((s) => applyMutation(s, { ...target, config }, request));
});
await writer.close();

const client = await LedgerWorkerClient.start({ path, config });
await timed('one transfer, ledger worker thread', () => {
  const { target, request } = next();
  return client.mutate(target, request);
});
await client.close();
store.close();
await rm(dir, { recursive: true, force: true });
