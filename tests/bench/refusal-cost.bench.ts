/**
 * What a refused request costs the server's parser: µs per parseRequest call for requests
 * it refuses (unknown op, missing field, bad amount, not an object) and, for comparison,
 * for ones it accepts. Run: npx tsx tests/bench/refusal-cost.bench.ts [iterations]
 * PROTOCOL_INDEX=/path/to/protocol/index.ts measures another copy of protocol/ (an older
 * commit's, unpacked with `git archive <commit> protocol | tar -x -C /tmp/old`).
 */
import { performance } from 'node:perf_hooks';

type Parse = (payload: string, limits?: { maxAmountCents?: number }) => { ok: boolean };

const target = process.env.PROTOCOL_INDEX ?? '../../protocol/index.js';
const { parseRequest } = (await import(target)) as { parseRequest: Parse };
const iterations = Number(process.argv[2] ?? 200_000);

const CASES: Record<string, string[]> = {
  refused: [
    JSON.stringify({ id: 'r1', op: 'fly' }),
    JSON.stringify({ id: 'r2', op: 'transfer', amountCents: 5 }),
    JSON.stringify({ id: 'r3', op: 'withdraw', amountCents: 1.5 }),
    JSON.stringify({ id: 'r4', op: 'deposit', amountCents: 500, extra: 1 }),
    '[1,2,3]',
  ],
  accepted: [
    JSON.stringify({ id: 'a1', op: 'balance' }),
    JSON.stringify({ id: 'a2', op: 'withdraw', amountCents: 2000 }),
    JSON.stringify({ id: 'a3', op: 'transfer', amountCents: 5, to: 'bob' }),
  ],
};

function measure(payloads: string[]): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += parseRequest(payloads[i % payloads.length] as string).ok ? 1 : 0;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    sink += parseRequest(payloads[i % payloads.length] as string, { maxAmountCents: 100_000_000 }).ok ? 1 : 0;
  }
  const us = ((performance.now() - t0) * 1000) / iterations;
  if (sink < 0) throw new Error('unreachable');
  return us;
}

for (const [name, payloads] of Object.entries(CASES)) {
  const runs = [measure(payloads), measure(payloads), measure(payloads)].sort((a, b) => a - b);
  console.log(`${name.padEnd(9)} ${runs[1]?.toFixed(3)} µs per parseRequest (median of 3 × ${iterations})`);
}
