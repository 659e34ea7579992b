import { describe, expect, it } from 'vitest';
import { runLoggedCrashScenario } from './crash-harness.js';
import { fireSeed } from './fire-kit.js';

// The quick variant for `npm test`; crash-recovery.slow.test.ts runs 50 clients over several kill points.
describe('crash recovery (quick: one SIGKILL)', () => {
  const seed = fireSeed();

  it(`acknowledged changes survive a SIGKILL exactly once, nothing is half-applied (seed ${seed})`, async () => {
    const summary = await runLoggedCrashScenario(seed, { clients: 8, kills: 1, loadMs: [300, 700] });
    expect(summary.acknowledged).toBeGreaterThan(0);
  }, 120_000);
});
