import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/spawn-server.js';

// A smoke run of `npm run bench:instances` (compiled): PostgreSQL rows beside the SQLite one come
// out in the table and the JSON. No number is asserted beyond "requests were served".
describe('atm bench --ledger postgres (smoke)', () => {
  it('runs the SQLite row and one row per instance count on a throwaway PostgreSQL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secure-atm-bench-instances-'));
    try {
      const json = join(dir, 'results.json');
      const run = await runCli(join(REPO_ROOT, 'dist', 'server', 'dev', 'bench-instances.js'), [
        ...['--duration', '1', '--warmup', '0', '--connections', '4', '--logins', '0', '--no-audit-off', '--no-raw'],
        ...['--instances', '1,2', '--json', json],
      ]);
      expect(run.stderr).not.toMatch(/atm bench:/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^\| SQLite \(embedded\) \| 1 \| 4 \| \d+ \|/m);
      expect(run.stdout).toMatch(/^\| PostgreSQL \| 1 \| 4 \| \d+ \|/m);
      expect(run.stdout).toMatch(/^\| PostgreSQL \| 2 \| 4 \| \d+ \|/m);
      const results = JSON.parse(await readFile(json, 'utf8')) as {
        instances: Array<{ instances: number; throughput: number; errors: Record<string, number> }>;
      };
      expect(results.instances.map((r) => r.instances)).toEqual([1, 2]);
      for (const r of results.instances) {
        expect(r.throughput).toBeGreaterThan(0);
        expect(r.errors).toEqual({});
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses a --ledger that is not PostgreSQL with one line and exit code 2', async () => {
    const run = await runCli(join(REPO_ROOT, 'dist', 'atm-client', 'cli', 'main.js'), [
      'bench',
      '--ledger',
      'sqlite:x.db',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--ledger/);
  });
});
