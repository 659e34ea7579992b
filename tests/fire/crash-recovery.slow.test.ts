import { describe, expect, it } from 'vitest';
import { runLoggedCrashScenario } from './crash-harness.js';
import { fireSeed } from './fire-kit.js';

describe('crash recovery: 50 clients, several SIGKILLs on one data dir', () => {
  const seed = fireSeed();

  it(`every acknowledged transaction survives each kill exactly once (seed ${seed})`, async () => {
    const summary = await runLoggedCrashScenario(seed, { clients: 50, kills: 4, loadMs: [400, 3_000] });
    console.log(
      `[crash seed ${seed}] ${summary.acknowledged} requests acknowledged; in flight at each kill: ${summary.unacknowledgedAtKills.join(', ')}; of those already committed: ${summary.appliedBeforeKill.join(', ')}; audit: ${summary.auditVerdict}`,
    );
    expect(summary.acknowledged).toBeGreaterThan(200);
  }, 600_000);
});
