import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/spawn-server.js';

// A smoke run of `atm bench` (compiled): every step runs and the table and JSON come out.
// No number is asserted beyond "requests were served": performance lives in the bench output.
describe('atm bench (smoke)', () => {
  it('runs the raw baseline, the full system, audit off and logins, and writes the table and JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secure-atm-bench-smoke-'));
    try {
      const json = join(dir, 'results.json');
      const run = await runCli(BIN.atm, [
        'bench',
        '--duration',
        '1',
        '--warmup',
        '0',
        '--connections',
        '1,4',
        '--logins',
        '2',
        '--json',
        json,
      ]);
      expect(run.stderr).not.toMatch(/atm bench:/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/raw TLS echo\s+1/);
      expect(run.stdout).toMatch(/full \(audit on\)\s+4/);
      expect(run.stdout).toMatch(/full \(audit off\)\s+4/);
      expect(run.stdout).toMatch(/protocol floor\s+4/);
      expect(run.stdout).toMatch(
        /server CPU µs per request, C=4: raw TLS echo [0-9]+ → protocol floor [0-9]+ → floor \+ fsync [0-9]+/,
      );
      expect(run.stdout).toMatch(/ratio full\/raw: C=1 [0-9.]+, C=4 [0-9.]+/);
      expect(run.stdout).toMatch(/logins at bcrypt cost 12: [0-9.]+ logins\/s/);
      const results = JSON.parse(await readFile(json, 'utf8')) as {
        runs: Array<{ system: string; requests: number; errors: Record<string, number> }>;
      };
      expect(results.runs.map((r) => r.system)).toEqual([
        'raw',
        'floor',
        'floor-journal',
        'full',
        'raw',
        'floor',
        'floor-journal',
        'full',
        'full-no-audit',
      ]);
      for (const r of results.runs) {
        expect(r.requests).toBeGreaterThan(0);
        expect(r.errors).toEqual({});
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses a bad option with one line and exit code 2', async () => {
    const run = await runCli(BIN.atm, ['bench', '--connections', '1,zero']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--connections/);
  });
});
