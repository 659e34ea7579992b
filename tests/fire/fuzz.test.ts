import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../helpers/spawn-server.js';
import { fireSeed, mib } from './fire-kit.js';
import { decoderStreamArb, fuzzDecoderOnce, fuzzLiveServer, fuzzOpenerOnce, stillServes } from './fuzz-kit.js';

// The quick variant for `npm test`; fuzz.slow.test.ts sends 100,000+ frames each way.
describe('fuzz (quick)', () => {
  const seed = fireSeed();
  let server: SpawnedServer | null = null;
  afterAll(async () => {
    await server?.dispose();
  });

  it(`the decoder and every parser take arbitrary bytes without throwing (seed ${seed})`, () => {
    let frames = 0;
    fc.assert(
      fc.property(decoderStreamArb, (input) => {
        frames += fuzzDecoderOnce(input);
      }),
      { seed, numRuns: 1_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => fuzzOpenerOnce(bytes)),
      { seed, numRuns: 500 },
    );
    expect(frames).toBeGreaterThan(1_000);
  });

  it(`a live server survives a few thousand generated frames and still serves (seed ${seed})`, async () => {
    const report = await fuzzLiveServer({
      seed,
      sealed: 1_500,
      broken: 60,
      preAuth: 150,
      log: (line) => console.log(`[fuzz seed ${seed}] ${line}`),
    });
    server = report.server;
    expect(report.answered).toBe(1_500);
    expect(report.silentCloses).toBe(60);
    expect(server.proc.exitCode, 'the server is still running').toBeNull();
    expect(await stillServes(server), 'a fresh client is served').toBe(true);
    expect(server.stderr.join(''), 'nothing on stderr (no unhandled rejection)').toBe('');
    const peak = Math.max(...report.rssSamples);
    expect(peak, `peak RSS ${mib(peak)}`).toBeLessThan(512 * 1024 * 1024);
  }, 120_000);
});
