import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import {
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  parseEnvelope,
  parseHandshakeReply,
  parseHello,
  parseJsonObject,
  parseRequest,
  parseServerMessage,
  SealedChannel,
} from '../../protocol/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { FIRE_PASSWORD, helloPayload, LoopbackPeer, mib, rssOf, sleep } from './fire-kit.js';

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

const userArb = fc.constantFrom('fuzzpeer', 'nobody', 'a', 'x'.repeat(40), 'Bad User', '');
const amountArb = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -0),
  fc.string({ maxLength: 8 }),
);
const idArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('', 'x'.repeat(65), 'ünï', 'a b'),
  fc.integer(),
);
const txIdArb = fc.oneof(fc.stringMatching(/^T[0-9]{12}$/), fc.string({ maxLength: 16 }));

/** Requests of every op the session can survive (no logout, password change or TOTP confirm). */
const validShapeArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ op: fc.constant('balance') }),
  fc.record({ op: fc.constant('ping') }),
  fc.record({ op: fc.constantFrom('deposit', 'withdraw'), amountCents: amountArb }),
  fc.record({ op: fc.constant('transfer'), to: userArb, amountCents: amountArb }),
  fc.record({
    op: fc.constant('reverse'),
    txId: txIdArb,
    reason: fc.constantFrom('NOT_DISPENSED', 'TIMEOUT', 'CUSTOMER_CANCELLED', 'BECAUSE'),
  }),
  fc.record(
    { op: fc.constant('history'), limit: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.string()), before: txIdArb },
    { requiredKeys: ['op'] },
  ),
  fc.record(
    { op: fc.constant('update_contact'), email: fc.string({ maxLength: 300 }), phone: fc.string({ maxLength: 30 }) },
    { requiredKeys: ['op'] },
  ),
  fc.record({ op: fc.constant('totp_enroll') }),
);

/** A request shape bent one way: a field dropped, retyped or added, an unknown op. */
const mutatedRequestArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validShapeArb,
    idArb,
    fc.constantFrom('none', 'drop', 'retype', 'extra', 'op', 'noid'),
    fc.string({ maxLength: 12 }),
    fc.anything({ maxDepth: 2 }),
  )
  .map(([shape, id, how, key, junk]) => {
    const message: Record<string, unknown> = { id, ...shape };
    const keys = Object.keys(shape);
    const victim = keys[(key.length * 7) % keys.length] ?? 'op';
    if (how === 'drop') delete message[victim];
    if (how === 'retype') message[victim] = junk;
    if (how === 'extra') message[key || 'extra'] = junk;
    if (how === 'op') message.op = key;
    if (how === 'noid') delete message.id;
    // The one op these sessions must not send: it would end them on purpose.
    if (message.op === 'logout') message.op = 'logouts';
    return message;
  });

/**
 * Plaintexts that a correct sender seals correctly but that are not valid requests (or are,
 * by chance): mutated requests, random JSON, random text, random bytes (not always UTF-8).
 */
export const sealedPlaintextArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 5, arbitrary: mutatedRequestArb.map((m) => JSON.stringify(m)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
  )
  .map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))
  .filter((b) => b.length > 0 && !/"op"\s*:\s*"logout"/.test(b.toString('latin1')));

/** Ways to break a correct sealed frame after welcome: each must end the session silently. */
export type FrameBreak =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'seq'; delta: number }
  | { kind: 'envelope'; junk: string }
  | { kind: 'length'; length: number }
  | { kind: 'truncate-then-garbage'; keep: number; garbage: Uint8Array };

export const frameBreakArb: fc.Arbitrary<FrameBreak> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('seq' as const), delta: fc.constantFrom(-1, 1, 2, 1000, 2 ** 31) }),
  fc.record({ kind: fc.constant('envelope' as const), junk: fc.json({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('length' as const), length: fc.constantFrom(0, MAX_FRAME_BYTES + 1, 2 ** 32 - 1) }),
  fc.record({
    kind: fc.constant('truncate-then-garbage' as const),
    keep: fc.nat(),
    garbage: fc.uint8Array({ minLength: 4, maxLength: 64 }),
  }),
);

/** Pre-welcome input: garbage, random frames, random JSON, hellos bent every way. */
export const preAuthArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ minLength: 1, maxLength: 500 }).map((b) => encodeFrame(b)),
  fc.json({ maxDepth: 3 }).map((j) => encodeFrame(j)),
  fc
    .tuple(
      fc.constantFrom('drop', 'retype', 'extra', 'protocol', 'method'),
      fc.constantFrom('type', 'protocol', 'clientNonce', 'clientKey', 'auth', 'terminal'),
      fc.anything({ maxDepth: 2 }),
    )
    .map(([how, key, junk]) => {
      const hello = JSON.parse(helloPayload({ user: 'nobody', password: 'Not-The-Password-1!' }).toString()) as Record<
        string,
        unknown
      >;
      if (how === 'drop') delete hello[key];
      if (how === 'retype' || how === 'extra') hello[how === 'extra' ? `${key}x` : key] = junk;
      if (how === 'protocol') hello.protocol = 'secure-atm/2';
      if (how === 'method') hello.auth = { method: junk, user: 'nobody', password: 'x' };
      return encodeFrame(JSON.stringify(hello));
    }),
  fc.constantFrom(0, MAX_FRAME_BYTES + 1, 2 ** 32 - 1).map((n) => {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(n, 0);
    return b;
  }),
);

/** A chunked byte stream for the decoder: valid frames, bad lengths and random bytes, cut anywhere. */
export const decoderStreamArb = fc.record({
  parts: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => encodeFrame(b)) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => Buffer.from(b)) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n) => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(n, 0);
          return b;
        }),
      },
    ),
    { minLength: 1, maxLength: 12 },
  ),
  cuts: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
});

// ---------------------------------------------------------------------------------------
// The decoder and the parsers
// ---------------------------------------------------------------------------------------

/**
 * Push one generated stream through a FrameDecoder in odd-sized chunks and every frame it yields
 * through every parser. Returns how many frames were fed; throws if any invariant breaks.
 */
export function fuzzDecoderOnce(input: { parts: Buffer[]; cuts: number[] }): number {
  const stream = Buffer.concat(input.parts);
  const decoder = new FrameDecoder();
  let at = 0;
  let cut = 0;
  let frames = 0;
  let broken = false;
  while (at < stream.length) {
    const size = input.cuts[cut++ % input.cuts.length] as number;
    const result = decoder.push(stream.subarray(at, at + size));
    at += size;
    if (decoder.bufferedBytes > 4 + MAX_FRAME_BYTES) throw new Error(`decoder holds ${decoder.bufferedBytes} bytes`);
    if (broken && !result.error) throw new Error('a broken decoder recovered');
    for (const frame of result.frames) {
      if (frame.length < 1 || frame.length > MAX_FRAME_BYTES) throw new Error(`frame of ${frame.length} bytes`);
      frames++;
      // None of these may throw, whatever the bytes.
      parseHello(frame);
      parseHandshakeReply(frame);
      parseRequest(frame, { maxAmountCents: 100_000_000 });
      parseServerMessage(frame);
      parseEnvelope(frame);
      parseJsonObject(frame);
    }
    if (result.error) broken = true;
  }
  return frames + input.parts.length;
}

/** Open garbage and forged envelopes with a real channel: a Result every time, never a throw. */
export function fuzzOpenerOnce(payload: Uint8Array): void {
  const keys = {
    c2sEnc: Buffer.alloc(32, 1),
    c2sMac: Buffer.alloc(32, 2),
    s2cEnc: Buffer.alloc(32, 3),
    s2cMac: Buffer.alloc(32, 4),
  };
  const server = new SealedChannel('server', keys, new Uint8Array(16));
  const opened = server.open(payload);
  if (opened.ok && payload.length > 0) {
    // Only a frame sealed with these keys opens; random bytes must not.
    throw new Error('a random payload opened');
  }
}

// ---------------------------------------------------------------------------------------
// A live server
// ---------------------------------------------------------------------------------------

export interface LiveFuzzPlan {
  seed: number;
  /** Sealed, well-formed frames of bad (or random) messages: answered, the session goes on. */
  sealed: number;
  /** Broken frames after welcome: each ends its session silently. */
  broken: number;
  /** Pre-welcome inputs, one connection each. */
  preAuth: number;
  log: (line: string) => void;
}

export interface LiveFuzzReport {
  frames: number;
  answered: number;
  silentCloses: number;
  preAuthErrorFrames: number;
  preAuthCloses: number;
  rssSamples: number[];
  server: SpawnedServer;
}

function breakFrame(client: RawClient, how: FrameBreak): Buffer {
  const channel = client.channel as SealedChannel;
  const sealed = client.seal({ id: 'victim', op: 'balance' });
  switch (how.kind) {
    case 'flip': {
      const frame = Buffer.from(sealed);
      const at = how.at % frame.length;
      frame[at] = (frame[at] as number) ^ (1 << how.bit);
      // A flip inside JSON whitespace-free text can still parse to the same object only if it hits
      // nothing; flipping bit 0..7 of any byte of `{"seq":0,...}` changes it, so it cannot authenticate.
      return encodeFrame(frame);
    }
    case 'seq': {
      const envelope = JSON.parse(sealed.toString()) as { seq: number };
      envelope.seq = Math.max(0, envelope.seq + how.delta);
      if (envelope.seq === channel.sealer.seq - 1) envelope.seq += 2;
      return encodeFrame(JSON.stringify(envelope));
    }
    case 'envelope':
      return encodeFrame(how.junk);
    case 'length': {
      const b = Buffer.alloc(4 + 16);
      b.writeUInt32BE(how.length, 0);
      return b;
    }
    case 'truncate-then-garbage': {
      const frame = encodeFrame(sealed);
      const keep = 4 + (how.keep % (frame.length - 4));
      // The garbage completes the declared length with bytes that cannot authenticate.
      const rest = frame.length - keep;
      const garbage = Buffer.alloc(rest, 0x7b);
      Buffer.from(how.garbage).copy(garbage, 0, 0, Math.min(rest, how.garbage.length));
      const out = Buffer.concat([frame.subarray(0, keep), garbage]);
      if (out.equals(frame)) out[out.length - 1] = (out[out.length - 1] as number) ^ 1;
      return out;
    }
  }
}

async function sampleRss(pid: number, samples: number[], stop: { done: boolean }): Promise<void> {
  while (!stop.done) {
    const rss = await rssOf(pid);
    if (rss !== null) samples.push(rss);
    await sleep(250);
  }
}

/**
 * Drive a spawned bank-server with generated input: sealed bad messages on long-lived sessions
 * (pipelined, 32 at a time), broken frames that must end a session silently, and pre-welcome
 * garbage from another loopback address (so its failed logins do not rate-limit the sessions).
 * Throws (with the seed) when the server answers wrongly; the caller checks liveness and memory.
 */
export async function fuzzLiveServer(plan: LiveFuzzPlan): Promise<LiveFuzzReport> {
  const server = await spawnBankServer(['--allow-registration']);
  const ca = await readFile(server.caPath, 'utf8');
  const pid = server.proc.pid as number;
  const rssSamples: number[] = [];
  const stop = { done: false };
  const sampler = sampleRss(pid, rssSamples, stop);
  const report: LiveFuzzReport = {
    frames: 0,
    answered: 0,
    silentCloses: 0,
    preAuthErrorFrames: 0,
    preAuthCloses: 0,
    rssSamples,
    server,
  };
  const tag = `seed ${plan.seed}; replay with FIRE_SEED=${plan.seed}`;
  try {
    for (const user of ['fuzzpeer', 'fuzzbreak']) {
      const c = await RawClient.connect({ port: server.port, ca });
      const reply = await c.hello({ user, password: FIRE_PASSWORD, method: 'register' });
      if (reply.kind !== 'welcome') throw new Error(`register ${user}: ${reply.code}`);
      c.destroy();
    }

    // ---- sealed bad messages: 4 sessions, 32 in flight each
    const workers = 4;
    const perWorker = Math.ceil(plan.sealed / workers);
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const client = await RawClient.login({
          port: server.port,
          ca,
          cert: server.terminal.cert,
          key: server.terminal.key,
          user: 'fuzzpeer',
          password: FIRE_PASSWORD,
        });
        const channel = client.channel as SealedChannel;
        try {
          for (let done = 0; done < perWorker; ) {
            const batch = fc.sample(sealedPlaintextArb, {
              numRuns: Math.min(32, perWorker - done),
              seed: plan.seed + w * 1_000_003 + done,
            });
            for (const plaintext of batch) {
              const sealed = channel.sealer.seal(plaintext);
              if (!sealed.ok) throw new Error(sealed.error.message);
              client.sendFrame(sealed.value);
            }
            for (let i = 0; i < batch.length; i++) {
              const response = await client.receive(30_000);
              if (!response || typeof response.ok !== 'boolean') {
                throw new Error(
                  `worker ${w}: no answer to sealed input ${done + i} (${batch[i]?.toString('utf8').slice(0, 120)}) (${tag})`,
                );
              }
              report.answered++;
            }
            done += batch.length;
            report.frames += batch.length;
          }
        } finally {
          client.destroy();
        }
      }),
    );
    plan.log(`sealed: ${report.answered} answered`);

    // ---- broken frames after welcome: silent close, every time
    const breaks = fc.sample(frameBreakArb, { numRuns: plan.broken, seed: plan.seed + 7 });
    const breakers = 4;
    await Promise.all(
      Array.from({ length: breakers }, async (_, w) => {
        for (let i = w; i < breaks.length; i += breakers) {
          const how = breaks[i] as FrameBreak;
          const client = await RawClient.login({ port: server.port, ca, user: 'fuzzbreak', password: FIRE_PASSWORD });
          try {
            // A good request first, so the break does not always land on seq 0.
            if (i % 2 === 1) await client.call({ op: 'ping' });
            client.sendBytes(breakFrame(client, how));
            report.frames++;
            if (!(await client.closesSilently(10_000))) {
              throw new Error(`broken frame ${JSON.stringify(how)} was answered or left open (${tag})`);
            }
            report.silentCloses++;
          } finally {
            client.destroy();
          }
        }
      }),
    );
    plan.log(`broken: ${report.silentCloses} silent closes`);

    // ---- pre-welcome garbage, from 127.0.0.2
    const inputs = fc.sample(preAuthArb, { numRuns: plan.preAuth, seed: plan.seed + 13 });
    const openers = 8;
    await Promise.all(
      Array.from({ length: openers }, async (_, w) => {
        for (let i = w; i < inputs.length; i += openers) {
          const peer = await LoopbackPeer.open({ port: server.port, ca, from: '127.0.0.2' });
          try {
            peer.socket.write(inputs[i] as Buffer);
            report.frames++;
            // An incomplete frame waits for the handshake timeout; do not wait that long here.
            await Promise.race([peer.whenClosed, sleep(300)]);
            const first = peer.frames[0];
            if (first) {
              const reply = JSON.parse(first.toString()) as { type?: string };
              if (reply.type !== 'error' && reply.type !== 'welcome') {
                throw new Error(`pre-auth input ${i} got ${first.toString().slice(0, 200)} (${tag})`);
              }
              report.preAuthErrorFrames++;
            } else if (peer.closed) report.preAuthCloses++;
          } finally {
            peer.destroy();
          }
        }
      }),
    );
    plan.log(`pre-auth: ${report.preAuthErrorFrames} error frames, ${report.preAuthCloses} closes`);
    return report;
  } finally {
    stop.done = true;
    await sampler;
    plan.log(
      `server RSS: first ${mib(rssSamples[0] ?? 0)}, peak ${mib(Math.max(0, ...rssSamples))}, last ${mib(rssSamples.at(-1) ?? 0)} (${rssSamples.length} samples)`,
    );
  }
}

/** A fresh client can still log in and transact: the server survived. */
export async function stillServes(server: SpawnedServer): Promise<boolean> {
  const ca = await readFile(server.caPath, 'utf8');
  const { cert, key } = server.terminal;
  const client = await RawClient.connect({ port: server.port, ca, cert, key });
  try {
    const reply = await client.hello({ user: 'survivor', password: FIRE_PASSWORD, method: 'register' });
    if (reply.kind !== 'welcome') return false;
    const response = await client.call({ op: 'deposit', amountCents: 100 });
    return response.ok === true;
  } finally {
    client.destroy();
  }
}
