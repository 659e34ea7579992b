/**
 * What one sealed frame costs: µs per seal + encodeFrame (the server's answer path) and per open
 * (its request path), for payloads of the bench mix's sizes. Run:
 * npx tsx tests/bench/sealed-frame.bench.ts [iterations]
 * PROTOCOL_INDEX=/path/to/protocol/index.ts measures another copy of protocol/ (an older
 * commit's, unpacked with `git archive <commit> protocol | tar -x -C /tmp/old`).
 */
import { performance } from 'node:perf_hooks';

interface Result<T> {
  ok: boolean;
  value?: T;
}
interface Channel {
  sealer: { seal(plaintext: string): Result<Buffer>; sealFrame?(plaintext: string): Result<Buffer> };
  open(payload: Uint8Array): Result<Buffer>;
}
interface Protocol {
  SealedChannel: new (role: 'client' | 'server', keys: unknown, sessionId: Uint8Array) => Channel;
  encodeFrame(payload: Uint8Array): Buffer;
}

const target = process.env.PROTOCOL_INDEX ?? '../../protocol/index.js';
const protocol = (await import(target)) as Protocol;
const iterations = Number(process.argv[2] ?? 100_000);

const key = (n: number) => new Uint8Array(32).fill(n);
const keys = { c2sEnc: key(1), c2sMac: key(2), s2cEnc: key(3), s2cMac: key(4) };
const sessionId = new Uint8Array(16).fill(9);

// The bench mix's answer: about 150 bytes of JSON.
const answer = JSON.stringify({
  id: 'r-000123',
  ok: true,
  result: { balanceCents: 1_234_567, txId: 'tx-20261201-000000001234', currency: 'EUR', extra: 'x'.repeat(40) },
});
const request = JSON.stringify({ id: 'r-000123', op: 'transfer', amountCents: 2500, to: 'user-0042' });

function perCall(run: (i: number) => void, n: number): number {
  for (let i = 0; i < Math.min(20_000, n); i++) run(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) run(i);
  return ((performance.now() - t0) * 1000) / n;
}

function sealCost(): number {
  const server = new protocol.SealedChannel('server', keys, sessionId);
  let sink = 0;
  const { sealer } = server;
  // The server's answer path: one framed buffer (sealFrame), or seal then encodeFrame where it is older.
  const sealFrame = sealer.sealFrame
    ? (text: string) => sealer.sealFrame?.(text).value as Buffer
    : (text: string) => protocol.encodeFrame(sealer.seal(text).value as Buffer);
  const us = perCall(() => {
    sink += sealFrame(answer).length;
  }, iterations);
  if (sink < 0) throw new Error('unreachable');
  return us;
}

function openCost(): number {
  const client = new protocol.SealedChannel('client', keys, sessionId);
  const server = new protocol.SealedChannel('server', keys, sessionId);
  const n = Math.min(iterations + 20_000, 2 ** 20);
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(client.sealer.seal(request).value as Buffer);
  let at = 0;
  let sink = 0;
  const us = perCall(() => {
    const opened = server.open(frames[at++] as Buffer);
    if (!opened.ok) throw new Error('open failed');
    sink += (opened.value as Buffer).length;
  }, n - 20_000);
  if (sink < 0) throw new Error('unreachable');
  return us;
}

/** The best of several rounds: on a shared machine the minimum is the figure that repeats. */
function best(measure: () => number, rounds = 5): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) min = Math.min(min, measure());
  return min;
}

console.log(`sealed frames (${target}), ${iterations} iterations, best of 5`);
console.log(`seal into a frame (${answer.length} B answer): ${best(sealCost).toFixed(2)} µs`);
console.log(`open (${request.length} B request):            ${best(openCost).toFixed(2)} µs`);
