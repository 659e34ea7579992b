import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../helpers/spawn-server.js';
import { fireSeed, mib } from './fire-kit.js';
import { decoderStreamArb, fuzzDecoderOnce, fuzzLiveServer, fuzzOpenerOnce, stillServes } from './fuzz-kit.js';

const FRAMES = 100_000;

describe('fuzz: 100,000+ generated frames at the decoder and at a live server', () => {
  const seed = fireSeed();
  let server: SpawnedServer | null = null;
  afterAll(async () => {
    await server?.dispose();
  });

  it(`the decoder and every parser: ${FRAMES}+ frames without a throw (seed ${seed})`, () => {
    let frames = 0;
    let runs = 0;
    while (frames < FRAMES) {
      fc.assert(
        fc.property(decoderStreamArb, (input) => {
          frames += fuzzDecoderOnce(input);
        }),
        { seed: seed + runs, numRuns: 2_000 },
      );
      runs++;
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => fuzzOpenerOnce(bytes)),
      {
        seed,
        numRuns: 20_000,
      },
    );
    console.log(`[fuzz seed ${seed}] decoder: ${frames} frames and fragments`);
    expect(frames).toBeGreaterThanOrEqual(FRAMES);
  }, 300_000);

  it(`a live server: ${FRAMES}+ frames, no crash, no unhandled rejection, bounded RSS, still serves (seed ${seed})`, async () => {
    const plan = { sealed: 85_000, broken: 5_000, preAuth: 10_000 };
    const report = await fuzzLiveServer({ seed, ...plan, log: (line) => console.log(`[fuzz seed ${seed}] ${line}`) });
    server = report.server;
    expect(report.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(report.answered).toBe(plan.sealed);
    expect(report.silentCloses).toBe(plan.broken);
    expect(server.proc.exitCode, 'the server is still running').toBeNull();
    expect(await stillServes(server), 'a fresh client is served').toBe(true);
    expect(server.stderr.join(''), 'nothing on stderr (no unhandled rejection)').toBe('');
    const samples = report.rssSamples;
    const peak = Math.max(...samples);
    console.log(
      `[fuzz seed ${seed}] RSS samples (MiB): ${samples
        .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 20)) === 0)
        .map((s) => (s / 1024 / 1024).toFixed(0))
        .join(' ')}`,
    );
    expect(peak, `peak RSS ${mib(peak)}`).toBeLessThan(512 * 1024 * 1024);
  }, 900_000);
});
