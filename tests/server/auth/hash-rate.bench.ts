/**
 * Quick measurement, not a test: bcrypt verifies per second through the worker pool.
 * Run: npx tsx tests/server/auth/hash-rate.bench.ts [cost=12] [seconds=10] [workers=availableParallelism]
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createPasswordHasher } from '../../../server/auth/index.js';

const cost = Number(process.argv[2] ?? 12);
const seconds = Number(process.argv[3] ?? 10);
const workers = Number(process.argv[4] ?? availableParallelism());

const hasher = createPasswordHasher({ cost, workers });
const hash = await hasher.hash('Bench-Password-1');
// Warm every worker so start-up is not measured.
await Promise.all(Array.from({ length: workers }, () => hasher.verify('Bench-Password-1', hash)));

let done = 0;
let maxLagMs = 0;
let last = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  maxLagMs = Math.max(maxLagMs, now - last - 10);
  last = now;
}, 10);
const started = performance.now();
const deadline = started + seconds * 1000;
async function lane(): Promise<void> {
  while (performance.now() < deadline) {
    await hasher.verify('Bench-Password-1', hash);
    done++;
  }
}
// Twice as many callers as workers keeps the queue non-empty, like a login storm.
await Promise.all(Array.from({ length: workers * 2 }, lane));
const elapsed = (performance.now() - started) / 1000;
clearInterval(lagTimer);
await hasher.close();
console.log(
  JSON.stringify({
    cost,
    workers,
    verifies: done,
    seconds: Number(elapsed.toFixed(2)),
    perSecond: Number((done / elapsed).toFixed(2)),
    maxEventLoopLagMs: Number(maxLagMs.toFixed(1)),
  }),
);
