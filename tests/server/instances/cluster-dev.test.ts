import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/spawn-server.js';

/** The README's "Running several instances" script, run as shown, in its self-checking mode. */
describe('npm run cluster:dev', () => {
  it('starts PostgreSQL and three instances, serves one request id once across them, and cleans up', async () => {
    const run = await runCli(join(REPO_ROOT, 'dist', 'server', 'dev', 'cluster-dev.js'), ['--smoke']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const instances = lines.filter((l) => /^instance [abc]: ATMs connect to 127\.0\.0\.1:\d+, admin http/.test(l));
    expect(instances).toHaveLength(3);
    expect(run.stdout).toMatch(/smoke: deposit on a: exit 0 \{"balanceCents":2500,"txId":"(T\d+)"\}/);
    const txId = /"txId":"(T\d+)"/.exec(run.stdout)?.[1];
    expect(run.stdout).toContain(`smoke: same id on b: exit 0 {"balanceCents":2500,"txId":"${txId}","replayed":true}`);
    expect(run.stdout).toMatch(/smoke: balance on c: exit 0 \{"balanceCents":2500,/);
    expect(run.stdout).toContain('stopped: a exit 0, b exit 0, c exit 0');
    // Everything it made is gone: the instances' data dirs and the cluster.
    const dataDir = /data dir (\S+)/.exec(instances[0] ?? '')?.[1] ?? '';
    expect(dataDir).not.toBe('');
    expect(existsSync(dirname(dataDir))).toBe(false);
  }, 180_000);
});
